"""Every golden fixture (tests/fixture_cases.py says how one is laid out).

For each case: ``check`` reports exactly the findings of its snapshot (rule, position, fix safety);
``fix --unsafe-fixes`` gives the expected file (the input unchanged where there is none) and ``fix``
(safe fixes only) the safe-only one (the same result as with unsafe fixes where the case has no unsafe
fix); both are idempotent; and the expected program runs clean under ``python -X dev`` printing exactly
its expected output.

``ASYNCMEND_UPDATE_SNAPSHOTS=1 python -m pytest tests/test_fixtures.py`` writes the snapshots that are
missing, for review before committing them; without it a missing snapshot fails.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from asyncmend import engine
from asyncmend.config import Settings

from .fixture_cases import FIXTURES, Case, FixtureError, all_cases, files

CASES = all_cases()
UPDATE = os.environ.get("ASYNCMEND_UPDATE_SNAPSHOTS") == "1"

# How many cases each family has. Adding a case means raising its number here: a case that silently
# stops being collected (renamed, moved, a file gone) then fails this test instead of vanishing.
CASES_PER_FAMILY = {"drain": 30, "threads": 29, "unawaited": 34}

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


def _write(case: Case, tree: dict[str, bytes], dest: Path, name: str) -> Path:
    """``tree`` (as ``files`` gives it) written under ``dest/name``: the folder of a folder case, the
    file of a file case."""
    for path, data in tree.items():
        (dest / name / path).parent.mkdir(parents=True, exist_ok=True)
        (dest / name / path).write_bytes(data)
    return dest / name if case.is_folder else dest / name / "main.py"


def _copy(case: Case, dest: Path, name: str) -> Path:
    return _write(case, files(case.input), dest, name)


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
    target = _copy(case, tmp_path, "snapshot")
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


def _same_files(got: dict[str, bytes], want: dict[str, bytes]) -> None:
    assert got.keys() == want.keys()
    for name in want:
        assert got[name].decode() == want[name].decode(), name  # a readable diff first
        assert got[name] == want[name], name


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_unsafe_fixes_give_expected(case: Case, tmp_path: Path) -> None:
    target = _copy(case, tmp_path, "work")
    _fix(target, case, unsafe=True)
    _same_files(files(target), case.expected_files())


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_safe_fixes_give_safe_expected(case: Case, tmp_path: Path) -> None:
    """``fix`` without ``--unsafe-fixes``: the safe-only file where the case has both a safe and an
    unsafe fix, the input where it has no safe fix, else the same result as with unsafe fixes."""
    target = _copy(case, tmp_path, "work")
    _fix(target, case, unsafe=False)
    got = files(target)
    if not case.findings.exists():
        pytest.fail(f"{case.findings.relative_to(FIXTURES)} is missing: its findings say which runs differ")
    if "unsafe" not in case.safeties():
        assert not case.safe_expected.exists(), "no unsafe fix here: the safe-only file would be the expected one"
    elif not case.safe_expected.exists() and "safe" in case.safeties():
        if not UPDATE:
            pytest.fail(f"{case.safe_expected.relative_to(FIXTURES)} is missing: the case has a safe and an unsafe "
                        "fix; run ASYNCMEND_UPDATE_SNAPSHOTS=1 python -m pytest tests/test_fixtures.py, then review it")
        expected = case.safe_default()
        differs = {name: data for name, data in got.items() if expected.get(name) != data}
        if not differs:
            pytest.fail("an unsafe fix that changes nothing: fix gives what fix --unsafe-fixes gives")
        if case.is_folder:
            _write(case, differs, case.safe_expected.parent, case.safe_expected.name)
        else:
            case.safe_expected.write_bytes(differs["main.py"])
    _same_files(got, case.safe_expected_files())


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_fix_is_idempotent(case: Case, tmp_path: Path) -> None:
    target = _write(case, case.expected_files(), tmp_path, "work")
    _fix(target, case, unsafe=True)
    assert files(target) == case.expected_files()
    if case.safe_expected_files() != case.expected_files():
        target = _write(case, case.safe_expected_files(), tmp_path, "safe")
        _fix(target, case, unsafe=False)
        assert files(target) == case.safe_expected_files()


RUNNABLE = [c for c in CASES if c.runnable]


@pytest.mark.parametrize("case", RUNNABLE, ids=[c.id for c in RUNNABLE])
def test_expected_runs_clean(case: Case, tmp_path: Path) -> None:
    target = _write(case, case.expected_files(), tmp_path, "work")
    proc = _run(target)
    assert proc.returncode == 0, proc.stderr
    for trouble in ASYNCIO_TROUBLE:
        assert trouble not in proc.stderr, proc.stderr
    assert proc.stdout == _snapshot(case.expected_out, proc.stdout, "the expected program's stdout")


SHOWING = [c for c in CASES if "input-shows" in c.directives or "input-lacks" in c.directives]


@pytest.mark.parametrize("case", SHOWING, ids=[c.id for c in SHOWING])
def test_input_shows_the_mistake(case: Case, tmp_path: Path) -> None:
    target = _copy(case, tmp_path, "work")
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


def _family(tmp_path: Path, entries: dict[str, str]) -> Path:
    for name, text in entries.items():
        (tmp_path / "fam" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "fam" / name).write_text(text)
    return tmp_path


NEGATIVE = {"AM101_negative_a.py": "x = 1\n", "AM101_negative_a.findings.txt": ""}  # a case that holds
FIXED = {"AM101_a.py": "x = 1\n", "AM101_a.expected.py": "x = 2\n", "AM101_a.findings.txt": "1:1: AM101 safe\n"}
FOLDER = {"AM101_c/input/main.py": "x = 1\n", "AM101_c/input/m.py": "y = 1\n",
          "AM101_c/expected/main.py": "x = 2\n", "AM101_c/findings.txt": "main.py:1:1: AM101 safe\n"}


@pytest.mark.parametrize(
    "entries, message",
    [
        ({"AM101_a.py": "x = 1\n"},
         "fam/AM101_a.py: neither AM101_a.expected.py nor AM101_a.findings.txt beside it"),
        ({"AM101_a.expected.py": "x = 1\n"}, "fam/AM101_a.expected.py: no input AM101_a.py beside it"),
        ({**NEGATIVE, "b.findings.txt": ""}, "fam/b.findings.txt: no input b.py"),
        ({**NEGATIVE, "notes.md": ""}, "fam/notes.md: not a fixture file"),
        ({"AM101_c/expected/main.py": ""}, "fam/AM101_c: a folder case needs input/"),
        ({"AM101_c/main.py": ""}, "fam/AM101_c: a folder case needs input/"),
        ({**FOLDER, "AM101_c/notes": ""}, "fam/AM101_c: unexpected notes"),
        ({"AM101_c/input/x.txt": "", "AM101_c/findings.txt": ""}, "fam/AM101_c: input/ holds no Python file"),
        ({**NEGATIVE, "AM101_negative_a.py": "x = 1\n    # fixture: run=no\n"},
         "fam/AM101_negative_a.py:2: a `# fixture:` directive must start at column 0"),
        ({**NEGATIVE, "AM101_negative_a.py": "x = 1  # fixture: run=no\n"},
         "fam/AM101_negative_a.py:1: a `# fixture:` directive"),
        ({**FOLDER, "AM101_c/input/main.py": "\n  # fixture: run=no\n"},
         "fam/AM101_c/input/main.py:2: a `# fixture:` directive"),
        ({**NEGATIVE, "AM101_negative_a.py": "# fixture: runs=no\n"},
         "fam/AM101_negative_a.py: bad directive 'runs=no'"),
        ({**NEGATIVE, "AM101_negative_a.py": "# fixture: run=maybe\n"},
         "fam/AM101_negative_a.py: run= must be one of yes, no"),
        ({**NEGATIVE, "AM101_negative_a.py": "# fixture: options=unsafe_fixes=false\n"},
         "fam/AM101_negative_a.py: options unsafe_fixes are not case options"),
        ({"stray.py": ""}, "fixtures/: files outside a family folder: stray.py"),
        # named after a rule that exists, which its findings show unless the case is a negative one
        ({"a.py": "x = 1\n", "a.findings.txt": ""}, "fam/a.py: a case is named after the rule it is about"),
        ({"AM999_a.py": "x = 1\n", "AM999_a.findings.txt": "1:1: AM999 safe\n"},
         "fam/AM999_a.py: a case is named after the rule it is about"),
        ({"am101_a.py": "x = 1\n", "am101_a.findings.txt": ""}, "fam/am101_a.py: a case is named after"),
        ({"AM101/input/main.py": "x = 1\n", "AM101/findings.txt": ""}, "fam/AM101: a case is named after"),
        ({**FIXED, "AM101_a.findings.txt": "1:1: AM102 safe\n"}, "fam/AM101_a.findings.txt: no AM101 finding"),
        ({"AM101_a.py": "x = 1\n", "AM101_a.findings.txt": ""}, "fam/AM101_a.findings.txt: no AM101 finding"),
        ({**FOLDER, "AM101_c/findings.txt": "main.py:1:1: AM102 safe\n"},
         "fam/AM101_c/findings.txt: no AM101 finding"),
        # no byte-identical twin of what an absent file stands for
        ({**FIXED, "AM101_a.expected.py": "x = 1\n"},
         "fam/AM101_a.expected.py: a byte-identical twin of the input"),
        ({**FIXED, "AM101_a.safe.expected.py": "x = 2\n"},
         "fam/AM101_a.safe.expected.py: a byte-identical twin of the expected result"),
        ({**FIXED, "AM101_a.findings.txt": "1:1: AM101 unsafe\n", "AM101_a.safe.expected.py": "x = 1\n"},
         "fam/AM101_a.safe.expected.py: a byte-identical twin of the input (every fix is unsafe)"),
        ({**NEGATIVE, "AM101_negative_a.safe.expected.py": "x = 1\n"},
         "fam/AM101_negative_a.safe.expected.py: a byte-identical twin of the expected result"),
        ({**FOLDER, "AM101_c/expected/m.py": "y = 1\n"},
         "fam/AM101_c/expected/m.py: a byte-identical twin of the input"),
        ({**FOLDER, "AM101_c/safe-expected/main.py": "x = 2\n"},
         "fam/AM101_c/safe-expected/main.py: a byte-identical twin of the expected result"),
        ({**FOLDER, "AM101_c/expected/other.py": "z = 1\n"},
         "fam/AM101_c/expected/other.py: no such file in the input"),
    ],
)
def test_collector_fails_on_what_it_cannot_place(tmp_path: Path, entries: dict[str, str], message: str) -> None:
    root = _family(tmp_path, {k: v for k, v in entries.items() if k != "stray.py"})
    if "stray.py" in entries:
        (root / "stray.py").write_text("")
    with pytest.raises(FixtureError) as info:
        all_cases(root)
    assert str(info.value).startswith(message), str(info.value)


def test_collector_takes_a_complete_family(tmp_path: Path) -> None:
    root = _family(tmp_path, {
        **FIXED, "AM101_a.py": "# fixture: run=no; options=unawaited_fix=task\nx = 1\n",
        "AM101_a.safe.expected.py": "x = 3\n", "AM101_a.expected.out": "",
        "AM102_b/input/main.py": "# fixture: input-shows=boom\n", "AM102_b/input/m.py": "y = 1\n",
        "AM102_b/expected/main.py": "", "AM102_b/findings.txt": "main.py:1:1: AM102 safe\n",
        **NEGATIVE,
    })
    a, negative, b = all_cases(root)
    assert (a.id, a.rule, a.negative, a.runnable, a.options(), a.is_folder) == (
        "fam/AM101_a", "AM101", False, False, {"unawaited_fix": "task"}, False)
    assert (a.expected.name, a.safe_expected.name, a.findings.name) == (
        "AM101_a.expected.py", "AM101_a.safe.expected.py", "AM101_a.findings.txt")
    assert (a.expected_files(), a.safe_expected_files()) == ({"main.py": b"x = 2\n"}, {"main.py": b"x = 3\n"})
    assert (b.id, b.rule, b.runnable, b.directives, b.is_folder) == (
        "fam/AM102_b", "AM102", True, {"input-shows": "boom"}, True)
    assert (b.expected.name, b.safe_expected.name, b.expected_out.name) == ("expected", "safe-expected",
                                                                           "expected.out")
    # a folder's expected/ holds the files the fix changes; safe-expected/, absent, stands for it
    assert b.expected_files() == b.safe_expected_files() == {"main.py": b"", "m.py": b"y = 1\n"}
    # no expected file: the fix leaves the input as it is
    assert (negative.id, negative.rule, negative.negative, negative.expected.exists()) == (
        "fam/AM101_negative_a", "AM101", True, False)
    assert negative.expected_files() == negative.safe_expected_files() == {"main.py": b"x = 1\n"}
