"""SEIS's *Special Education Services* report (and CALPADS SERV): one
row per student and service, joined to the student report on SEIS ID
(or SSID); a student's services are the union of their rows.

Nothing is dropped silently: a service row of a student the report does
not have, a row without the join id, two students with one join id, a
report with a header and no rows are problems; a row with no service
code is said. ``at_service_rows`` names a joined service's problem where
the user can fix it: the services report and its rows.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

from optimizer.errors import InputError, Problem
from optimizer.inputs.csv_cells import Table
from optimizer.inputs.export_headers import export_key, recognised
from optimizer.inputs.parse import split_list


def join_services(students: Table, services: Table) -> Table:
    """The student report with each student's services: the union of
    their rows in the services report, joined on SEIS ID or SSID.

    Service rows of a student the student report does not have are
    problems (nothing is dropped silently).
    """
    s_cols = recognised(students.header, "students")
    v_cols = recognised(services.header, "students")
    keys = [export_key(h) for h in students.header]
    vkeys = [export_key(h) for h in services.header]
    on = next((k for k in ("seis_id", "ssid",
                           "local_special_education_student_id")
               if k in keys and k in vkeys), None)
    if on is None:
        raise InputError([Problem(
            services.file, None, None, None,
            "the services report and the student report share no SEIS "
            "ID or SSID column to join them on")])
    if "services" not in v_cols:  # only a mapping names such a table
        raise InputError([Problem(
            services.file, None, None, None,
            "named as the services report in the mapping, but no column "
            "of it reads as the service code (" + ", ".join(
                f'"{h}"' for h in ("Special Education Service Code",
                                   "Service Code", "services"))
            + "); name the report that lists each student's services")])
    spos, vpos = keys.index(on), vkeys.index(on)
    code = v_cols["services"]
    union: dict[str, list[str]] = {}
    first_row: dict[str, int] = {}
    service_row: dict[tuple[str, str], int] = {}
    unkeyed: list[Problem] = []
    uncoded: list[Problem] = []
    for row, cells in services.rows:
        sid = cells[vpos].strip() if vpos < len(cells) else ""
        value = cells[code].strip() if code < len(cells) else ""
        if not sid:
            if any(c.strip() for c in cells):  # a row, not a blank line
                unkeyed.append(Problem(
                    services.file, row, services.header[vpos], None,
                    f"a service row without a {services.header[vpos]}: "
                    "whose service it is cannot be told"))
            continue
        items = union.setdefault(sid, [])
        first_row.setdefault(sid, row)
        if not value:
            uncoded.append(Problem(
                services.file, row, services.header[code], None,
                f"a service row of {services.header[vpos]} {sid} with no "
                "service code: no service read from it"))
        elif value not in items:
            items.append(value)
            service_row[sid, value] = row
    on_rows: dict[str, list[int]] = {}
    for r, cells in students.rows:
        if spos < len(cells) and cells[spos].strip():
            on_rows.setdefault(cells[spos].strip(), []).append(r)
    problems = [Problem(services.file, first_row[sid],
                        services.header[vpos], sid,
                        f"{services.header[vpos]} {sid} has services here "
                        f"but is not in {students.file}")
                for sid in union if sid not in on_rows]
    if s_cols.get("student_id") != spos:  # else: a duplicate student id
        problems += [Problem(
            students.file, on_rows[sid][0], students.header[spos], sid,
            f"{students.header[spos]} {sid} is on {len(on_rows[sid])} rows "
            f"(rows {', '.join(map(str, on_rows[sid]))}): whose services "
            f"in {services.file} these are cannot be told")
            for sid in union if len(on_rows.get(sid, ())) > 1]
    problems = sorted(unkeyed + problems, key=lambda p: p.row or 0)
    if not union and not unkeyed:  # a header and no rows
        problems.append(Problem(
            services.file, None, None, None,
            "the services report has a header and no service rows, so "
            "no student's services can be read from it (the wrong report "
            "exported, or a filter that left nothing?); export it again "
            "with its rows, or leave it out to plan without services"))
    if problems:
        raise InputError(problems)
    head = services.header[code]
    header = list(students.header)
    own = s_cols.get("services")
    if own is None:
        header.append(head)
    rows = []
    origin: dict[tuple[int, str], int] = {}
    for row, cells in students.rows:
        cells = list(cells) + [""] * (len(header) - len(cells))
        sid = cells[spos].strip()
        got = union.get(sid, [])
        mine: list[str] = []
        if own is not None:
            mine = split_list(cells[own])  # as the loader splits it
            cells[own] = ";".join(dict.fromkeys([*mine, *got]))
        else:
            cells[-1] = ";".join(got)
        origin.update(((row, v), service_row[sid, v]) for v in got
                      if v not in {m.strip() for m in mine})
        rows.append((row, cells))
    digest = hashlib.sha256((students.digest + services.digest).encode()
                            ).hexdigest()
    note = Problem(students.file, None, head, None,
                   f"services joined from {services.file} on "
                   f"{services.header[vpos]} ({len(services.rows)} service "
                   f"rows, {len(union)} students)")
    return replace(students, header=header, rows=rows, digest=digest,
                   notes=[*students.notes, *services.notes, note, *uncoded],
                   joined=(services.file, head if own is None
                           else students.header[own], origin))


def at_service_rows(problems: list[Problem], students: Table
                    ) -> list[Problem]:
    """A problem with a service joined from SEIS's services report named
    where the user can fix it: that report and its rows, not the student
    report's row (which has no such cell)."""
    if students.joined is None:
        return problems
    file, column, origin = students.joined
    out = []
    for p in problems:
        rows = p.rows or ((p.row,) if p.row is not None else ())
        found = [origin.get((r, p.value or "")) for r in rows]
        if (p.file != students.file or p.column != column or not rows
                or None in found):
            out.append(p)
            continue
        where = sorted(set(found))
        out.append(replace(p, file=file, row=where[0],
                           rows=tuple(where) if len(where) > 1 else ()))
    return out
