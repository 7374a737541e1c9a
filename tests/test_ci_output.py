"""Output for CI: GitHub annotations, SARIF 2.1.0 (checked against the official schema), statistics."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from asyncmend.cli import main
from asyncmend.codemods.registry import ALL_RULES

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text("utf-8"))

MISTAKES = """\
import asyncio


async def save(x):
    print("saved", x)


async def main():
    save(1)
    label = "héllo"; save(label)  # a non-ASCII character before the call
    await asyncio.sleep(0)
"""


def _run(args: list[str], cwd: Path) -> tuple[int, str, str]:
    old = os.getcwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(main, args, catch_exceptions=False)
    finally:
        os.chdir(old)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "jobs.py").write_text(MISTAKES)
    (tmp_path / "app" / "clean.py").write_text("x = 1\n")
    return tmp_path


def test_github_annotations(project: Path) -> None:
    code, out, err = _run(["check", "--format", "github", "app"], project)
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == (
        "::warning file=app/jobs.py,line=9,col=5,endLine=9,endColumn=12,title=AM101"
        "::AM101 Coroutine `save()` is called but never awaited"
    )
    assert lines[1].startswith("::warning file=app/jobs.py,line=10,col=22,")
    assert "Found 2 problems" in err


def test_github_escapes_properties_and_data(tmp_path: Path) -> None:
    odd = tmp_path / "a,b:c%"
    odd.mkdir()
    (odd / "m.py").write_text(MISTAKES.replace('print("saved", x)', 'print("100%\\n", x)'))
    (tmp_path / "broken.py").write_text("def (:\n")
    code, out, _ = _run(["check", "--format", "github", "."], tmp_path)
    assert code == 1
    assert "::warning file=a%2Cb%3Ac%25/m.py,line=9," in out
    assert "::error file=broken.py,title=asyncmend::cannot parse" in out


def _validate(log: dict) -> None:
    validator = jsonschema.Draft7Validator(SCHEMA, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


def _offset(text: str, line: int, col: int) -> int:
    return sum(len(x) + 1 for x in text.split("\n")[: line - 1]) + col - 1


def _apply(text: str, replacements: list[dict]) -> str:
    """Apply SARIF replacements (regions in code points) from the last to the first."""
    spans = []
    for r in replacements:
        d = r["deletedRegion"]
        start = _offset(text, d["startLine"], d["startColumn"])
        end = _offset(text, d["endLine"], d["endColumn"])
        spans.append((start, end, r.get("insertedContent", {}).get("text", "")))
    for start, end, new in sorted(spans, reverse=True):
        text = text[:start] + new + text[end:]
    return text


def test_sarif_is_valid_and_complete(project: Path) -> None:
    code, out, _ = _run(["check", "--format", "sarif", "app"], project)
    assert code == 1
    log = json.loads(out)
    _validate(log)
    assert log["version"] == "2.1.0" and len(log["runs"]) == 1
    run = log["runs"][0]
    assert run["columnKind"] == "unicodeCodePoints"
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [r.code for r in ALL_RULES]
    for descriptor, rule in zip(rules, ALL_RULES):
        assert descriptor["name"] == rule.name
        assert descriptor["help"]["markdown"] == rule.doc.strip()
        assert descriptor["properties"]["fixSafety"] == rule.fix_safety
    results = run["results"]
    assert [r["ruleId"] for r in results] == ["AM101", "AM101"]
    second = results[1]
    region = second["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 10, "startColumn": 22, "endLine": 10, "endColumn": 33}
    assert second["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "app/jobs.py", "uriBaseId": "%SRCROOT%"
    }
    # Each result's fix, applied alone, is what `asyncmend fix` does for that finding; all of them
    # together give the fixed file.
    together = []
    for result in results:
        (change,) = result["fixes"][0]["artifactChanges"]
        together.extend(change["replacements"])
        assert _apply(MISTAKES, change["replacements"]).count("await save") == 1
    code, _, _ = _run(["fix", "app"], project)
    assert code == 0
    assert _apply(MISTAKES, together) == (project / "app" / "jobs.py").read_text()


def test_sarif_reports_unreadable_files(project: Path) -> None:
    (project / "app" / "broken.py").write_text("def (:\n")
    code, out, _ = _run(["check", "--format", "sarif", "app"], project)
    assert code == 1
    log = json.loads(out)
    _validate(log)
    invocation = log["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert "cannot parse" in invocation["toolExecutionNotifications"][0]["message"]["text"]


def test_clean_run_exits_zero_in_every_format(project: Path) -> None:
    for fmt in ("text", "json", "github", "sarif"):
        code, out, _ = _run(["check", "--format", fmt, "app/clean.py"], project)
        assert code == 0, fmt
        if fmt == "sarif":
            _validate(json.loads(out))
            assert json.loads(out)["runs"][0]["results"] == []


def test_statistics(project: Path) -> None:
    code, out, _ = _run(["check", "--statistics", "app"], project)
    assert (code, out) == (1, "2\tAM101\t[*] unawaited-coroutine\n")
    code, out, _ = _run(["check", "--statistics", "--format", "json", "app"], project)
    assert json.loads(out) == [{"code": "AM101", "name": "unawaited-coroutine", "count": 2, "fixable": 2}]
    code, _, err = _run(["check", "--statistics", "--format", "sarif", "app"], project)
    assert code == 2 and "--statistics goes with" in err


def test_github_actions_snippet_runs(project: Path) -> None:
    """docs/snippets/github-workflow.yml (shown in the README): its asyncmend steps, run here."""
    workflow = yaml.safe_load((ROOT / "docs" / "snippets" / "github-workflow.yml").read_text())
    steps = workflow["jobs"]["asyncmend"]["steps"]
    commands = [s["run"] for s in steps if "run" in s and s["run"].startswith("asyncmend ")]
    assert len(commands) == 2
    upload = [s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif")]
    assert upload and upload[0]["with"]["sarif_file"] == "asyncmend.sarif"
    exe = shutil.which("asyncmend", path=os.path.dirname(sys.executable)) or shutil.which("asyncmend")
    assert exe, "the asyncmend console script is not installed"
    env = {**os.environ, "PATH": os.path.dirname(exe) + os.pathsep + os.environ.get("PATH", "")}
    outputs = []
    for command in commands:
        proc = subprocess.run(command, shell=True, cwd=project, env=env, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 1, proc.stderr  # findings fail the step
        outputs.append(proc.stdout)
    assert outputs[0].startswith("::warning file=app/jobs.py,line=9,col=5,")
    _validate(json.loads((project / "asyncmend.sarif").read_text()))


@pytest.mark.parametrize(
    "old, new",
    [
        ("a\n\x0c    f()\n", "a\n\x0c    await f()\n"),  # a form feed does not end a line
        ("a\r\n    f()\r\n", "import asyncio\r\na\r\n    await f()\r\n"),  # CRLF kept
        ("x = 'é'; f()", "x = 'é'; await f()"),  # no newline at the end, non-ASCII before
        ("a\nb\nc\n", "a\nc\n"),  # a deletion
    ],
)
def test_sarif_replacements_rebuild_the_new_text(old: str, new: str) -> None:
    from asyncmend.sarif import replacements

    assert _apply(old, replacements(old, new)) == new
