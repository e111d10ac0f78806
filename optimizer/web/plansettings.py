"""The settings a plan is made with, as the file ``caseload plan``
reads (``--weights FILE``: mode, priority, authorizations, [weights]).

The roster page's controls (a mode, an order, a weight per term, the
authorizations choice) become that file; the run reads it with the
library's own reader, and the plan's settings page shows the file and
the command line that gives the same plan.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from optimizer.inputs.toml_text import quote
from optimizer.objectives import MODES, PERIODS, TERMS, ObjectiveWeights
from optimizer.rules import AUTHORIZATION_MODES

DEFAULT = ObjectiveWeights()


def defaults() -> dict:
    """The settings a new roster starts with (the CLI's defaults)."""
    return {"mode": DEFAULT.mode, "priority": list(DEFAULT.priority),
            "weights": {t: getattr(DEFAULT, t) for t in TERMS},
            "authorizations": "all", "time_limit": 60.0,
            "calendar": calendar_defaults()}


def calendar_defaults() -> dict:
    """The meeting calendar's controls (S5's weight, its period, H8's
    limit, the planning year); "" is the library's default. Settings
    saved before these controls existed read as these."""
    return {"S5": DEFAULT.S5, "period": DEFAULT.calendar_period,
            "max_meetings_per_month": "", "planning_year": ""}


class FormError(ValueError):
    """A control's value the form never offers (a hand-made request)."""


def from_form(form) -> dict:
    """Settings from the roster page's controls; the library checks the
    rest when it reads the file (a weight below zero, a repeated term)."""
    mode = str(form.get("mode") or DEFAULT.mode)
    auth = str(form.get("authorizations") or "all")
    if mode not in MODES or auth not in AUTHORIZATION_MODES:
        raise FormError("unknown setting")
    order = [str(form.get(f"order_{i}") or "").upper()
             for i in range(1, len(TERMS) + 1)]
    if not any(order):
        order = list(DEFAULT.priority)
    weights = {}
    for t in TERMS:
        raw = str(form.get(f"w_{t}") or "").strip()
        weights[t] = raw if raw else getattr(DEFAULT, t)
    try:
        limit = min(3600.0, max(1.0, float(form.get("time_limit") or 60)))
    except ValueError:
        limit = 60.0
    period = str(form.get("cal_period") or DEFAULT.calendar_period)
    if period not in PERIODS:
        raise FormError("unknown setting")
    s5 = str(form.get("w_S5") or "").strip()
    calendar = {"S5": s5 if s5 else DEFAULT.S5, "period": period,
                "max_meetings_per_month":
                    str(form.get("cal_max") or "").strip(),
                "planning_year": str(form.get("cal_year") or "").strip()}
    return {"mode": mode, "priority": order, "weights": weights,
            "authorizations": auth, "time_limit": limit,
            "calendar": calendar}


def to_toml(settings: dict) -> str:
    """The settings file (data/rules/weights.toml's format)."""
    lines = ["# Objective settings for `caseload plan --weights` "
             "(written by the workbench).",
             f"mode = {quote(settings['mode'])}",
             "priority = [" + ", ".join(quote(t) for t in
                                        settings["priority"]) + "]",
             f"authorizations = {quote(settings['authorizations'])}",
             "", "[weights]"]
    for t in TERMS:
        w = settings["weights"][t]
        lines.append(f"{t} = {_number(w)}")
    # The meeting calendar (used only with IEP meeting dates): written
    # only where it differs from the defaults, so a file without it
    # reads as before.
    cal = {**calendar_defaults(), **settings.get("calendar", {})}
    if str(cal["S5"]) != str(DEFAULT.S5):
        lines.append(f"S5 = {_number(cal['S5'])}")
    table = []
    if cal["period"] != DEFAULT.calendar_period:
        table.append(f"period = {quote(cal['period'])}")
    if str(cal["max_meetings_per_month"]).strip():
        table.append("max_meetings_per_month = "
                     + _integer(cal["max_meetings_per_month"]))
    if str(cal["planning_year"]).strip():
        table.append(f"planning_year = {quote(str(cal['planning_year']))}")
    if table:
        lines += ["", "[calendar]", *table]
    return "\n".join(lines) + "\n"


def _integer(v) -> str:
    """A whole number as TOML, else a quoted string the library's reader
    refuses with a located message ("calendar.max_meetings_per_month")."""
    text = str(v).strip()
    return text if text.isdigit() else quote(text)


def _number(w) -> str:
    """A weight as TOML: a number when it is one, else a quoted string
    the library's reader refuses with a located message."""
    try:
        return repr(float(w))
    except (TypeError, ValueError):
        return quote(str(w))


def command(roster: Path, mapping: Path | None, settings: Path,
            time_limit: float, out: Path) -> str:
    """The command line that makes the same plan."""
    parts = ["caseload", "plan", str(roster)]
    if mapping is not None:
        parts += ["--mapping", str(mapping)]
    parts += ["--weights", str(settings), "--time-limit",
              f"{time_limit:g}", "--out", str(out)]
    return shlex.join(parts)
