"""Satisfaction ratings after a completed service, and grievances with deadlines and escalation."""
