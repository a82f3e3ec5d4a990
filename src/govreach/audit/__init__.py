"""Append-only, hash-chained audit log of staff actions and views of personal data."""
