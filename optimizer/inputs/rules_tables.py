"""Load the rules tables (data/rules) into a RuleSet."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from optimizer.errors import InputError, Problem
from optimizer.inputs import parse
from optimizer.inputs.tables import (
    DEFAULT_RULES_DIR,
    Table,
    read_table,
    records,
)
from optimizer.rules import (
    AVERAGE_LAW,
    CAP_LAW,
    CASELOAD_LAWS,
    AuthorizationRule,
    BestPracticeRule,
    CaseloadDefault,
    CredentialInfo,
    RelatedServiceRule,
    RuleSet,
)
from optimizer.vocab import LOW_INCIDENCE, SERVICES


def load_rules(path: Path | str | None = None) -> RuleSet:
    """Load the rules tables from a folder (default: the bundled copy)."""
    path = Path(path) if path is not None else DEFAULT_RULES_DIR
    problems: list[Problem] = []
    names = ["credentials.csv", "authorizations.csv", "caseload_defaults.csv",
             "best_practice.csv", "alt_placement_services.csv"]
    tables = {}
    for name in names:
        file = path / name
        if not file.is_file():
            problems.append(Problem(name, None, None, None,
                                    f"missing from the rules folder {path}"))
            continue
        tables[name] = read_table(file, [])
    if problems:
        raise InputError(problems)
    digest = hashlib.sha256("".join(
        tables[n].digest for n in names).encode()).hexdigest()
    creds = _rows_as_models(tables["credentials.csv"], problems, _credential)
    credentials = {c.code: c for c in creds}
    auths = _rows_as_models(tables["authorizations.csv"], problems,
                            _authorization)
    for rule, (row, _) in zip(auths, tables["authorizations.csv"].rows):
        for code in (rule.credentials | rule.requires_credentials
                     ) - set(credentials):
            problems.append(Problem("authorizations.csv", row,
                                    "credentials", code,
                                    "not listed in credentials.csv"))
    defaults = _rows_as_models(tables["caseload_defaults.csv"], problems,
                               _caseload_default)
    ranks = {}
    best: list[BestPracticeRule] = []
    for row, rec in records(tables["best_practice.csv"]):
        try:
            ranks[rec["provides"].upper()] = int(rec["rank"])
        except (KeyError, ValueError):
            problems.append(Problem("best_practice.csv", row, "rank",
                                    rec.get("rank"), "expected a whole "
                                    "number"))
            continue
        try:
            verified = _yes(rec.get("verified", ""))
        except ValueError as exc:
            problems.append(Problem("best_practice.csv", row, "verified",
                                    rec.get("verified"), str(exc)))
            continue
        best.append(BestPracticeRule(
            rank=int(rec["rank"]), provides=rec["provides"].upper(),
            description=rec.get("description", ""), verified=verified,
            source=rec.get("source", "")))
    related = _related_services(tables["alt_placement_services.csv"],
                                problems)
    if problems:
        raise InputError(problems)
    return RuleSet(credentials=credentials, authorizations=tuple(auths),
                   caseload_defaults=tuple(defaults),
                   best_practice_rank=ranks, best_practice=tuple(best),
                   related_services=related,
                   source_hash=digest)


def _related_services(table: Table, problems: list[Problem]
                      ) -> dict[str, RelatedServiceRule]:
    """alt_placement_services.csv: primary category -> related services."""
    out: dict[str, RelatedServiceRule] = {}
    for row, rec in records(table):
        found = len(problems)

        def bad(column: str, value: str, message: str,
                row: int = row) -> None:
            problems.append(Problem(table.file, row, column, value, message))

        cell = rec.get("primary_disability", "")
        primary = ""
        try:
            primary = parse.disability(cell)
        except ValueError as exc:
            bad("primary_disability", cell, str(exc))
        if primary and primary not in LOW_INCIDENCE:
            bad("primary_disability", cell, "the alternate-placement rule "
                "applies only to a low-incidence category (HH, DEAF, VI, "
                "OI, DB)")
        elif primary in out:
            bad("primary_disability", cell, "listed twice")
        services = parse.split_list(rec.get("services", ""))
        if not services:
            bad("services", "", "a value is required")
        for code in services:
            if code.upper() not in SERVICES:
                bad("services", code, f'unknown service "{code}"; expected '
                    f"one of {', '.join(SERVICES)}")
        try:
            verified = _yes(rec.get("verified", ""))
        except ValueError as exc:
            bad("verified", rec.get("verified", ""), str(exc))
        if not rec.get("source"):
            bad("source", "", "a citation is required")
        if len(problems) == found:
            out[primary] = RelatedServiceRule(
                primary=primary,
                services=tuple(c.upper() for c in services),
                verified=verified, source=rec["source"],
                note=rec.get("note", ""))
    return out


def _rows_as_models(table: Table, problems: list[Problem],
                    build: Callable[[dict[str, str]], Any]) -> list[Any]:
    out = []
    for row, rec in records(table):
        try:
            out.append(build(rec))
        except (KeyError, ValueError) as exc:
            problems.append(Problem(table.file, row, None, None, str(exc)))
    return out


def _yes(text: str) -> bool:
    return parse.boolean(text) if text else False


def _credential(rec: dict[str, str]) -> CredentialInfo:
    return CredentialInfo(code=rec["code"], name=rec["name"],
                          kind=rec["kind"],
                          aliases=tuple(parse.split_list(rec["aliases"])),
                          issued_today=_yes(rec.get("issued_today", "")),
                          source=rec["source"],
                          teaching_base=_yes(rec.get("teaching_base", "")))


def _authorization(rec: dict[str, str]) -> AuthorizationRule:
    cats = frozenset(parse.split_list(rec["categories"]))
    return AuthorizationRule(
        rule_id=rec["rule_id"],
        credentials=frozenset(parse.split_list(rec["credentials"])),
        activity=rec["activity"].upper(),
        categories=cats if "*" in cats else frozenset(
            parse.disability(c) for c in cats),
        support_levels=frozenset(parse.split_list(rec["support_levels"])),
        grades=parse.grades(rec["grades"]),
        requires_base=_yes(rec["requires_base"]),
        requires_credentials=frozenset(
            parse.split_list(rec.get("requires_credentials", ""))),
        requires_secondary=frozenset(
            parse.disability(c)
            for c in parse.split_list(rec["requires_secondary"])),
        verified=_yes(rec["verified"]),
        source=rec["source"], note=rec.get("note", ""))


def _caseload_default(rec: dict[str, str]) -> CaseloadDefault:
    only = rec.get("only_grades", "")
    most = (parse.non_negative_int(rec["max_with_waiver"])
            if rec.get("max_with_waiver") else None)
    # A row with a waiver limit is a cap set by law (as in tables older
    # than the law column).
    law = (rec.get("law", "").strip().lower()
           or (CAP_LAW if most is not None else ""))
    if law not in CASELOAD_LAWS:
        raise ValueError(f'law "{rec["law"]}": expected "{CAP_LAW}", '
                         f'"{AVERAGE_LAW}" or blank')
    return CaseloadDefault(
        provides=rec["provides"].upper(),
        only_grades=parse.grades(only) if only else None,
        default_cap=parse.non_negative_int(rec["default_cap"]),
        max_with_waiver=most, law=law,
        verified=_yes(rec["verified"]), source=rec["source"])


