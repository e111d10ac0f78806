"""solve(): the library entry point the CLI (and a notebook) uses."""

from __future__ import annotations

import math
import time

import numpy as np

from optimizer.domain import Instance
from optimizer.errors import InputError, Problem
from optimizer.objectives import (
    LEVEL_CEILING,
    REFERENCE,
    ObjectiveWeights,
    level_ceiling,
    meeting_dates,
)
from optimizer.reasons.infeasible import diagnose, explain_infeasibility
from optimizer.result import (
    Diagnosis,
    LevelOutcome,
    Result,
    SolverParams,
    SolveStatus,
)
from optimizer.rules import RuleSet
from optimizer.solver import mip
from optimizer.solver.bound import weighted_lower_bound
from optimizer.solver.calbound import calendar_bound, limit_bound
from optimizer.solver.calendar import (
    calendar_active,
    calendar_lower_bound,
    calendar_view,
    within_limit,
)
from optimizer.solver.calplan import calendar_plan
from optimizer.solver.diagnose import meeting_limit_diagnosis
from optimizer.solver.disaggregate import disaggregate
from optimizer.solver.flow import FlowOutcome, _view, level_value, solve_flow
from optimizer.solver.groups import GroupList
from optimizer.solver.lagrange import (
    best_practice_pairs,
    cap_bound,
    cap_search,
    pair_limits,
)
from optimizer.solver.moves import improve_by_moves
from optimizer.solver.neighbourhoods import improve_by_neighbourhoods
from optimizer.solver.outcome import ComponentOutcome
from optimizer.solver.structure import PairCounts, Structure, build_structure
from optimizer.solver.swaps import improve_by_swaps, s1_first

# The solving paths ``solve`` can take (``method``): see its docstring.
METHODS = ("auto", "flow", "mip", "cpsat")


