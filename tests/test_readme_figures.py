"""The README's quoted real output matches a fresh run (issue 14).

A code block in README.md preceded by ``<!-- real-output: NAME -->`` is
checked here against the command it quotes, so the figures stay honest
when the code changes. Run times and output folders are the only parts
allowed to differ; a line ``...`` stands for lines left out.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import optimizer as cl
from optimizer.cli import main

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
SAMPLE = cl.DEFAULT_SAMPLE_DIR


def block(name: str) -> list[str]:
    """The lines of the code block marked ``real-output: name``."""
    match = re.search(rf"<!-- real-output: {re.escape(name)} -->\s*\n"
                      r"```[a-z]*\n(.*?)\n```", README, re.S)
    assert match, f"README has no block marked real-output: {name}"
    return match.group(1).splitlines()


def invoke(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exception is None or isinstance(
        result.exception, SystemExit), result.exception
    return result


def normal(line: str) -> str:
    """Without run times and output folders."""
    line = re.sub(r"\d+\.\d+ s\b", "T s", line)
    return re.sub(r"Plan written to \S+/ ", "Plan written to OUT/ ", line)


def assert_quoted(quoted: list[str], actual: str) -> None:
    """Each quoted line is in the output, in order; ``...`` skips."""
    lines = [normal(x) for x in actual.splitlines()]
    at = 0
    for q in quoted:
        if q.strip() in ("...", ""):
            continue
        q = normal(q)
        assert q in lines[at:], f"README line not in a fresh run:\n{q}"
        at = lines.index(q, at) + 1


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("readme") / "sample"
    result = invoke("plan", SAMPLE, "--out", out)
    assert result.exit_code == 0, result.output
    return out, result


def test_demo_output(demo):
    _, result = demo
    quoted = block("demo")
    assert_quoted(quoted, result.stdout)
    # The demo block is the whole summary, not an excerpt.
    assert len(quoted) == len(result.stdout.splitlines())


def test_demo_warnings(demo):
    _, result = demo
    assert_quoted(block("demo-warnings"), result.stderr)


def test_check_output(demo):
    out, _ = demo
    quoted = block("check")
    assert quoted[0] == "$ caseload check data/sample " \
        "out/sample/assignments.csv"
    result = invoke("check", SAMPLE, out / "assignments.csv")
    assert quoted[1:] == result.stdout.splitlines()


ROW = re.compile(r"^ (\S.*?)\s+(OPTIMAL|FEASIBLE|INFEASIBLE)\s+(True|False)"
                 r"\s+(\d+)\s+(-?\d+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)$")


@pytest.fixture(scope="module")
def comparison(tmp_path_factory):
    out = tmp_path_factory.mktemp("readme") / "cmp"
    files = sorted((ROOT / "scenarios").glob("*.toml"))
    result = invoke("compare", *files, "--out", out, "--no-xlsx", "--json")
    assert result.exit_code == 0, result.output
    return {r["scenario"]: r for r in json.loads(result.stdout)}


def test_compare_table(comparison):
    quoted = block("compare")
    rows, name = [], None
    for line in quoted[1:]:
        m = ROW.match(line)
        if m:
            rows.append([m.group(1), *m.groups()[1:]])
        elif rows and line.startswith(" ") and line.strip() and \
                not line.startswith("  "):
            rows[-1][0] += " " + line.strip()  # a wrapped name
        elif not line.strip():
            break
    assert len(rows) == len(comparison), rows
    for quoted_row in rows:
        name = quoted_row[0]
        assert name in comparison, name
        r = comparison[name]

        def shown(v):
            return "-" if v is None else str(v)
        fresh = [name, r["status"], str(r["proven_optimal"]),
                 str(r["students_unassigned"]), str(r["spare_places"]),
                 shown(r["best_practice"]), shown(r["continuity_kept"]),
                 shown(r["language_matches"]), shown(r["changed_vs_base"])]
        assert quoted_row == fresh, (quoted_row, fresh)


def figure(pattern: str) -> int:
    match = re.search(pattern, README, re.S)
    assert match, f"README no longer says: {pattern}"
    return int(match.group(1))


def test_compare_prose(comparison):
    base = comparison["Base roster"]
    esn = comparison["ESN position at Roosevelt unfilled"]
    ortiz = comparison["Ms. Ortiz retires"]
    slp = comparison["Hire a bilingual SLP at Lincoln"]
    waiver = comparison["Roosevelt RSP waiver to 32"]
    assert figure(r"ESN teacher at Roosevelt costs (\d+)\s+best-practice") \
        == base["best_practice"] - esn["best_practice"]
    assert figure(r"retirement moves (\d+) students") == \
        ortiz["changed_vs_base"]
    assert figure(r"retirement moves \d+ students and (\d+) lose") == \
        base["continuity_kept"] - ortiz["continuity_kept"]
    assert figure(r"bilingual SLP\s+adds (\d+) language") == \
        slp["language_matches"] - base["language_matches"]
    assert figure(r"bilingual SLP.*?moves\s+(\d+) students") == \
        slp["changed_vs_base"]
    assert figure(r"waiver at Roosevelt.*?two resource specialists at "
                  r"(\d+)%") == round(100 * waiver["RSP_util_max"])
