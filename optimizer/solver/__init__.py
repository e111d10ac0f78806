"""The solver layer: the only package that imports ortools, highspy and numpy.

Its input model and its dispatch live here too:

- ``structure`` (with ``groups`` and ``eligibility``): students grouped,
  eligible (group, staff) pairs, independent parts, as arrays;
- ``dispatch.solve``: the flow feasibility test, then per part the
  min-cost flow, the HiGHS MIP (``mip``) or CP-SAT (``model`` with
  ``variables``, ``constraints``, ``objective``), the moves and the token
  bound (``bound``); ``disaggregate`` turns group counts into one case
  manager per student; ``diagnose`` finds why no plan exists.

Where each hard rule is written (each rule once per solving path; the
checker recomputes all of them from the assignment alone)::

    rule      checker        flow.py      mip.py      constraints.py
    H1        verify.audit   supplies     group rows  add_one_manager_...
    H2-5, H7  rules.check_pair, the one judge: a pair exists only if
              eligible (eligibility, structure), on every path;
              add_eligible_pairs_only is CP-SAT's guard
    H6        verify.audit   place arcs   cap rows    add_caseload_cap

Why no plan exists: ``diagnose`` (capacity shortfalls by max flow, minimal
conflicts of H1/H6/pins by CP-SAT assumptions), put in words by
``optimizer.diagnosis``. S1-S4 and R: one function each in
``optimizer.objectives`` (S2's k-th place: ``balance_increment``).

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