def solve(instance: Instance, rules: RuleSet,
          weights: ObjectiveWeights | None = None,
          params: SolverParams | None = None,
          method: str = "auto",
          reference: dict[str, str] | None = None) -> Result:
    """Plan case managers for every student.

    Parameters
    ----------
    instance
        The roster (with any pins and forbidden pairs).
    rules
        The authorization, caseload and best-practice tables.
    weights
        How S1-S4 combine; defaults to ``ObjectiveWeights()``.
    params
        Time limit, seed and workers; defaults to ``SolverParams()``.
    method
        The solving path, one of ``METHODS``. ``auto`` (the default, what
        the CLI and the workbench run): per part, the min-cost flow where
        it is exact (unit weights), else the HiGHS MIP for the levels it
        expresses (S1-S4), CP-SAT for the rest (R) and for parts left
        unproven. The others force one path on every part, for tests and
        cross-checks: ``flow`` (only where the flow is exact: unit
        weights; otherwise ``ValueError``), ``mip`` (every level in HiGHS;
        ``ValueError`` with a reference plan, whose R it cannot express)
        and ``cpsat`` (every level in CP-SAT, whatever the part's size).
        Each path starts from the flow's plan, which is also the
        feasibility test, and each plan is one the checker must accept.
    reference
        A reference plan (student -> case manager: the base plan of a
        comparison, the published plan of a re-plan). Among plans equal
        in S1-S4, the one with the fewest students whose case manager
        differs from it (objective R, the last level).

    Returns
    -------
    Result
        ``status`` INFEASIBLE comes with a ``diagnosis``; OPTIMAL is
        returned only when every objective level is proven optimal.
    """
    weights = weights or ObjectiveWeights()
    params = params or SolverParams()
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}: one of {METHODS}")
    if method == "mip" and reference is not None:
        raise ValueError("method 'mip' cannot express R, the closeness to "
                         "a reference plan: use 'flow' or 'cpsat'")
    start = time.monotonic()
    # Meeting dates bring S5 (and the district's H8): groups are then
    # alike in their meetings' periods too. Without dates, nothing moves.
    calendar = weights.calendar(instance.students)
    structure = build_structure(instance, rules, reference, calendar)
    result = Result(SolveStatus.OPTIMAL, params=params,
                    num_groups=len(structure.groups),
                    num_pairs=len(structure.pairs),
                    num_components=len(structure.components))
    levels = weights.levels(structure.weight_scale,
                            closest=reference is not None,
                            calendar=calendar is not None)
    _check_levels_fit(instance, structure, weights, levels,
                      calendar is not None)
    # The exact feasibility test: every student has a candidate and the
    # flow of each part carries all its students (the same network as
    # the capacity test of ``diagnose``, which runs only when it fails).
    flows = {} if structure.no_candidates else {
        i: solve_flow(structure, comp, levels)
        for i, comp in enumerate(structure.components)}
    if structure.no_candidates or any(f is None for f in flows.values()):
        diagnosis = diagnose(structure)
        if diagnosis.empty:
            raise RuntimeError("min-cost flow: no plan although H1-H7 and "
                               "the capacity test hold")
        result.status = SolveStatus.INFEASIBLE
        result.diagnosis = explain_infeasibility(instance, rules, diagnosis)
        result.runtime = time.monotonic() - start
        return result
    if method == "flow" and not all(f.optimal for f in flows.values()):
        raise ValueError("method 'flow' is exact only with unit weights "
                         "(and costs that fit) and without meeting dates "
                         "(S5, H8): use 'mip' or 'cpsat'")
    outcomes: dict[int, ComponentOutcome] = {}
    # Largest parts first, each given a share of the remaining time.
    order = sorted(range(len(structure.components)),
                   key=lambda i: -len(structure.components[i].pairs))
    pairs_left = sum(len(c.pairs) for c in structure.components)
    for i in order:
        comp = structure.components[i]
        remaining = params.time_limit - (time.monotonic() - start)
        share = max(0.05, remaining * len(comp.pairs) / max(1, pairs_left))
        pairs_left -= len(comp.pairs)
        outcomes[i] = _solve_component(structure, comp, flows.pop(i),
                                       levels, params, share, method)
        if outcomes[i].status in (SolveStatus.INFEASIBLE,
                                  SolveStatus.UNKNOWN):
            break
    # Time left over from parts that finished early goes to those not
    # yet proven, warm-started from their plan.
    unproven = [i for i in order if i in outcomes
                and outcomes[i].status is SolveStatus.FEASIBLE
                and method in ("auto", "cpsat")
                and _cpsat_fits(structure.components[i], method)]
    for n, i in enumerate(unproven):
        remaining = params.time_limit - (time.monotonic() - start)
        if remaining < 0.5:
            break
        proven = [lv for lv in outcomes[i].levels[:1] if lv.optimal]
        from optimizer.solver.model import AssignmentModel

        again = AssignmentModel(structure, structure.components[i]).solve(
            levels, params, remaining / (len(unproven) - n),
            hint=outcomes[i].counts, solved=proven)
        if again.status is SolveStatus.OPTIMAL or _better(again, outcomes[i]):
            outcomes[i] = again
    if calendar is not None and calendar.max_per_month is not None and any(
            o.status is SolveStatus.INFEASIBLE for o in outcomes.values()):
        # The flow placed everyone: only H8 can be what fails.
        result.status = SolveStatus.INFEASIBLE
        result.diagnosis = meeting_limit_diagnosis(structure)
        result.runtime = time.monotonic() - start
        return result
    _combine(structure, result, outcomes, levels)
    if result.has_plan:
        result.assignment = disaggregate(structure, result.counts)
    result.runtime = time.monotonic() - start
    return result


def _check_levels_fit(instance: Instance, structure: Structure,
                      weights: ObjectiveWeights, levels: list[dict[str, int]],
                      dated: bool) -> None:
    """Refuse, as bad settings, weights so far apart that a level's
    value on this roster could pass 64 bits (``objectives.
    LEVEL_CEILING``): the solvers count it in 64-bit integers, and a
    plan priced past them would be wrong or fail without a word."""
    most_units = int(structure.arrays.units.max(initial=1))
    meetings = sum(len(meeting_dates(s)) for s in instance.students) \
        if dated else 0
    for level in levels:
        parts = level_ceiling(level, len(instance.students),
                              structure.caps, most_units, meetings)
        if sum(parts.values()) < LEVEL_CEILING:
            continue
        term = max(parts, key=lambda t: (parts[t], t))
        value = getattr(weights, term, None)  # (R has no weight)
        raise InputError([Problem(
            "objective settings", None, term,
            None if value is None else f"{value:g}",
            f"the weights are too far apart to count the objective "
            f"{'+'.join(level)} exactly on this roster (it could reach "
            f"{sum(parts.values()):.2e}, past the {LEVEL_CEILING:.2e} "
            "that 64-bit integers hold): bring the weights closer to one "
            "another (only their ratios shape the plan), or give a "
            "strict order with --mode priority")])


