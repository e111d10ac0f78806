"""The solver layer: the only package that imports ortools and highspy.

Its input model and its dispatch live here too:

- ``structure`` (with ``groups`` and ``eligibility``): students grouped,
  eligible (group, staff) pairs, independent parts, as arrays;
- ``dispatch.solve``: the flow feasibility test, then per part the
  min-cost flow, the HiGHS MIP (``mip``) or CP-SAT (``model`` with
  ``variables``, ``constraints``, ``objective``), the moves and the token
  bound (``bound``); ``disaggregate`` turns group counts into one case
  manager per student; ``diagnose`` finds why no plan exists.

Names load on first use: importing ``optimizer.solver.structure`` (or the
checker, which imports none of this) loads no ortools or highspy.
"""

from __future__ import annotations

from typing import Any

__all__ = ["solve", "solver_versions"]


def __getattr__(name: str) -> Any:
    if name == "solve":
        from optimizer.solver.dispatch import solve

        return solve
    raise AttributeError(
        f"module 'optimizer.solver' has no attribute {name!r}")


def solver_versions() -> dict[str, str]:
    """The installed solvers' versions (recorded in every summary)."""
    from importlib.metadata import version

    import ortools

    return {"ortools": ortools.__version__, "highspy": version("highspy")}
