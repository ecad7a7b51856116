"""Workbench pages. Every view is wrapped in ``sifa.workbench.access.staff_required``."""