def _better(new: ComponentOutcome, old: ComponentOutcome) -> bool:
    """Lexicographically better final values (or the same, better bound)."""
    if new.status not in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE) or (
            len(new.levels) < len(old.levels)):
        return False
    a = [lv.objective for lv in new.levels]
    b = [lv.objective for lv in old.levels]
    return a < b or (a == b and sum(lv.bound for lv in new.levels)
                     > sum(lv.bound for lv in old.levels))


def _combine(structure: Structure, result: Result,
             outcomes: dict[int, ComponentOutcome],
             levels: list[dict[str, int]]) -> None:
    """Sum the parts' levels; the plan is proven only if every part is.
    A level a part's solver did not reach (its time ran out above it)
    counts the part's plan at its value, with no bound (0: no term is
    below zero)."""
    totals = [[0, 0, True] for _ in levels]
    counts = []
    for i in sorted(outcomes):
        outcome = outcomes[i]
        # The flow test before solving prevents INFEASIBLE here.
        if outcome.status is SolveStatus.INFEASIBLE:
            result.status = SolveStatus.INFEASIBLE
            result.diagnosis = Diagnosis(notes=(
                "the solver found no plan although every student has "
                "eligible staff with room; please report this roster",))
            return
        if outcome.status is SolveStatus.UNKNOWN:
            result.status = SolveStatus.UNKNOWN
            return
        if outcome.status is SolveStatus.FEASIBLE:
            result.status = SolveStatus.FEASIBLE
        counts.append(outcome.counts)
        for k, lv in enumerate(outcome.levels):
            totals[k][0] += lv.objective
            totals[k][1] += lv.bound
            totals[k][2] = totals[k][2] and lv.optimal
        for k in range(len(outcome.levels), len(levels)):
            totals[k][0] += level_value(structure, structure.components[i],
                                        outcome.counts, levels[k])
            totals[k][2] = False
    result.levels = [LevelOutcome(lv, v, b, opt)
                     for lv, (v, b, opt) in zip(levels, totals)]
    result.counts = PairCounts.join(counts)


