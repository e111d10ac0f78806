"""Why no plan exists: capacity shortfalls by max-flow / min-cut.

With eligibility fixed, H1 and H6 form a transportation problem: a plan
exists exactly when the maximum flow from students to staff caps carries
every student. When it does not, the source side of a minimum cut is a
set of students whose eligible staff, all together, have too few places
(Hall's condition), and the shortfall is exactly the missing flow.
"""

from __future__ import annotations

from ortools.graph.python import max_flow

from optimizer.result import CapacityShortfall
from optimizer.structure import Component, Structure


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
    total = sum(groups[g].size for g in comp.groups)
    if not comp.staff:
        return None  # students with no candidates: reported separately
    node_g = {g: 2 + i for i, g in enumerate(comp.groups)}
    node_c = {c: 2 + len(comp.groups) + i for i, c in enumerate(comp.staff)}
    flow = max_flow.SimpleMaxFlow()
    source, sink = 0, 1
    for g, n in node_g.items():
        flow.add_arc_with_capacity(source, n, groups[g].size)
    for p in comp.pairs:
        pair = structure.pairs[p]
        flow.add_arc_with_capacity(node_g[pair.group], node_c[pair.staff],
                                   total + 1)
    for c, n in node_c.items():
        flow.add_arc_with_capacity(n, sink, structure.caps[c])
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
