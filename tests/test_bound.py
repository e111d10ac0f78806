"""The weight-token bound (solver/bound.py), built from arrays, equals its
plain definition pair by pair: a weaker bound would still be valid, so
only this comparison notices one (test_properties checks validity)."""

from __future__ import annotations

from math import gcd

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from ortools.graph.python import min_cost_flow

from bench.generate import generate, write
from optimizer.inputs.roster import load_roster
from optimizer.objectives import (
    TERMS,
    ObjectiveWeights,
    balance_coefficient,
    best_practice_miss,
    language_miss,
)
from optimizer.solver.bound import weighted_lower_bound
from optimizer.solver.flow import solve_flow
from optimizer.solver.structure import build_structure
from tests.test_mip import weighted_instances
from tests.test_properties import RULES


def plain_token_bound(structure, component, level, lam, s1_optimum):
    """One token flow, arc by arc, as its docstring describes it."""
    groups, pairs, caps = structure.groups, structure.pairs, structure.caps
    active = [g for g in component.groups if groups[g].weight_units > 0]
    if not active:
        return 0
    unit = 0
    for g in active:
        unit = gcd(unit, groups[g].weight_units)
    tokens = {g: groups[g].weight_units // unit for g in active}
    scale = 1
    for t in set(tokens.values()):
        scale = scale * t // gcd(scale, t)
    c1, c2, c3, c4 = (level.get(t, 0) for t in TERMS)
    c1 += lam
    node = {g: i for i, g in enumerate(active)}
    node |= {("s", c): len(active) + i
             for i, c in enumerate(component.staff)}
    sink = len(node)
    reach = dict.fromkeys(component.staff, 0)
    arcs, allowed = [], 0
    for p in component.pairs:
        pair = pairs[p]
        if pair.group not in tokens:
            continue
        group, tok = groups[pair.group], tokens[pair.group]
        per = scale // tok
        base = per * (c1 * best_practice_miss(pair.check)
                      + c4 * language_miss(pair.check))
        prior = group.priors.get(
            structure.instance.staff[pair.staff].staff_id, 0)
        allowed += prior
        reach[pair.staff] += tok * group.size
        tail, head = node[pair.group], node[("s", pair.staff)]
        if prior:
            arcs.append((tail, head, tok * prior, base - per * c3))
        arcs.append((tail, head, tok * group.size, base))
    for c in component.staff:
        a = balance_coefficient(caps[c]) * unit * unit
        places = min(reach[c], caps[c] * max(tokens.values()))
        for k in range(1, places + 1):
            arcs.append((node[("s", c)], sink, 1,
                         scale * c2 * a * (2 * k - 1)))
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(
        *(np.array(x, dtype=np.int64) for x in zip(*arcs)))
    supplies = np.zeros(sink + 1, dtype=np.int64)
    for g in active:
        supplies[node[g]] = tokens[g] * groups[g].size
    supplies[sink] = -int(supplies.sum())
    flow.set_nodes_supplies(np.arange(sink + 1, dtype=np.int64), supplies)
    if flow.solve() != flow.OPTIMAL:
        return 0
    return (-(-flow.optimal_cost() // scale) + c3 * allowed
            - lam * s1_optimum)


def plain_lambda(structure, component, level):
    """More than any one student can change the level by moving."""
    caps = structure.caps
    w = max(structure.groups[g].weight_units for g in component.groups)
    top = max(balance_coefficient(caps[c]) * (2 * caps[c] * w + w) * w
              for c in component.staff)
    return (2 * level.get("S2", 0) * top + level.get("S3", 0)
            + level.get("S4", 0) + 1)


def assert_same_bounds(inst):
    st = build_structure(inst, RULES)
    st.groups = list(st.groups)
    for weights in (ObjectiveWeights(), ObjectiveWeights(mode="priority")):
        levels = weights.levels(st.weight_scale)
        for comp in st.components:
            flow = solve_flow(st, comp, levels)
            if flow is None:  # no plan: nothing to bound
                continue
            s1 = flow.levels[0].objective
            for level in levels[1:]:
                expected = plain_token_bound(st, comp, level, 0, 0)
                if "S1" not in level:
                    lam = plain_lambda(st, comp, level)
                    expected = max(expected, plain_token_bound(
                        st, comp, level, lam, s1))
                assert weighted_lower_bound(st, comp, level, s1) == expected


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(weighted_instances())
def test_token_bound_equals_its_plain_definition(inst):
    assert_same_bounds(inst)


@pytest.mark.parametrize("shape", ["connected", "regional"])
def test_token_bound_equals_its_plain_definition_on_a_school(tmp_path, shape):
    students, staff = generate("school", seed=3, weighted=True, shape=shape)
    write(students, staff, tmp_path)
    assert_same_bounds(load_roster(tmp_path, RULES).instance)


def test_token_bound_equals_its_plain_definition_with_zero_weights(
        tmp_path):
    students, staff = generate("school", seed=5, weighted=True)
    write(students, staff, tmp_path)
    inst = load_roster(tmp_path, RULES).instance
    people = tuple(s.model_copy(update={"weight": 0.0}) if i % 5 == 0
                   else s for i, s in enumerate(inst.students))
    assert_same_bounds(inst.model_copy(update={"students": people}))