def _solve_component(structure: Structure, comp, flow: FlowOutcome,
                     levels, params, share, method: str
                     ) -> ComponentOutcome:
    deadline = time.monotonic() + share
    if method in ("auto", "flow") and flow.optimal:
        # exact_for, and R's costs fit ("flow" checked every part is so)
        return ComponentOutcome(SolveStatus.OPTIMAL, flow.counts,
                                flow.levels)
    # S1 is linear, so the flow's S1-first optimum is exact for S1 even
    # with weighted loads: only the later levels are left to solve.
    solved = []
    # Keys shared with comp.pairs: a million pairs, no new int objects;
    # the flow's arrays are not kept beside them.
    hint = dict(zip(comp.pairs, flow.counts.counts.tolist()))
    s1 = flow.levels[0].objective
    flow_levels = flow.levels
    del flow
    # The moves, the bound and CP-SAT read groups one by one, many times.
    if isinstance(structure.groups, GroupList):
        structure.groups = list(structure.groups)
    dated = calendar_active(structure, levels)
    limited = (structure.calendar is not None
               and structure.calendar.max_per_month is not None)
    fits = _cpsat_fits(comp, method)
    allowed = None  # the pairs a plan with the least S1 may use
    if method == "auto" and not fits and not (
            levels[0] == {"S1": 1} and len(levels) == 2
            and REFERENCE not in levels[1]):
        # Too large for CP-SAT and the MIP (measured at 70,000 students
        # in mode weights: 2.8 GB, 46 s of a 20 s limit, and no plan).
        # S1 then R alone (S2-S4 weighted 0, a reference): not
        # ``_bounded``'s, whose neighbourhoods have no R.
        large = _large(structure, comp, levels, flow_levels, hint,
                       deadline, limited)
        if large is not None:
            return large
    if method == "mip":
        return _mip_outcome(structure, comp, mip.solve_levels(
            structure, comp, levels, [], hint, share, params.seed),
            len(levels))
    if method == "auto" and levels[0] == {"S1": 1} and len(levels) > 1 \
            and not limited:  # H8 may cost best practice: S1 is re-solved
        solved = [LevelOutcome(levels[0], s1, s1, True)]
        # The flow's plan has the least S1: its reduced costs rule out
        # most pairs for every later level (on the tight 70,000-student
        # roster 489,000 of 696,000), exactly.
        allowed = best_practice_pairs(structure, comp, hint)
        # A better start for weighted loads: single-student moves, and
        # for a part too large for the MIP, swaps too (swaps.py: on the
        # tight 70,000-student roster 0.023% above the optimum in 0.57 s,
        # where the moves alone end 0.031% above it in 0.92 s; the MIP's
        # start stays the moves', which its proofs are measured from).
        # With dates, a flow that routes meetings through each case
        # manager's months first (calplan.py).
        if dated:
            hint = calendar_plan(structure, comp, hint, levels[1],
                                 params.time_limit, allowed,
                                 swaps=not fits)
        elif not fits:
            hint = improve_by_swaps(structure, comp, hint, levels[1],
                                    allowed=allowed, moves=True)
        else:
            hint = improve_by_moves(structure, comp, hint, levels[1],
                                    allowed=allowed)
    if method == "auto" and limited and not fits and levels[0] == {
            "S1": 1} and len(levels) == 2:
        within = _large_limited(structure, comp, levels, hint, s1, deadline,
                                params)
        if within is not None:
            return within
    if method == "auto" and (fits or limited):  # H8: only the MIP keeps it
        # Balance with weights as a convex piecewise-linear MIP: HiGHS
        # proves what CP-SAT's bound does not (issue 11).
        leading = mip.leading(levels)
        if len(leading) > len(solved):
            limits = None
            if len(solved) == 1 and not dated and not limited:
                limits, proven = _fixing(structure, comp, leading[1], solved,
                                         hint, allowed)
                if proven is not None:  # the moves plan, proven optimal
                    solved = [*solved, proven]
            found = (mip.solve_levels(structure, comp, leading, solved,
                                      hint, share, params.seed, limits)
                     if len(leading) > len(solved)
                     else mip.MipOutcome(hint, solved))
            if not found.counts or not found.optimal or len(leading) == len(
                    levels):
                return _mip_outcome(structure, comp, found, len(levels),
                                    allowed)
            solved, hint = found.levels, found.counts
    elif len(solved) == 1 and len(levels) == 2 and not fits:
        return _bounded(structure, comp, levels, hint, solved, deadline,
                        allowed, params.seed)
    # CP-SAT (and pandas, which it imports) load only when needed.
    from optimizer.solver.model import AssignmentModel

    return AssignmentModel(structure, comp).solve(
        levels, params, share, hint=hint, solved=solved)


# Subgradient steps (min-cost flows) before the MIP for reduced-cost
# fixing: a fixed number, so that the program, and the plan it proves,
# do not depend on the clock. Measured on the tight 5,000-student
# weighted roster (50,000 pairs, 0.05 s a flow): 5 steps leave 15,000
# pairs (3 steps 15,100; 12 steps 14,400) and HiGHS proves the optimum
# at its root in 0.5 s, against 8-13 s on the whole program.
FIX_STEPS = 5


def _fixing(structure: Structure, comp, level: dict[str, int],
            solved: list[LevelOutcome], counts: dict[int, int],
            allowed: np.ndarray | None
            ) -> tuple[np.ndarray | None, LevelOutcome | None]:
    """Reduced-cost fixing for the level after S1 (``lagrange.
    pair_limits``): the most students each pair can take in a plan no
    worse than ``counts`` (0 off ``allowed``), or the level proven at
    ``counts``'s value when the bound reaches it (then no limits)."""
    value = level_value(structure, comp, counts, level)
    search = cap_search(structure, comp, level, solved[0].objective,
                        counts, value, math.inf, FIX_STEPS, FIX_STEPS,
                        allowed)
    if search.bound is not None and search.bound >= value:
        return None, LevelOutcome(level, value, value, True)
    limits = pair_limits(search, len(comp.pairs), value)
    if allowed is not None:
        limits = np.where(allowed, np.iinfo(np.int64).max if limits is None
                          else limits, 0)
    return limits, None


def _mip_outcome(structure: Structure, comp, found: mip.MipOutcome,
                 num_levels: int, allowed: np.ndarray | None = None
                 ) -> ComponentOutcome:
    """The MIP's outcome: no plan (H8 proven impossible, or none found in
    time), or its plan with each unproven level's token bound."""
    if not found.counts:
        return ComponentOutcome(
            SolveStatus.INFEASIBLE if found.infeasible
            else SolveStatus.UNKNOWN, {}, found.levels)
    return _proven_or_bounded(structure, comp, found, num_levels, allowed)


