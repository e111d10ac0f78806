"""Inputs: roster tables, rules tables, workbooks, settings, scenarios and
published plans, read into the domain with every problem located."""
