"""docs/authorizations.md: the rules tables as a page a credential analyst
can review, generated so it cannot drift from ``data/rules``.

Run ``caseload rules --out docs/authorizations.md`` after editing the
tables; a test fails when the committed page differs from a fresh
generation.
"""

from __future__ import annotations

from optimizer.rules import AuthorizationRule, RuleSet
from optimizer.vocab import DISABILITY_NAME, describe_grades
from optimizer.vocab import INSTRUCTION_ACTIVITY as INSTRUCT

HEADER = """\
# Authorization rules: each reading and how sure it is

<!-- Generated from data/rules by `caseload rules --out \
docs/authorizations.md`. Do not edit by hand: tests/test_rules_sources.py \
fails when this page differs from the tables. -->

Which credential lets a case manager *instruct* a student (rule H4) or
*serve* them through a service on the IEP (rule H5), as the product reads
the research (`shared/reference/domain.md`, the CTC *Case Management*
guidance and the contract). A coordinator-only case manager needs none of
these (CTC guidance).

**Verified** means the row rests on a regulation, a statute or a CTC page.
**Unverified** rows rest on secondary sources (university program pages,
SELPA handbooks, third-party matrices), on a contract decision or on
nothing found; a plan that relies on one says so (summary, the
`authorization_verified` column, the report), and
`--authorizations verified-only` never relies on one.
"""


def render(rules: RuleSet) -> str:
    """The whole page as Markdown (deterministic for the same tables)."""
    rows = rules.authorizations
    verified = sum(r.verified for r in rows)
    out = [HEADER,
           "Every rules table is on this page: authorizations (H4, H5), "
           "caseload caps (H6), best practice (S1), alternate placement "
           "and the documents. The row-by-row review, with each row's "
           "evidence, is `docs/rules-review.md`.\n",
           f"{len(rows)} authorization rows: {verified} verified, "
           f"{len(rows) - verified} unverified.\n",
           "## Instruction (H4)\n",
           _table([r for r in rows if r.activity == INSTRUCT], rules),
           "## Services (H5)\n",
           "A service row reaches a student through the primary or the "
           "secondary disability; `*` means every disability.\n",
           _table([r for r in rows if r.activity != INSTRUCT], rules),
           _added(rules), _caps(rules), _best_practice(rules),
           _alt_placement(rules), _documents(rules)]
    return "\n".join(out).rstrip() + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _categories(rule: AuthorizationRule) -> str:
    if "*" in rule.categories:
        return "*"
    return ", ".join(f"{c} ({DISABILITY_NAME[c]})"
                     for c in sorted(rule.categories))


def _needs(rule: AuthorizationRule) -> str:
    needs = []
    if rule.requires_base:
        needs.append("a special-education teaching base; within its "
                     "grades")
    if rule.requires_credentials:
        needs.append("also " + " or ".join(sorted(
            rule.requires_credentials)))
    if rule.requires_secondary:
        needs.append("secondary disability " + "/".join(sorted(
            rule.requires_secondary)))
    return "; ".join(needs) or "-"


def _table(rows: list[AuthorizationRule], rules: RuleSet) -> str:
    lines = ["| row | documents | activity | disabilities | support | "
             "grades | needs | verified | source | note |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        cells = [f"`{r.rule_id}`", ";".join(sorted(r.credentials)),
                 r.activity, _categories(r),
                 "/".join(x for x in ("MM", "EX")
                          if x in r.support_levels),
                 describe_grades(r.grades), _needs(r),
                 "yes" if r.verified else "**no**", r.source, r.note]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def _added(rules: RuleSet) -> str:
    bases = sorted(c.code for c in rules.credentials.values()
                   if c.teaching_base)
    return ("## Added authorizations\n\n"
            "An added authorization works \"at the grade and age levels "
            "authorized by the prerequisite credential\" (CTC C8; 5 CCR "
            "80048.7). A row that needs a special-education teaching base "
            "applies only at grades where the person holds an instruction "
            "row of one of these documents: " + ", ".join(bases) + " (the "
            "Special Class Authorization only with the SLP credential). "
            "It is unverified when that base row is, and under "
            "`verified-only` only a verified base counts.\n")


def _caps(rules: RuleSet) -> str:
    lines = ["## Caseload caps (caseload_defaults.csv, H6)\n",
             "Every row. **Law: cap** binds anyone who does the work, "
             "whatever the order of `provides` and whether or not "
             "`max_caseload` is given (a blank cap is the law's cap times "
             "FTE; an explicit one above the waiver limit is bad input, "
             "between the cap and the limit a warning). **Law: average** is "
             "a district-wide average: each person's default, reported per "
             "person and as the average in the plan, and warned when over "
             "(an explicit cap above it is a warning). The other rows are "
             "district defaults for the first `provides` entry, times "
             "FTE.\n",
             "| provides | when | cap | with a waiver | law | verified | "
             "source |",
             "|---|---|---|---|---|---|---|"]
    for row in rules.caseload_defaults:
        when = (f"grades within {describe_grades(row.only_grades)}"
                if row.only_grades else "always")
        waiver = ("-" if row.max_with_waiver is None else
                  str(row.max_with_waiver)
                  if row.max_with_waiver > row.default_cap else "no waiver")
        lines.append("| " + " | ".join(_cell(c) for c in [
            row.provides, when, str(row.default_cap), waiver,
            row.law or "district default",
            "yes" if row.verified else "**no**", row.source]) + " |")
    return "\n".join(lines) + "\n"


def _best_practice(rules: RuleSet) -> str:
    lines = ["## Best practice (best_practice.csv, S1)\n",
             "The case manager S1 prefers: the provider of the student's "
             "most intensive item, rank 1 strongest. A ranking, never a "
             "hard rule.\n",
             "| rank | item | who | verified | source |",
             "|---|---|---|---|---|"]
    for row in sorted(rules.best_practice, key=lambda r: (r.rank,
                                                          r.provides)):
        lines.append("| " + " | ".join(_cell(c) for c in [
            str(row.rank), row.provides, row.description,
            "yes" if row.verified else "**no**", row.source]) + " |")
    return "\n".join(lines) + "\n"


def _alt_placement(rules: RuleSet) -> str:
    lines = ["## Alternate placement (alt_placement_services.csv)\n",
             "A low-incidence student placed under the secondary "
             "disability (`alt_placement_secondary`) still needs the "
             "primary category's needs addressed by a related service "
             "(CTC guidance). Any one service of the row does; a plan "
             "without it lists the student under *needs action*.\n",
             "| primary | services | verified | source | note |",
             "|---|---|---|---|---|"]
    for key in sorted(rules.related_services):
        row = rules.related_services[key]
        lines.append("| " + " | ".join(_cell(c) for c in [
            f"{row.primary} ({DISABILITY_NAME[row.primary]})",
            " or ".join(row.services), "yes" if row.verified else "**no**",
            row.source, row.note]) + " |")
    return "\n".join(lines) + "\n"


def _documents(rules: RuleSet) -> str:
    lines = ["## Documents (credentials.csv)\n",
             "| code | name | kind | teaching base | aliases | source |",
             "|---|---|---|---|---|---|"]
    for c in sorted(rules.credentials.values(), key=lambda c: c.code):
        lines.append("| " + " | ".join(_cell(x) for x in [
            f"`{c.code}`", c.name, c.kind,
            "yes" if c.teaching_base else "no", ", ".join(c.aliases),
            c.source]) + " |")
    return "\n".join(lines) + "\n"