def _proven_or_bounded(structure: Structure, comp, found: mip.MipOutcome,
                       num_levels: int, allowed: np.ndarray | None = None
                       ) -> ComponentOutcome:
    """The MIP's plan; each unproven level also gets the token bound."""
    if found.optimal and len(found.levels) == num_levels:
        return ComponentOutcome(SolveStatus.OPTIMAL, found.counts,
                                found.levels)
    levels = []
    for lv in found.levels:
        if not lv.optimal and set(lv.terms) != {"S1"}:
            # S1 alone: the MIP's bound is exact.
            s1 = next((d.objective for d in levels
                       if d.terms == {"S1": 1} and d.optimal), None)
            # A part small enough for the MIP takes a few cheap flows
            # (0.1 s each at 50,000 pairs) beyond the MIP's time.
            bound = min(max(lv.bound, _token_bound(
                structure, comp, lv.terms, s1, found.counts, lv.objective,
                time.monotonic(), MIP_BOUND_STEPS, allowed)), lv.objective)
            lv = LevelOutcome(lv.terms, lv.objective, bound,
                              bound >= lv.objective)
        levels.append(lv)
    status = (SolveStatus.OPTIMAL if all(lv.optimal for lv in levels)
              and len(levels) == num_levels else SolveStatus.FEASIBLE)
    return ComponentOutcome(status, found.counts, levels)


# Above this many eligible pairs a part is not given to CP-SAT: measured on
# a connected 70,000-student district (780,000 pairs), its model took
# 2.4 GB and 60 s with a 30 s limit and improved the moves plan by less
# than 0.01%, while the flow, the moves and the token bound prove that plan
# within 0.02% in a quarter of the time and memory (issue 11).
CPSAT_MAX_PAIRS = 250_000


# Flows of the cap-aware bound an unproven MIP level always gets: on the
# tight 5,000-student weighted roster, 0.78% -> 0.05% in about 1 s.
MIP_BOUND_STEPS = 8


def _token_bound(structure: Structure, comp, level: dict[str, int],
                 s1: int | None, counts: dict[int, int], value: int,
                 deadline: float, min_steps: int = 1,
                 allowed: np.ndarray | None = None, stall: int = 0) -> int:
    """The token bound with Lagrangian multipliers on the caps (at least
    ``min_steps`` flows, more until ``deadline`` or ``value`` is proven);
    the token bound without them if those costs do not fit 64 bits. Both
    leave S5 out: its own bound is added (the least of a sum is at least
    the sum of the least of each)."""
    if "S5" in level:  # S5 priced per case manager and month
        bound = calendar_bound(structure, comp, level, s1, counts, value,
                               deadline, min_steps=min_steps,
                               allowed=allowed)
        if bound is not None:
            # (after few steps, equal shares of each month's meetings
            # can be higher: both are bounds, and no level is below 0)
            return max(bound, calendar_lower_bound(structure, comp, level),
                       0)
    calendar = calendar_lower_bound(structure, comp, level)
    bound = cap_bound(structure, comp, level, s1, counts, value - calendar,
                      deadline, min_steps=min_steps, allowed=allowed,
                      stall=stall)
    if bound is None:
        bound = weighted_lower_bound(structure, comp, level, s1)
    return bound + calendar


# Flows over which a bound rising by less than a tenth of the gap has
# levelled off (tight 70,000 weighted: after 11 flows, 0.051%), and the
# time left goes to the plan (``neighbourhoods``).
BOUND_STALL = 3


