"""The planning workbench: a local web app over the library (``caseload
serve``). It holds no rule, score or check of its own."""
