"""GovStack building-block APIs over GovReach's own model."""
