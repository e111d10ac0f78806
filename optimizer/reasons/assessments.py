"""Why an initial assessment (AB 560) is left unassigned, in the
district's terms: who serves its site, and what they lack."""

from __future__ import annotations

from optimizer.domain import Assessment, Staff
from optimizer.vocab import describe_grades


def why_unassigned(a: Assessment, staff: tuple[Staff, ...],
                   kinds: tuple[str, ...]) -> str:
    """One sentence: nobody at the site provides the kinds, or those who
    do do not serve the grade."""
    named = "/".join(kinds)
    at_site = [c for c in staff if c.serves_site(a.site)]
    if not at_site:
        return f"no staff member serves site {a.site}"
    of_kind = [c for c in at_site if any(k in c.provides for k in kinds)]
    if not of_kind:
        provided = sorted({p for c in at_site for p in c.provides})
        return (f"nobody serving site {a.site} provides {named} (they "
                f"provide {', '.join(provided)}); [calendar] "
                "assessment_kinds names who may take assessments")
    who = "; ".join(f"{c.staff_id} grades {describe_grades(c.grades)}"
                    for c in of_kind[:5])
    more = f" and {len(of_kind) - 5} more" if len(of_kind) > 5 else ""
    return (f"the {named} staff at site {a.site} ({who}{more}) do not "
            f"serve grade {a.grade}")
