"""Backup and restore of the database and documents, and deployment checks."""
