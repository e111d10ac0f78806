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
from optimizer.objectives import MODES, TERMS, ObjectiveWeights
from optimizer.rules import AUTHORIZATION_MODES

DEFAULT = ObjectiveWeights()


def defaults() -> dict:
    """The settings a new roster starts with (the CLI's defaults)."""
    return {"mode": DEFAULT.mode, "priority": list(DEFAULT.priority),
            "weights": {t: getattr(DEFAULT, t) for t in TERMS},
            "authorizations": "all", "time_limit": 60.0}


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
    return {"mode": mode, "priority": order, "weights": weights,
            "authorizations": auth, "time_limit": limit}


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
    return "\n".join(lines) + "\n"


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
