"""Decision variables: a count per eligible (group, staff) pair."""

from __future__ import annotations

from ortools.sat.python import cp_model

from optimizer.solver.structure import Component, Structure


class AssignmentVars:
    """``x[p]``: students of pair p's group given to its staff member.

    Variables exist only for eligible pairs (H2, H3, H4, H5, H7 are
    decided before the model is built). ``keep[p]`` counts the group's
    students whose prior case manager is that staff member and who stay.
    """

    def __init__(self, model: cp_model.CpModel, structure: Structure,
                 component: Component):
        self.structure = structure
        self.component = component
        self.x: dict[int, cp_model.IntVar] = {}
        self.keep: dict[int, cp_model.IntVar] = {}
        self.upper: dict[int, int] = {}
        self.keep_upper: dict[int, int] = {}
        # S2's auxiliaries per staff member (``objective.balance``): the
        # square, the load variable if any, and (pair, load units).
        self.squares: dict[int, tuple] = {}
        # S5's squares (``objective.meeting_calendar``): (square,
        # [(pair, meetings of one student)]).
        self.calendar_squares: list[tuple] = []
        for p in component.pairs:
            pair = structure.pairs[p]
            group = structure.groups[pair.group]
            upper = min(group.size, structure.caps[pair.staff])
            self.upper[p] = upper
            self.x[p] = model.new_int_var(0, upper, f"x_{p}")
            staff_id = structure.instance.staff[pair.staff].staff_id
            prior = group.priors.get(staff_id, 0)
            if prior:
                self.keep_upper[p] = prior
                self.keep[p] = model.new_int_var(0, min(prior, upper),
                                                 f"keep_{p}")
        self.pairs_of_staff: dict[int, list[int]] = {}
        self.pairs_of_group: dict[int, list[int]] = {}
        for p in component.pairs:
            pair = structure.pairs[p]
            self.pairs_of_staff.setdefault(pair.staff, []).append(p)
            self.pairs_of_group.setdefault(pair.group, []).append(p)

    def caseload(self, staff: int) -> cp_model.LinearExpr:
        """Students case-managed by a staff member (H6 counts students)."""
        return sum(self.x[p] for p in self.pairs_of_staff.get(staff, []))

    def weighted_load(self, staff: int) -> cp_model.LinearExpr:
        """Workload in integer weight units (for balance, S2)."""
        groups = self.structure.groups
        pairs = self.structure.pairs
        return sum(groups[pairs[p].group].weight_units * self.x[p]
                   for p in self.pairs_of_staff.get(staff, []))

    def hint(self, model: cp_model.CpModel, counts: dict[int, int]) -> None:
        """Hint a whole solution: the counts and what they determine (kept
        priors, loads, squares), so CP-SAT starts from a complete plan."""
        model.clear_hints()
        for p, x in self.x.items():
            model.add_hint(x, counts.get(p, 0))
        for p, keep in self.keep.items():
            model.add_hint(keep, min(counts.get(p, 0), self.keep_upper[p]))
        for sq, exact, parts in self.squares.values():
            load = sum(w * counts.get(p, 0) for p, w in parts)
            model.add_hint(sq, load * load)
            if exact is not None:
                model.add_hint(exact, load)
        for sq, parts in self.calendar_squares:
            meetings = sum(m * counts.get(p, 0) for p, m in parts)
            model.add_hint(sq, meetings * meetings)

    def extract(self, solver: cp_model.CpSolver) -> dict[int, int]:
        """Counts per pair in the solver's current solution."""
        return {p: solver.value(v) for p, v in self.x.items()}
