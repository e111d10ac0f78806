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


@pytest.fixture(scope="module")
def comparison(tmp_path_factory):
    """The scenario rows (--json) and the table a 100-column terminal
    shows, from one fresh comparison each."""
    out = tmp_path_factory.mktemp("readme")
    files = sorted((ROOT / "scenarios").glob("*.toml"))
    result = invoke("compare", *files, "--out", out / "json", "--no-xlsx",
                    "--json")
    assert result.exit_code == 0, result.output
    rows = {r["scenario"]: r for r in json.loads(result.stdout)}
    table = CliRunner(env={"COLUMNS": "100"}).invoke(
        main, ["compare", *map(str, files), "--out", str(out / "table"),
               "--no-xlsx"])
    assert table.exit_code == 0, table.output
    return rows, table.stdout


def test_compare_table(comparison):
    _, table = comparison
    quoted = block("compare")
    assert_quoted(quoted, "\n".join(ln.rstrip()
                                    for ln in table.splitlines()))
    # Every scenario's row is quoted, not only some of them.
    assert sum(1 for q in quoted if q.strip()) > 40


def figure(pattern: str) -> int:
    """The number a README sentence quotes (a space matches a line break)."""
    match = re.search(pattern.replace(" ", r"\s+"), README, re.S)
    assert match, f"README no longer says: {pattern}"
    return int(match.group(1))


def test_compare_prose(comparison):
    comparison, _ = comparison
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
    assert figure(r"bilingual SLP adds \d+ language matches and\s+"
                  r"moves (\d+) students") == \
        slp["changed_vs_base"]
    assert figure(r"waiver at Roosevelt.*?two resource specialists at "
                  r"(\d+)%") == round(100 * waiver["RSP_util_max"])
