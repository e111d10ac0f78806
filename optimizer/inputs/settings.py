"""Objective settings: the weights TOML file and command-line overrides."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from optimizer.errors import InputError, Problem
from optimizer.inputs import toml_text
from optimizer.inputs.csv_cells import match_key, validation_problems
from optimizer.objectives import ObjectiveWeights
from optimizer.rules import AUTHORIZATION_MODES, RuleSet

SETTINGS_KEYS = ["mode", "priority", "weights", "authorizations",
                 "calendar"]
# The [calendar] table: S5's period and H8's limit (ObjectiveWeights).
CALENDAR_KEYS = {"period": "calendar_period",
                 "max_meetings_per_month": "max_meetings_per_month",
                 "assessment_kinds": "assessment_kinds",
                 "assessment_max_difference": "assessment_max_difference",
                 "planning_year": "planning_year"}


def load_weights_file(path: Path | str) -> dict[str, Any]:
    """Read an objective-settings TOML file (see data/rules/weights.toml)."""
    path = Path(path)
    return toml_text.read(path)


def load_weights(path: Path | None, mode: str | None,
                 priority: str | None,
                 overrides: dict[str, float]) -> ObjectiveWeights:
    """Objective settings from a TOML file, then command-line overrides."""
    data: dict = {}
    file = str(path) if path else "weights.toml"
    if path is not None:
        raw, problems = {}, []
        for key, value in load_weights_file(path).items():
            name, hint = match_key(key, SETTINGS_KEYS)
            if name is None:
                problems.append(Problem(file, None, key, None,
                                        f"unknown key{hint}; keys: mode, "
                                        "priority, authorizations, "
                                        "[weights]"))
            else:
                raw[name] = value
        if problems:
            raise InputError(problems)
        data.update({k: raw[k] for k in ("mode", "priority") if k in raw})
        data.update(raw.get("weights", {}))
        data.update(_calendar_table(raw.get("calendar", {}), file))
    if mode:
        data["mode"] = mode
    if priority:
        if data.get("mode") != "priority":
            raise InputError([Problem(
                "command line", None, "--priority", priority,
                "an order applies only with --mode priority (the other "
                "modes weigh S2-S4); add --mode priority")])
        data["priority"] = tuple(p.strip() for p in priority.split(","))
    data.update(overrides)
    try:
        return ObjectiveWeights(**data)
    except ValidationError as exc:
        where = file if path is not None else "command line"
        # A [calendar] key is named as the file has it (calendar.period).
        table = {f: f"calendar.{k}" for k, f in CALENDAR_KEYS.items()}
        raise InputError([
            replace(p, column=table.get(p.column, p.column))
            for p in validation_problems(where, None, exc.errors(),
                                         key="")]) from None


def _calendar_table(table: Any, file: str) -> dict[str, Any]:
    """The ``[calendar]`` table as ObjectiveWeights fields."""
    if not isinstance(table, dict):
        raise InputError([Problem(file, None, "calendar", str(table),
                                  "expected a [calendar] table")])
    out, problems = {}, []
    for key, value in table.items():
        name, hint = match_key(key, list(CALENDAR_KEYS))
        if name is None:
            problems.append(Problem(file, None, f"calendar.{key}", None,
                                    f"unknown key{hint}; keys: "
                                    + ", ".join(CALENDAR_KEYS)))
        else:
            out[CALENDAR_KEYS[name]] = value
    if problems:
        raise InputError(problems)
    return out


def scenario_weights(base: ObjectiveWeights, sc) -> ObjectiveWeights:
    """The base settings with a scenario's ``[objective]`` table applied."""
    objective = sc.objective()
    if not objective:
        return base
    data = base.model_dump()
    data.update({k: objective[k] for k in ("mode", "priority")
                 if k in objective})
    data.update(objective.get("weights", {}))
    try:
        return ObjectiveWeights(**data)
    except ValidationError as exc:
        raise InputError(validation_problems(sc.path.name, None,
                                             exc.errors(),
                                             key="objective")) from None


def authorization_problem(file: str, key: str, value: Any
                          ) -> Problem | None:
    """A bad ``authorizations`` setting, located; None when it is valid."""
    if value in AUTHORIZATION_MODES:
        return None
    return Problem(file, None, key, str(value), "expected one of "
                   + ", ".join(AUTHORIZATION_MODES))


def apply_authorizations(rules: RuleSet, path: Path | None,
                         flag: str | None) -> RuleSet:
    """The rules under the ``authorizations`` setting: the command-line
    flag, else the settings file's key, else ``all``.

    ``all`` relies on every row and flags the unverified ones;
    ``verified-only`` never relies on a row marked unverified.
    """
    mode = None
    if path is not None:
        for key, value in load_weights_file(path).items():
            if match_key(key, SETTINGS_KEYS)[0] == "authorizations":
                mode = value
        bad = authorization_problem(Path(path).name, "authorizations",
                                    mode) if mode is not None else None
        if bad is not None:
            raise InputError([bad])
    return rules.with_authorization_mode(flag or mode or "all")


def scenario_rules(base: RuleSet, sc) -> RuleSet:
    """The base rules with a scenario's ``authorizations`` key applied."""
    mode = sc.data.get("authorizations")
    return base if mode is None else base.with_authorization_mode(mode)


def plan_settings(folder: Path) -> ObjectiveWeights | None:
    """The objective settings a plan folder was made with (its
    summary.json's ``parameters.objective``), so ``check`` and ``place``
    keep the district's limit (H8), period and weights as the plan did;
    None when the folder has no summary.json. A summary whose settings
    no longer read is a located error, never ignored."""
    path = Path(folder) / "summary.json"
    if not path.is_file():
        return None
    import json

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise InputError([Problem(
            str(path), None, None, None,
            "not a summary.json caseload plan wrote (not JSON): give the "
            "settings with --weights")]) from None
    # Another summary (a comparison's, or not ours): no plan settings.
    params = data.get("parameters") if isinstance(data, dict) else None
    objective = params.get("objective") if isinstance(params, dict) \
        else None
    if not isinstance(objective, dict):
        return None
    try:
        return ObjectiveWeights(**objective)
    except ValidationError as exc:
        # made by another version or tool: say what to do about it
        raise InputError([replace(p, message=(
            f"{p.message}: the settings this summary.json records do not "
            "read (made by another version or tool?); give the settings "
            "with --weights")) for p in validation_problems(
                str(path), None, exc.errors(),
                key="parameters.objective")]) from None


def settings_for(folder: Path, weights_file: Path | None
                 ) -> tuple[ObjectiveWeights, str]:
    """The settings ``check`` and ``place`` use, and where they came
    from: ``--weights`` when given, else the plan's own (summary.json
    beside its assignments), else the defaults."""
    if weights_file is not None:
        return load_weights(weights_file, None, None, {}), str(weights_file)
    found = plan_settings(folder)
    if found is not None:
        return found, str(Path(folder) / "summary.json")
    return ObjectiveWeights(), "the defaults"
