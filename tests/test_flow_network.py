"""The unit-weight flow's network (issue 24's speed): hubs for groups
with the same options, and level scales bounded by one residual cycle.

Both change only how the optimum is found: the same levels as the plain
network (one arc per pair, scales from the terms' ranges), the same
eligible pairs, every student placed.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from bench.generate import generate, write
from optimizer.inputs.roster import load_roster
from optimizer.inputs.rules_tables import load_rules
from optimizer.objectives import ObjectiveWeights
from optimizer.result import SolverParams, SolveStatus
from optimizer.solver import flow
from optimizer.solver.dispatch import solve
from optimizer.solver.structure import build_structure
from tests.test_properties import instances

RULES = load_rules()


def _roster(tmp_path, size: str, seed: int, staffing: str = "slack"):
    write(*generate(size, seed, False, "connected", staffing=staffing),
          tmp_path)
    return load_roster(tmp_path, RULES).instance


def _levels(st):
    return ObjectiveWeights().levels(st.weight_scale)


def _solve(st, comp, *, share: bool, levels=None, plain_scale=False):
    levels = levels or _levels(st)
    v = flow._view(st, comp)
    arcs = flow._arcs(st, comp, v, share=share)
    costs = (_range_costs(arcs, levels) if plain_scale
             else flow._lexicographic_costs(arcs, levels))
    counts = flow._min_cost_flow(arcs, costs, len(v.pairs))
    return arcs, costs, counts, flow._term_values(st, comp, v, counts)


def _range_costs(arcs, levels):
    """The scales before this change: one more than the later levels'
    whole range over all plans."""
    scale = [1] * len(levels)
    for i in range(len(levels) - 2, -1, -1):
        later = sum(abs(c) * arcs.ranges[t] for t, c in levels[i + 1].items())
        scale[i] = scale[i + 1] * (later + 1)
    costs = np.zeros(len(arcs.tails), dtype=np.int64)
    for lv, m in zip(levels, scale):
        for t, c in lv.items():
            costs += m * c * arcs.terms[t]
    return costs


def _level_values(values, levels):
    return [sum(c * values[t] for t, c in lv.items()) for lv in levels]


@pytest.mark.parametrize("size,seed,staffing", [
    ("school", 3, "slack"), ("school", 4, "tight"), ("district", 2, "tight"),
])
def test_hubs_give_the_plain_networks_optimum(tmp_path, size, seed,
                                              staffing):
    inst = _roster(tmp_path, size, seed, staffing)
    st = build_structure(inst, RULES)
    hubbed = 0
    for comp in st.components:
        arcs, _, counts, values = _solve(st, comp, share=True)
        plain, _, _, plain_values = _solve(st, comp, share=False,
                                           plain_scale=True)
        levels = _levels(st)
        assert _level_values(values, levels) == \
            _level_values(plain_values, levels)
        # every group's students placed, each on one of its own pairs
        v = flow._view(st, comp)
        placed = np.bincount(v.group, weights=counts,
                             minlength=len(v.size))
        assert placed.tolist() == v.size.tolist()
        assert (counts >= 0).all()
        assert plain.hubs is None
        if arcs.hubs is not None:
            hubbed += len(arcs.hubs.hub_of_group)
            assert len(arcs.tails) < len(plain.tails)
    # a district's groups mostly share their options with others
    assert hubbed > len(st.groups) / 2


def test_a_hub_splits_its_flow_among_its_groups_and_options():
    """Two groups with the same two options, one student each, one place
    with each option: each option gets one student, each group one
    option (the hub's split), and both students are placed."""
    from tests.helpers import instance, staff, student

    # two groups (grades 3 and 4), the same
    # options: C1 and C2, one place each
    inst = instance(
        [student("S1", grade="3"),
         student("S2", grade="4")],
        [staff("C1", max_caseload=1), staff("C2", max_caseload=1)])
    st = build_structure(inst, RULES)
    (comp,) = st.components
    arcs, _, counts, _ = _solve(st, comp, share=True)
    assert arcs.hubs is not None and len(arcs.hubs.hub_of_group) == 2
    v = flow._view(st, comp)
    per_staff = np.bincount(v.staff, weights=counts, minlength=2)
    assert per_staff.tolist() == [1, 1]
    result = solve(inst, RULES)
    assert sorted(result.assignment.values()) == ["C1", "C2"]


def test_cycle_scales_are_far_below_the_ranges_on_a_district(tmp_path):
    """The smaller costs are the point (fewer scaling passes): on a
    district the S1 scale is bounded by a cycle, not by S2's range."""
    inst = _roster(tmp_path, "district", 2, "tight")
    st = build_structure(inst, RULES)
    comp = max(st.components, key=lambda c: len(c.pairs))
    _, costs, _, values = _solve(st, comp, share=True)
    _, old, _, old_values = _solve(st, comp, share=True, plain_scale=True)
    levels = _levels(st)
    assert _level_values(values, levels) == _level_values(old_values, levels)
    assert int(costs.max()) * 20 < int(old.max())


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_cycle_scales_keep_the_levels_in_order(inst):
    """Small rosters, every order of the terms: the flow's levels equal
    those of the plain scales, which are lexicographic by construction
    (and CP-SAT agrees: ``test_properties``); with weighted loads, those
    before S2 (hypothesis found two weighted plans of equal flow cost
    with S2 35,275 and 26,975)."""
    st = build_structure(inst, RULES)
    if not st.groups:
        return
    orders = [_levels(st), [{"S1": 1}, {"S3": 1}, {"S2": 1}, {"S4": 1}],
              [{"S4": 1}, {"S2": 1, "S3": 3}, {"S1": 1}]]
    for levels in orders:
        for comp in st.components:
            try:
                *_, values = _solve(st, comp, share=True, levels=levels)
            except flow._NoPlan:
                with pytest.raises(flow._NoPlan):
                    _solve(st, comp, share=False, levels=levels,
                           plain_scale=True)
                continue
            *_, plain = _solve(st, comp, share=False, levels=levels,
                               plain_scale=True)
            # With weighted loads S2 is no flow cost (its places are the
            # heaviest student's): two optimal flows may differ in it and
            # in what follows it, so only the levels before it are the
            # flow's own (``flow.exact_prefix``).
            k = len(levels) if flow.exact_for(st, comp, levels) else next(
                (i for i, lv in enumerate(levels) if "S2" in lv),
                len(levels))
            assert _level_values(values, levels)[:k] == \
                _level_values(plain, levels)[:k]


def test_the_benchmark_shape_solves_to_the_same_plan_twice(tmp_path):
    inst = _roster(tmp_path, "school", 5, "tight")
    first = solve(inst, RULES, params=SolverParams())
    again = solve(inst, RULES, params=SolverParams())
    assert first.status is SolveStatus.OPTIMAL
    assert first.assignment == again.assignment
