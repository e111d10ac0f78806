"""Objective settings: the weights TOML file and command-line overrides."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from optimizer.errors import InputError, Problem
from optimizer.inputs.tables import match_key, validation_problems
from optimizer.objectives import ObjectiveWeights


def load_weights_file(path: Path | str) -> dict[str, Any]:
    """Read an objective-settings TOML file (see data/rules/weights.toml)."""
    path = Path(path)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError([Problem(path.name, None, None, None,
                                  f"not valid TOML: {exc}")]) from None


def load_weights(path: Path | None, mode: str | None,
                 priority: str | None,
                 overrides: dict[str, float]) -> ObjectiveWeights:
    """Objective settings from a TOML file, then command-line overrides."""
    data: dict = {}
    file = str(path) if path else "weights.toml"
    if path is not None:
        raw, problems = {}, []
        for key, value in load_weights_file(path).items():
            name, hint = match_key(key, ["mode", "priority", "weights"])
            if name is None:
                problems.append(Problem(file, None, key, None,
                                        f"unknown key{hint}; keys: mode, "
                                        "priority, [weights]"))
            else:
                raw[name] = value
        if problems:
            raise InputError(problems)
        data.update({k: raw[k] for k in ("mode", "priority") if k in raw})
        data.update(raw.get("weights", {}))
    if mode:
        data["mode"] = mode
    if priority:
        data["priority"] = tuple(p.strip() for p in priority.split(","))
    data.update(overrides)
    try:
        return ObjectiveWeights(**data)
    except ValidationError as exc:
        where = file if path is not None else "command line"
        raise InputError(validation_problems(where, None, exc.errors(),
                                             key="")) from None


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
