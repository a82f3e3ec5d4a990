"""GovReach: inclusive, proactive digital public service delivery."""

__version__ = "0.1.0"
