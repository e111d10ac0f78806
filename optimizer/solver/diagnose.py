"""Why no plan exists: capacity shortfalls by max-flow / min-cut.

With eligibility fixed, H1 and H6 form a transportation problem: a plan
exists exactly when the maximum flow from students to staff caps carries
every student. When it does not, the source side of a minimum cut is a
set of students whose eligible staff, all together, have too few places
(Hall's condition), and the shortfall is exactly the missing flow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.graph.python import max_flow

from optimizer.result import CapacityShortfall, Diagnosis, MeetingOverload
from optimizer.solver.calendar import calendar_view
from optimizer.solver.structure import Component, Structure


def capacity_shortfalls(structure: Structure) -> list[CapacityShortfall]:
    """One shortfall per component whose students cannot all be placed."""
    out = []
    for comp in structure.components:
        short = _component_shortfall(structure, comp)
        if short is not None:
            out.append(short)
    return out


def _component_shortfall(structure: Structure, comp: Component
                         ) -> CapacityShortfall | None:
    groups = structure.groups
    a = structure.arrays
    comp_groups = np.array(comp.groups, dtype=np.int64)
    comp_staff = np.array(comp.staff, dtype=np.int64)
    sizes = a.size[comp_groups]
    total = int(sizes.sum())
    if not comp.staff:
        return None  # students with no candidates: reported separately
    node_g = {g: 2 + i for i, g in enumerate(comp.groups)}
    node_c = {c: 2 + len(comp.groups) + i for i, c in enumerate(comp.staff)}
    flow = max_flow.SimpleMaxFlow()
    source, sink = 0, 1
    pairs = np.array(comp.pairs, dtype=np.int64)
    g_node = np.zeros(len(a.size), dtype=np.int64)
    g_node[comp_groups] = 2 + np.arange(len(comp_groups), dtype=np.int64)
    c_node = np.zeros(len(structure.caps), dtype=np.int64)
    c_node[comp_staff] = 2 + len(comp_groups) + np.arange(
        len(comp_staff), dtype=np.int64)
    caps = np.array(structure.caps, dtype=np.int64)[comp_staff]
    tails = np.concatenate([np.zeros(len(comp_groups), dtype=np.int64),
                            g_node[a.group[pairs]], c_node[comp_staff]])
    heads = np.concatenate([g_node[comp_groups], c_node[a.staff[pairs]],
                            np.full(len(comp_staff), sink,
                                    dtype=np.int64)])
    capacity = np.concatenate([sizes, np.full(len(pairs), total + 1,
                                              dtype=np.int64), caps])
    flow.add_arcs_with_capacity(tails, heads, capacity)
    if flow.solve(source, sink) != flow.OPTIMAL:
        raise RuntimeError("max-flow failed on a well-formed network")
    if flow.optimal_flow() >= total:
        return None
    side = set(flow.get_source_side_min_cut())
    inst = structure.instance
    students = [inst.students[m].student_id for g in comp.groups
                if node_g[g] in side for m in groups[g].members]
    staff = [(inst.staff[c].staff_id, inst.staff[c].name, structure.caps[c])
             for c in comp.staff if node_c[c] in side]
    sites = sorted({groups[g].student.site for g in comp.groups
                    if node_g[g] in side})
    return CapacityShortfall(tuple(students), tuple(staff),
                             total - flow.optimal_flow(), tuple(sites))


# ------------------------------------------------ H8: meetings per month


def meeting_limit_diagnosis(structure: Structure) -> Diagnosis:
    """Why no plan keeps every case manager within the monthly limit (H8).

    Month by month, a max flow sends each student's meetings that month
    to eligible case managers, each taking at most the limit (meetings
    of one student may even split, so a shortfall here is certain). The
    source side of a minimum cut names the month, the students and the
    case managers. When every month passes alone, the months together
    with the caps (H6) are what fail, and the note says so.
    """
    cal = structure.calendar
    inst = structure.instance
    found = []
    for comp in structure.components:
        view = calendar_view(structure, comp)
        if view is None or view.limit is None:
            continue
        a = structure.arrays
        pairs = np.array(comp.pairs, dtype=np.int64)
        g_local = {g: i for i, g in enumerate(comp.groups)}
        s_local = {c: i for i, c in enumerate(comp.staff)}
        n_groups = len(comp.groups)
        for m, month in enumerate(view.months):
            need = a.size[np.array(comp.groups)] * view.month[:, m]
            total = int(need.sum())
            if total <= view.limit:
                continue
            flow = max_flow.SimpleMaxFlow()
            pg = np.array([g_local[g] for g in a.group[pairs].tolist()],
                          dtype=np.int64)
            ps = np.array([s_local[c] for c in a.staff[pairs].tolist()],
                          dtype=np.int64)
            use = need[pg] > 0
            tails = np.concatenate([np.zeros(n_groups, dtype=np.int64),
                                    2 + pg[use],
                                    2 + n_groups + np.arange(
                                        len(comp.staff), dtype=np.int64)])
            heads = np.concatenate([2 + np.arange(n_groups, dtype=np.int64),
                                    2 + n_groups + ps[use],
                                    np.ones(len(comp.staff),
                                            dtype=np.int64)])
            capacity = np.concatenate([
                need, np.full(int(use.sum()), total + 1, dtype=np.int64),
                np.full(len(comp.staff), view.limit, dtype=np.int64)])
            flow.add_arcs_with_capacity(tails, heads, capacity)
            if flow.solve(0, 1) != flow.OPTIMAL:
                raise RuntimeError("max-flow failed on a well-formed "
                                   "network")
            if flow.optimal_flow() >= total:
                continue
            side = set(flow.get_source_side_min_cut())
            students = tuple(sorted(
                inst.students[x].student_id
                for i, g in enumerate(comp.groups)
                if 2 + i in side and need[i]
                for x in structure.groups[g].members))
            staff = tuple((inst.staff[c].staff_id, inst.staff[c].name)
                          for i, c in enumerate(comp.staff)
                          if 2 + n_groups + i in side)
            held = int(sum(need[i] for i in range(n_groups)
                           if 2 + i in side))
            found.append(MeetingOverload(month, students, staff, held,
                                         len(staff) * view.limit))
    notes = () if found else (
        f"no plan keeps every case manager within {cal.max_per_month} "
        "IEP meetings a month (H8) and within their caps (H6) at once, "
        "although each month alone could be spread: raise "
        "max_meetings_per_month or move some meeting dates",)
    return Diagnosis(meetings=tuple(found), notes=notes)


# ------------------------------------------- minimal conflicts and fixes


@dataclass(frozen=True)
class Fact:
    """One fact of the roster that a conflict can name."""

    kind: str  # "needs" (H1), "cap" (H6) or "pin"
    group: int | None = None
    staff: int | None = None
    count: int = 0


def minimal_conflicts(structure: Structure, max_facts: int = 4000
                      ) -> list[list[Fact]]:
    """Minimal sets of facts that cannot all hold, one per infeasible part.

    Facts: each group of identical students needs case managers (H1),
    each staff member's cap (H6), each pin. Every fact is guarded by an
    assumption literal; CP-SAT's sufficient assumptions give a first
    conflict, which a deletion filter shrinks until removing any one fact
    makes the rest satisfiable. ``structure`` must be built without pins
    (pins are facts here); ``pins`` map students to staff.
    """
    conflicts = []
    for comp in structure.components:
        facts = _facts(structure, comp)
        if len(facts) > max_facts or _feasible(structure, comp, facts):
            continue
        core = _first_core(structure, comp, facts)
        for fact in list(core):
            trial = [f for f in core if f != fact]
            if not _feasible(structure, comp, trial):
                core = trial
        conflicts.append(core)
    return conflicts


def _facts(structure: Structure, comp: Component) -> list[Fact]:
    pins = _pin_counts(structure, comp)
    facts = [Fact("needs", group=g, count=structure.groups[g].size)
             for g in comp.groups]
    facts += [Fact("cap", staff=c, count=structure.caps[c])
              for c in comp.staff]
    facts += [Fact("pin", group=g, staff=c, count=n)
              for (g, c), n in sorted(pins.items())]
    return facts


def _pin_counts(structure: Structure, comp: Component
                ) -> dict[tuple[int, int], int]:
    inst = structure.instance
    index = {c.staff_id: j for j, c in enumerate(inst.staff)}
    counts: dict[tuple[int, int], int] = {}
    for g in comp.groups:
        for m in structure.groups[g].members:
            pin = structure.pins.get(inst.students[m].student_id)
            if pin is not None:
                key = (g, index[pin])
                counts[key] = counts.get(key, 0) + 1
    return counts


def _build(structure: Structure, comp: Component, facts: list[Fact]):
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    x = {}
    for p in comp.pairs:
        pair = structure.pairs[p]
        x[(pair.group, pair.staff)] = model.new_int_var(
            0, structure.groups[pair.group].size, f"x{p}")
    by_group: dict[int, list] = {}
    by_staff: dict[int, list] = {}
    for (g, c), v in x.items():
        by_group.setdefault(g, []).append(v)
        by_staff.setdefault(c, []).append(v)
    lits = []
    for i, f in enumerate(facts):
        lit = model.new_bool_var(f"fact{i}")
        lits.append(lit)
        if f.kind == "needs":
            model.add(sum(by_group.get(f.group, [])) == f.count
                      ).only_enforce_if(lit)
        elif f.kind == "cap":
            model.add(sum(by_staff.get(f.staff, [])) <= f.count
                      ).only_enforce_if(lit)
        elif (f.group, f.staff) in x:
            model.add(x[(f.group, f.staff)] >= f.count).only_enforce_if(lit)
        else:  # pinned to someone who may not take the student
            model.add_bool_or([lit.Not()])
    for g, vs in by_group.items():
        model.add(sum(vs) <= structure.groups[g].size)
    return model, lits


def _solve(structure, comp, facts):
    from ortools.sat.python import cp_model

    model, lits = _build(structure, comp, facts)
    model.add_assumptions(lits)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 20
    return solver, solver.solve(model), lits


def satisfiable(structure: Structure, comp: Component,
                facts: list[Fact]) -> bool:
    """Whether these facts of one component can all hold together."""
    return _feasible(structure, comp, facts)


def _feasible(structure, comp, facts) -> bool:
    from ortools.sat.python import cp_model

    _, status, _ = _solve(structure, comp, facts)
    return status in (cp_model.OPTIMAL, cp_model.FEASIBLE)


def _first_core(structure, comp, facts) -> list[Fact]:
    solver, _, lits = _solve(structure, comp, facts)
    index = {lit.index: i for i, lit in enumerate(lits)}
    core = [facts[index[i]] for i in
            solver.sufficient_assumptions_for_infeasibility() if i in index]
    return core or facts
