"""Outputs: the plan as CSV, JSON, terminal text, HTML and xlsx; written
atomically. Pure functions of the checker's audit and the result."""
