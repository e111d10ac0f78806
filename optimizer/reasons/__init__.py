"""The reasons people read: why a student has their case manager
(explain), why no plan exists (infeasible), fixes, service coverage,
mid-year placement and re-planning."""
