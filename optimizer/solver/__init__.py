"""The solver layer (min-cost flow, CP-SAT, the HiGHS MIP): the only
package that imports ortools and highspy."""


def solver_versions() -> dict[str, str]:
    """The installed solvers' versions (recorded in every summary)."""
    from importlib.metadata import version

    import ortools

    return {"ortools": ortools.__version__, "highspy": version("highspy")}
