"""The progress bar: on a terminal, for long runs, on stderr; never piped, never with --format json."""
from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from asyncmend.cli import PROGRESS_MIN_FILES

CLI = [sys.executable, "-m", "asyncmend.cli"]


@pytest.fixture(scope="module")
def many(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("many")
    for i in range(PROGRESS_MIN_FILES + 1):
        (root / f"m{i:04}.py").write_text(f"async def f{i}():\n    pass\n")
    return root


def _in_terminal(args: list[str], cwd: Path) -> tuple[int, str]:
    """Run with stdout and stderr on a pseudo-terminal; what the terminal showed."""
    main, secondary = pty.openpty()
    proc = subprocess.Popen([*CLI, *args], cwd=cwd, stdin=subprocess.DEVNULL, stdout=secondary,
                            stderr=secondary, env={**os.environ, "TERM": "xterm"})
    os.close(secondary)
    chunks = []
    while True:
        try:
            data = os.read(main, 65536)
        except OSError:  # the other side closed
            break
        if not data:
            break
        chunks.append(data)
    os.close(main)
    return proc.wait(timeout=120), b"".join(chunks).decode("utf-8", "replace")


def test_bar_on_a_terminal_for_long_runs(many: Path) -> None:
    code, shown = _in_terminal(["check", "-j", "1", "."], many)
    assert code == 0
    assert "Checking" in shown and "100%" in shown
    assert "No problems found." in shown


def test_no_bar_for_short_runs(many: Path) -> None:
    code, shown = _in_terminal(["check", "m0001.py", "m0002.py"], many)
    assert code == 0 and "Checking" not in shown


def test_no_bar_with_json_output(many: Path) -> None:
    code, shown = _in_terminal(["check", "-j", "1", "--format", "json", "."], many)
    assert code == 0 and "Checking" not in shown and "%" not in shown


def test_no_bar_when_piped(many: Path) -> None:
    proc = subprocess.run([*CLI, "check", "-j", "1", "."], cwd=many, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0
    assert "Checking" not in proc.stderr and proc.stdout == ""
