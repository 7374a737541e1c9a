"""Every golden fixture (tests/fixture_cases.py says how one is laid out).

For each case: ``check`` reports exactly the findings of its snapshot (rule, position, fix safety);
``fix --unsafe-fixes`` gives the expected file and ``fix`` (safe fixes only) the safe-only one (the same
file where the case has no unsafe fix); both are idempotent; and the expected program runs clean under
``python -X dev`` printing exactly its expected output.

``ASYNCMEND_UPDATE_SNAPSHOTS=1 python -m pytest tests/test_fixtures.py`` writes the snapshots that are
missing, for review before committing them; without it a missing snapshot fails.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from asyncmend import engine
from asyncmend.config import Settings

from .fixture_cases import FIXTURES, Case, FixtureError, all_cases

CASES = all_cases()
UPDATE = os.environ.get("ASYNCMEND_UPDATE_SNAPSHOTS") == "1"

# How many cases each family has. Adding a case means raising its number here: a case that silently
# stops being collected (renamed, moved, a file gone) then fails this test instead of vanishing.
CASES_PER_FAMILY = {"drain": 30, "threads": 14, "unawaited": 26}

# What a clean run under ``python -X dev`` must never print on stderr.
ASYNCIO_TROUBLE = (
    "was never awaited",
    "Task was destroyed but it is pending",
    "Task exception was never retrieved",
    "Exception in callback",
    "Non-thread-safe operation",
    "RuntimeWarning",
    "ResourceWarning",
    "Traceback",
)


def _copy(case_path: Path, dest: Path, name: str) -> Path:
    if case_path.is_dir():
        shutil.copytree(case_path, dest / name)
        return dest / name
    (dest / name).mkdir()
    target = dest / name / "main.py"
    shutil.copyfile(case_path, target)
    return target


def _files(root: Path) -> dict[str, bytes]:
    if root.is_file():
        return {"main.py": root.read_bytes()}
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*.py"))
        if "__pycache__" not in p.parts
    }


def _settings(case: Case, unsafe: bool) -> Settings:
    return Settings(jobs=1, unsafe_fixes=unsafe, **case.options())


def _fix(target: Path, case: Case, unsafe: bool) -> None:
    run = engine.fix([str(target)], _settings(case, unsafe), write=True)
    assert not run.errors, [(r.path, r.error) for r in run.errors]


def _run(target: Path) -> subprocess.CompletedProcess:
    entry = target if target.is_file() else target / "main.py"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    return subprocess.run(
        [sys.executable, "-X", "dev", entry.name], cwd=entry.parent, capture_output=True, text=True,
        timeout=60, env=env,
    )


def findings_snapshot(case: Case, tmp_path: Path) -> str:
    """What ``check`` reports on the case, one ``[PATH:]LINE:COL: CODE SAFETY`` a line."""
    target = _copy(case.input, tmp_path, "snapshot")
    root = target.parent if target.is_file() else target
    run = engine.check([str(target)], _settings(case, unsafe=True))
    assert not run.errors, [(r.path, r.error) for r in run.errors]
    lines = []
    for finding in run.findings:
        where = "" if case.input.is_file() else Path(finding.path).relative_to(root).as_posix() + ":"
        safety = finding.fix.safety if finding.fix else "no-fix"
        lines.append(f"{where}{finding.line}:{finding.col}: {finding.rule} {safety}\n")
    return "".join(lines)


def _snapshot(path: Path, got: str | bytes, what: str) -> str | bytes:
    """The stored snapshot at ``path``; written from ``got`` when missing and updating, else a failure."""
    if not path.exists():
        if not UPDATE:
            pytest.fail(f"{path.relative_to(FIXTURES)} is missing ({what}): run "
                        f"ASYNCMEND_UPDATE_SNAPSHOTS=1 python -m pytest tests/test_fixtures.py, then review it")
        if isinstance(got, bytes):
            path.write_bytes(got)
        else:
            path.write_text(got, "utf-8")
    return path.read_bytes() if isinstance(got, bytes) else path.read_text("utf-8")


def test_every_case_is_collected() -> None:
    counts: dict[str, int] = {}
    for case in CASES:
        counts[case.family] = counts.get(case.family, 0) + 1
    assert counts == CASES_PER_FAMILY


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_findings_match_snapshot(case: Case, tmp_path: Path) -> None:
    got = findings_snapshot(case, tmp_path)
    assert got == _snapshot(case.findings, got, "the findings of check")


def _has_unsafe_fix(case: Case) -> bool:
    return case.findings.exists() and " unsafe\n" in case.findings.read_text("utf-8")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_unsafe_fixes_give_expected(case: Case, tmp_path: Path) -> None:
    target = _copy(case.input, tmp_path, "work")
    _fix(target, case, unsafe=True)
    got = _files(target)
    want = _files(case.expected)
    assert got.keys() == want.keys()
    for name in want:
        assert got[name].decode() == want[name].decode(), name
        assert got[name] == want[name], name


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_safe_fixes_give_safe_expected(case: Case, tmp_path: Path) -> None:
    """``fix`` without ``--unsafe-fixes``: the safe-only file where the case has an unsafe fix, else the
    same result as with unsafe fixes."""
    target = _copy(case.input, tmp_path, "work")
    _fix(target, case, unsafe=False)
    got = _files(target)
    if not case.findings.exists():
        pytest.fail(f"{case.findings.relative_to(FIXTURES)} is missing: its findings say which runs differ")
    if not _has_unsafe_fix(case):
        assert not case.safe_expected.exists(), "no unsafe fix here: the safe-only file would be the expected one"
        assert got == _files(case.expected)
        return
    if not case.safe_expected.exists() and UPDATE:
        if case.is_folder:
            shutil.copytree(target, case.safe_expected)
        else:
            shutil.copyfile(target, case.safe_expected)
    assert case.safe_expected.exists(), (
        f"{case.safe_expected.relative_to(FIXTURES)} is missing: the case has an unsafe fix; run "
        "ASYNCMEND_UPDATE_SNAPSHOTS=1 python -m pytest tests/test_fixtures.py, then review it"
    )
    want = _files(case.safe_expected)
    assert got.keys() == want.keys()
    for name in want:
        assert got[name].decode() == want[name].decode(), name
    assert want != _files(case.expected), "an unsafe fix that changes nothing"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_fix_is_idempotent(case: Case, tmp_path: Path) -> None:
    target = _copy(case.expected, tmp_path, "work")
    before = _files(target)
    _fix(target, case, unsafe=True)
    assert _files(target) == before
    if case.safe_expected.exists():
        target = _copy(case.safe_expected, tmp_path, "safe")
        before = _files(target)
        _fix(target, case, unsafe=False)
        assert _files(target) == before


RUNNABLE = [c for c in CASES if c.runnable]


@pytest.mark.parametrize("case", RUNNABLE, ids=[c.id for c in RUNNABLE])
def test_expected_runs_clean(case: Case, tmp_path: Path) -> None:
    target = _copy(case.expected, tmp_path, "work")
    proc = _run(target)
    assert proc.returncode == 0, proc.stderr
    for trouble in ASYNCIO_TROUBLE:
        assert trouble not in proc.stderr, proc.stderr
    assert proc.stdout == _snapshot(case.expected_out, proc.stdout, "the expected program's stdout")


SHOWING = [c for c in CASES if "input-shows" in c.directives or "input-lacks" in c.directives]


@pytest.mark.parametrize("case", SHOWING, ids=[c.id for c in SHOWING])
def test_input_shows_the_mistake(case: Case, tmp_path: Path) -> None:
    target = _copy(case.input, tmp_path, "work")
    proc = _run(target)
    if "input-shows" in case.directives:
        assert case.directives["input-shows"] in proc.stdout + proc.stderr
    if "input-lacks" in case.directives:
        assert case.directives["input-lacks"] not in proc.stdout
        if case.expected_out.exists():  # the line the fix brings back
            assert case.directives["input-lacks"] in case.expected_out.read_text()


def test_cases_not_runnable_have_no_output_snapshot() -> None:
    assert [c.id for c in CASES if not c.runnable and c.expected_out.exists()] == []


# The collector refuses what it cannot place.


def _family(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp_path / "fam" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "fam" / name).write_text(text)
    return tmp_path


@pytest.mark.parametrize(
    "files, message",
    [
        ({"a.py": "x = 1\n"}, "fam/a.py: no a.expected.py beside it"),
        ({"a.expected.py": "x = 1\n"}, "fam/a.expected.py: no input a.py beside it"),
        ({"a.py": "", "a.expected.py": "", "b.findings.txt": ""}, "fam/b.findings.txt: no input b.py"),
        ({"a.py": "", "a.expected.py": "", "notes.md": ""}, "fam/notes.md: not a fixture file"),
        ({"case/expected/main.py": ""}, "fam/case: a folder case needs input/ and expected/"),
        ({"case/main.py": ""}, "fam/case: a folder case needs input/ and expected/"),
        ({"case/input/main.py": "", "case/expected/main.py": "", "case/notes": ""}, "fam/case: unexpected notes"),
        ({"case/input/x.txt": "", "case/expected/main.py": ""}, "fam/case: input/ holds no Python file"),
        ({"a.py": "x = 1\n    # fixture: run=no\n", "a.expected.py": ""},
         "fam/a.py:2: a `# fixture:` directive must start at column 0"),
        ({"a.py": "x = 1  # fixture: run=no\n", "a.expected.py": ""}, "fam/a.py:1: a `# fixture:` directive"),
        ({"case/input/main.py": "\n  # fixture: run=no\n", "case/expected/main.py": ""},
         "fam/case/input/main.py:2: a `# fixture:` directive"),
        ({"a.py": "# fixture: runs=no\n", "a.expected.py": ""}, "fam/a.py: bad directive 'runs=no'"),
        ({"a.py": "# fixture: run=maybe\n", "a.expected.py": ""}, "fam/a.py: run= must be one of yes, no"),
        ({"a.py": "# fixture: options=unsafe_fixes=false\n", "a.expected.py": ""},
         "fam/a.py: options unsafe_fixes are not case options"),
        ({"stray.py": ""}, "fixtures/: files outside a family folder: stray.py"),
    ],
)
def test_collector_fails_on_what_it_cannot_place(tmp_path: Path, files: dict[str, str], message: str) -> None:
    root = _family(tmp_path, {k: v for k, v in files.items() if k != "stray.py"})
    if "stray.py" in files:
        (root / "stray.py").write_text("")
    with pytest.raises(FixtureError) as info:
        all_cases(root)
    assert str(info.value).startswith(message), str(info.value)


def test_collector_takes_a_complete_family(tmp_path: Path) -> None:
    root = _family(tmp_path, {
        "a.py": "# fixture: run=no; options=unawaited_fix=task\n", "a.expected.py": "", "a.findings.txt": "",
        "a.safe.expected.py": "", "a.expected.out": "",
        "b/input/main.py": "# fixture: input-shows=boom\n", "b/expected/main.py": "", "b/findings.txt": "",
    })
    a, b = all_cases(root)
    assert (a.id, a.runnable, a.options(), a.is_folder) == ("fam/a", False, {"unawaited_fix": "task"}, False)
    assert (a.expected.name, a.safe_expected.name, a.findings.name) == (
        "a.expected.py", "a.safe.expected.py", "a.findings.txt")
    assert (b.id, b.runnable, b.directives, b.is_folder) == ("fam/b", True, {"input-shows": "boom"}, True)
    assert (b.expected.name, b.safe_expected.name, b.expected_out.name) == ("expected", "safe-expected",
                                                                           "expected.out")