def _plan_and_bound(structure: Structure, comp, level: dict[str, int],
                    s1: int | None, counts: dict[int, int], value: int,
                    deadline: float, allowed: np.ndarray | None,
                    seed: int) -> tuple[dict[int, int], int, int]:
    """A part too large for the MIP, without meeting dates: the plan
    ``counts`` (worth ``value`` in ``level``), the time up to
    ``deadline`` shared between the cap-aware bound and the plan.

    The bound's subgradient steps go on until it levels off, then
    neighbourhoods re-plan until they stop improving; the steps then go
    on where they stopped, aimed at the better plan if it is below
    their target (Polyak's step is only as good as its target), for at
    least as long as the neighbourhoods took, and so on until
    ``deadline`` or the proof. Returns the plan, its value and the best
    bound (every bound found is valid: the best is kept)."""
    calendar = calendar_lower_bound(structure, comp, level)
    search = cap_search(structure, comp, level, s1, counts,
                        value - calendar, deadline, allowed=allowed,
                        stall=BOUND_STALL)
    if search.bound is None:  # costs beyond 64 bits: no multipliers
        bound = weighted_lower_bound(structure, comp, level, s1) + calendar
    else:
        bound = search.bound + calendar
    rounds = 0
    while bound < value and time.monotonic() + 1 < deadline:
        began = time.monotonic()
        better = improve_by_neighbourhoods(structure, comp, counts, level,
                                           allowed, deadline, seed + rounds)
        spent = time.monotonic() - began
        new_value = level_value(structure, comp, better, level)
        if new_value <= value:  # (never worse, same S1: kept as is)
            counts, value = better, new_value
        rounds += 1
        if bound >= value or time.monotonic() + 1 >= deadline:
            break
        if search.mu is None:  # no multipliers (beyond 64 bits)
            continue
        # The steps go on where they stopped (as if they never had),
        # for at least as long as the neighbourhoods just took: the time
        # is shared between the two sides.
        again = cap_search(structure, comp, level, s1, counts,
                           value - calendar, deadline, allowed=allowed,
                           stall=BOUND_STALL, resume=search, patience=spent)
        if again.bound is not None:
            search = again
            bound = max(bound, again.bound + calendar)
        # Neither side may have gained this round: the next draws other
        # neighbourhoods (another seed) and the steps go on, to the end
        # of the time (a run stops early only when its plan is proven).
    return counts, value, bound


# Seconds per pair of a later level's bound in ``_large`` (two flows),
# measured in mode priority on the tight 70,000-student weighted district:
# 3.4 s for S4's 696,000 pairs.
LATER_SECONDS_PER_PAIR = 5e-6


def _large(structure: Structure, comp, levels: list[dict[str, int]],
           flow_levels: list[LevelOutcome], counts: dict[int, int],
           deadline: float, limited: bool = False
           ) -> ComponentOutcome | None:
    """A part too large for CP-SAT and the MIP whose levels are not S1 then
    one more (``_bounded``'s case): mode ``weights`` (one level, S1 in it),
    ``priority`` (one term a level), or a reference's R last.

    The flow's plan, with the leading levels it proves (``flow.
    exact_prefix``). The first level it does not prove is improved by
    rounds of swaps and moves (they keep S1, so they lower that level
    whether or not S1 is in it) that keep the levels above
    (``_held_price``), and gets the cap-aware bound (``_token_bound``)
    until ``deadline``; each later level keeps the plan's value with one
    flow of that bound: a bound of the level over every plan with the least
    S1, so also of the plan that is best in the levels above (a
    lexicographic level is never below its minimum over more plans); a
    level the flow carries exactly (S1, S3, S4, R) after proven levels it
    also carries exactly gets its least value with those held, if
    higher. With a monthly limit (``limited``: H8; the flow proves no
    level then) the swaps price each meeting beyond it above all else,
    and if the plan is still beyond it, rounds over every pair with S1
    priced above the first level after it take it there, S1 giving
    (``_large_limited``); S1 alone is then bounded with the limits
    relaxed (``calbound.limit_bound``), the other levels over every
    plan. None if the plan is still beyond the limit (the MIP is tried,
    as for a smaller part)."""
    proven = []
    for lv in flow_levels:
        if not lv.optimal:
            break
        proven.append(lv)
    # S1 is held in the bounds only as the first level, at its least
    # over every plan (``allowed``: its pairs). After another level it
    # may be above that, and S1's multiplier held there took the bound
    # below zero (S4, S3, S1, S2 on a tight roster: -28,473,517 for S2).
    s1 = (proven[0].objective if proven and proven[0].terms == {"S1": 1}
          else None)
    allowed = (best_practice_pairs(structure, comp, counts)
               if s1 is not None else None)
    k = len(proven)
    if k < len(levels):
        # Closest to a reference (R last): its own plan, where it keeps
        # the proven levels, starts too; the better start's plan is kept
        # (a 70,000-student comparison's no-change scenario had 82
        # changes from the flow's start).
        starts = [counts]
        near = (_reference_counts(structure, comp, counts)
                if REFERENCE in levels[-1] and not limited else None)
        if near is not None and all(level_value(
                structure, comp, near, lv.terms) == lv.objective
                for lv in proven):
            starts.append(near)
        price = _held_price(structure, comp, counts, levels[k], proven)
        if price:
            starts = [improve_by_swaps(structure, comp, start, price,
                                       allowed=allowed, moves=True,
                                       limit=limited) for start in starts]
        counts = min(starts, key=lambda c: [level_value(
            structure, comp, c, lv) for lv in levels[k:]])
    if limited:
        rest = next((p for p in (_held_price(structure, comp, counts, lv,
                                             []) for lv in levels) if p),
                    {})
        counts = _into_limit(structure, comp, counts, rest)
        if counts is None:
            return None
    outcomes = list(proven)
    # The first unproven level takes the time but the later ones' flows.
    first = deadline - (len(levels) - k - 1) * len(comp.pairs) \
        * LATER_SECONDS_PER_PAIR
    for j, level in enumerate(levels[k:]):
        value = level_value(structure, comp, counts, level)
        if limited and level == {"S1": 1}:  # (its first step: no limit)
            bound = limit_bound(structure, comp, value,
                                first if j == 0 else 0.0) or 0
        else:
            bound = _token_bound(structure, comp, level,
                                 s1 if "S1" not in level else None, counts,
                                 value, first if j == 0 else 0.0,
                                 allowed=(allowed if "S1" not in level
                                          else None))
        if j > 0 and not limited:
            # A level the flow carries exactly, after levels it does
            # too: its least value with those levels optimal (a bound,
            # the levels between left out).
            below = solve_flow(structure, comp,
                               [*(lv.terms for lv in proven), level])
            if below is not None and below.levels[-1].optimal:
                bound = max(bound, below.levels[-1].objective)
        # (a multiplier's bound may be below 0, which no level is)
        bound = min(max(bound, 0), value)
        outcomes.append(LevelOutcome(level, value, bound, bound >= value))
    return ComponentOutcome(
        SolveStatus.OPTIMAL if all(lv.optimal for lv in outcomes)
        else SolveStatus.FEASIBLE, counts, outcomes)


