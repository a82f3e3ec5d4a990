"""Public figures per service and area, open data with disclosure control, and budgets."""
