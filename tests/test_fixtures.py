"""Every golden fixture: the fix gives the expected file, is idempotent, and the result runs clean."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from asyncmend import engine
from asyncmend.config import Settings

from .fixture_cases import Case, all_cases

CASES = all_cases()

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


def _fix(target: Path, case: Case) -> None:
    settings = Settings(jobs=1, **case.options())
    run = engine.fix([str(target)], settings, write=True)
    assert not run.errors, [(r.path, r.error) for r in run.errors]


def _run(target: Path) -> subprocess.CompletedProcess:
    entry = target if target.is_file() else target / "main.py"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    return subprocess.run(
        [sys.executable, "-X", "dev", entry.name], cwd=entry.parent, capture_output=True, text=True,
        timeout=60, env=env,
    )


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_fix_gives_expected(case: Case, tmp_path: Path) -> None:
    target = _copy(case.input, tmp_path, "work")
    _fix(target, case)
    got = _files(target)
    want = _files(case.expected)
    assert got.keys() == want.keys()
    for name in want:
        assert got[name].decode() == want[name].decode(), name
        assert got[name] == want[name], name


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_fix_is_idempotent(case: Case, tmp_path: Path) -> None:
    target = _copy(case.expected, tmp_path, "work")
    before = _files(target)
    _fix(target, case)
    assert _files(target) == before


RUNNABLE = [c for c in CASES if c.runnable]


@pytest.mark.parametrize("case", RUNNABLE, ids=[c.id for c in RUNNABLE])
def test_expected_runs_clean(case: Case, tmp_path: Path) -> None:
    target = _copy(case.expected, tmp_path, "work")
    proc = _run(target)
    assert proc.returncode == 0, proc.stderr
    for trouble in ASYNCIO_TROUBLE:
        assert trouble not in proc.stderr, proc.stderr
    if case.expected_out is not None:
        assert proc.stdout == case.expected_out.read_text()


SHOWING = [c for c in CASES if "input-shows" in c.directives or "input-lacks" in c.directives]


@pytest.mark.parametrize("case", SHOWING, ids=[c.id for c in SHOWING])
def test_input_shows_the_mistake(case: Case, tmp_path: Path) -> None:
    target = _copy(case.input, tmp_path, "work")
    proc = _run(target)
    if "input-shows" in case.directives:
        assert case.directives["input-shows"] in proc.stdout + proc.stderr
    if "input-lacks" in case.directives:
        assert case.directives["input-lacks"] not in proc.stdout
        if case.expected_out is not None:  # the line the fix brings back
            assert case.directives["input-lacks"] in case.expected_out.read_text()