def _reference_counts(structure: Structure, comp, counts: dict[int, int]
                      ) -> dict[int, int] | None:
    """The reference plan on the part: each group with its reference
    case manager where that pair is eligible, the others as in
    ``counts``; None if that passes a cap."""
    v = _view(structure, comp)
    n = np.array([counts.get(int(p), 0) for p in v.pairs], dtype=np.int64)
    own = v.reference[v.group] == v.staff  # the group's reference's pair
    kept = np.zeros(len(v.size), dtype=bool)
    kept[v.group[own]] = True
    n = np.where(kept[v.group], 0, n)
    n[own] = v.size[v.group[own]]
    caps = np.array([structure.caps[c] for c in comp.staff], dtype=np.int64)
    if (np.bincount(v.staff, weights=n, minlength=len(caps)) > caps).any():
        return None
    return dict(zip(v.pairs.tolist(), n.tolist()))


def _held_price(structure: Structure, comp, counts: dict[int, int],
                level: dict[str, int], held: list[LevelOutcome]
                ) -> dict[str, int] | None:
    """What swaps and moves (which keep S1 and price S2-S5) minimise to
    lower ``level`` while every level in ``held`` (optimal at ``counts``)
    keeps its value: ``level`` without S1, plus each held level's terms
    weighted above all that follows it. A level is never below zero, so
    a change that worsens a held level by one costs more than the most
    the levels after it could gain. None when there is nothing to price
    or a level has R (no swap prices it)."""
    price = {t: c for t, c in level.items() if t != "S1"}
    if not price or REFERENCE in level:
        return None
    for lv in reversed(held):
        if lv.terms == {"S1": 1}:
            continue
        if "S1" in lv.terms or REFERENCE in lv.terms:
            return None
        big = level_value(structure, comp, counts, price) + 1
        for t, c in lv.terms.items():
            price[t] = price.get(t, 0) + c * big
    return price


