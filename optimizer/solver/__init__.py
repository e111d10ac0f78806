"""The solver layer (CP-SAT and min-cost flow): the only package that
imports ortools."""


def solver_version() -> str:
    """The installed OR-Tools version (recorded in every summary)."""
    import ortools

    return ortools.__version__
