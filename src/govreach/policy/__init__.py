"""Dry runs of rule changes, pack versions with approval, and pilots in chosen areas."""