def _large_limited(structure: Structure, comp, levels: list[dict[str, int]],
                   counts: dict[int, int], s1: int, deadline: float,
                   params) -> ComponentOutcome | None:
    """A part too large for the MIP with a monthly limit (H8): the flow's
    plan (the least S1 without H8), the calendar flow's, then rounds of
    swaps and moves that price each meeting beyond the limit above all
    else (``calplan.calendar_plan``). They keep S1, so a plan they take
    within the limit has the least S1 with H8 too (H8 only removes
    plans): that level is proven, and the next gets the calendar bound
    (which leaves H8 out: a bound over more plans). If they do not get
    there, S1 may give: the rounds go on over every pair with S1 priced
    above the rest (``swaps.s1_first``; rounds with the new S1 held after
    them changed nothing on the tight 70,000-student district); S1's
    bound then relaxes the limits with multipliers
    (``calbound.limit_bound``) and the next level's is taken over every
    plan (holding S1 at most this plan's with S1's fixed multiplier of
    ``lagrange.held_s1`` fell far below: plans with fewer misses earn
    it). None if the plan is still beyond the limit (the
    MIP is tried, as for a smaller part)."""
    allowed = best_practice_pairs(structure, comp, counts)
    plan = _into_limit(structure, comp, calendar_plan(
        structure, comp, counts, levels[1], params.time_limit, allowed,
        swaps=True, limit=True), levels[1])
    if plan is None:
        return None
    first = level_value(structure, comp, plan, levels[0])
    if first == s1:
        solved = [LevelOutcome(levels[0], s1, s1, True)]
        return _bounded(structure, comp, levels, plan, solved, deadline,
                        allowed, params.seed)
    # S1's bound sees the limits, in half the time left if any (on the
    # dated sample's 3,345 pairs 40 steps, 0.1 s, reach 44 of the
    # optimum's 47 where the least S1 without the limits is 2; on the
    # tight 70,000-student district a step takes about 5 s and three
    # from zero prices did not rise).
    least = s1
    if time.monotonic() < deadline:
        half = time.monotonic() + (deadline - time.monotonic()) / 2
        least = max(s1, limit_bound(structure, comp, first, half) or 0)
    least = min(least, first)
    value = level_value(structure, comp, plan, levels[1])
    bound = min(_token_bound(structure, comp, levels[1], None, plan, value,
                             deadline), value)
    return ComponentOutcome(
        SolveStatus.OPTIMAL if least >= first and bound >= value
        else SolveStatus.FEASIBLE, plan, [
            LevelOutcome(levels[0], first, least, least >= first),
            LevelOutcome(levels[1], value, bound, bound >= value)])


def _into_limit(structure: Structure, comp, counts: dict[int, int],
                level: dict[str, int]) -> dict[int, int] | None:
    """``counts`` if within the monthly limit (H8); else rounds of swaps
    and moves over every pair, each meeting beyond the limit priced above
    all else and S1 above ``level`` (``swaps.s1_first``: S1 gives where
    it must); None if the plan is still beyond the limit."""
    if _within_limit(structure, comp, counts):
        return counts
    counts = improve_by_swaps(structure, comp, counts,
                              s1_first(structure, comp, level), moves=True,
                              limit=True)
    return counts if _within_limit(structure, comp, counts) else None


def _within_limit(structure: Structure, comp, counts: dict[int, int]
                  ) -> bool:
    v = _view(structure, comp)
    n = np.array([counts.get(int(p), 0) for p in v.pairs], dtype=np.int64)
    return within_limit(calendar_view(structure, comp), v.group, v.staff,
                        n, len(comp.staff))


def _cpsat_fits(comp, method: str) -> bool:
    return method == "cpsat" or len(comp.pairs) <= CPSAT_MAX_PAIRS


def _bounded(structure: Structure, comp, levels, counts: dict[int, int],
             solved: list[LevelOutcome], deadline: float,
             allowed: np.ndarray | None = None, seed: int = 0
             ) -> ComponentOutcome:
    """The plan ``counts`` with the weight-token bound as its proof, its
    multipliers on the caps improved until ``deadline`` or the proof, or
    until the bound levels off: then the time left re-plans
    neighbourhoods (without meeting dates), and the bound, still valid,
    is kept for the better plan."""
    level = levels[1]
    value = level_value(structure, comp, counts, level)
    if calendar_active(structure, levels):
        bound = _token_bound(structure, comp, level, solved[0].objective,
                             counts, value, deadline, allowed=allowed)
    else:
        counts, value, bound = _plan_and_bound(
            structure, comp, level, solved[0].objective, counts, value,
            deadline, allowed, seed)
    optimal = bound >= value
    return ComponentOutcome(
        SolveStatus.OPTIMAL if optimal else SolveStatus.FEASIBLE, counts,
        [*solved, LevelOutcome(level, value, min(bound, value), optimal)])
