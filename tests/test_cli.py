"""The command line: exit codes, output formats, --diff, configuration, encodings, bad files."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from asyncmend.cli import main

BUGGY = b"""import asyncio


async def ping():
    print("ping")


async def main():
    ping()


asyncio.run(main())
"""

CLEAN = b"""import asyncio


async def main():
    await asyncio.sleep(0)
"""


def run(args, cwd: Path, stdin: str | None = None):
    runner = CliRunner()
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return runner.invoke(main, args, input=stdin, catch_exceptions=False)
    finally:
        os.chdir(old)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "bad.py").write_bytes(BUGGY)
    (tmp_path / "pkg" / "good.py").write_bytes(CLEAN)
    return tmp_path


def test_check_reports_and_exits_1(tree: Path) -> None:
    result = run(["check", "pkg"], tree)
    assert result.exit_code == 1
    assert "pkg/bad.py:9:5: AM101 [*] Coroutine `ping()` is called but never awaited" in result.stdout
    assert "Found 1 problem in 1 file.\n[*] 1 fixable with `asyncmend fix`" in result.stderr


def test_check_clean_exits_0(tree: Path) -> None:
    result = run(["check", "pkg/good.py"], tree)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""


def test_check_json_shape(tree: Path) -> None:
    result = run(["check", "--format", "json", "pkg"], tree)
    assert result.exit_code == 1
    [item] = json.loads(result.stdout)
    assert {"path", "line", "col", "end_line", "end_col", "rule", "name", "message", "fixable"} <= item.keys()
    assert (item["rule"], item["name"], item["line"], item["col"], item["fixable"]) == (
        "AM101", "unawaited-coroutine", 9, 5, True
    )
    assert (item["end_line"], item["end_col"]) == (9, 11)


def test_diff_writes_nothing_and_check_exits_1(tree: Path) -> None:
    result = run(["fix", "--diff", "--check", "pkg"], tree)
    assert result.exit_code == 1
    assert "-    ping()\n+    await ping()\n" in result.stdout
    assert "\x1b[" not in result.stdout  # no colour when not a terminal
    assert (tree / "pkg" / "bad.py").read_bytes() == BUGGY
    assert run(["fix", "--diff", "pkg"], tree).exit_code == 1  # as ruff: --diff exits 1 on changes
    assert run(["fix", "--diff", "pkg/good.py"], tree).exit_code == 0


def test_fix_writes_and_second_run_is_clean(tree: Path) -> None:
    result = run(["fix", "pkg"], tree)
    assert result.exit_code == 0, result.output
    assert "fixed pkg/bad.py (1 fix)" in result.stderr
    assert b"    await ping()\n" in (tree / "pkg" / "bad.py").read_bytes()
    assert (tree / "pkg" / "good.py").read_bytes() == CLEAN
    assert run(["check", "pkg"], tree).exit_code == 0


def test_select_ignore_and_unknown_selector(tree: Path) -> None:
    assert run(["check", "--ignore", "AM101", "pkg"], tree).exit_code == 0
    assert run(["check", "--ignore", "unawaited-coroutine", "pkg"], tree).exit_code == 0
    assert run(["check", "--select", "AM1", "pkg"], tree).exit_code == 1
    result = run(["check", "--select", "XX999", "pkg"], tree)
    assert result.exit_code == 2
    assert "XX999" in result.stderr


def test_config_in_pyproject(tree: Path) -> None:
    (tree / "pyproject.toml").write_text('[tool.asyncmend]\nignore = ["AM101"]\n')
    assert run(["check", "pkg"], tree).exit_code == 0
    assert run(["check", "--select", "AM101", "pkg"], tree).exit_code == 0  # ignore still applies
    (tree / "pyproject.toml").write_text('[tool.asyncmend]\nper-file-ignores = { "pkg/bad.py" = ["AM101"] }\n')
    assert run(["check", "pkg"], tree).exit_code == 0
    (tree / "pyproject.toml").write_text('[tool.asyncmend]\nexclude = ["bad.py"]\n')
    assert run(["check", "pkg"], tree).exit_code == 0
    assert run(["check", "pkg/bad.py"], tree).exit_code == 1  # named explicitly: always processed


@pytest.mark.parametrize(
    "config, key",
    [
        ('[tool.asyncmend]\nselectt = ["AM1"]\n', "selectt"),
        ('[tool.asyncmend]\nselect = "AM1"\n', "select"),
        ('[tool.asyncmend]\nunsafe-fixes = "yes"\n', "unsafe-fixes"),
        ('[tool.asyncmend]\nunawaited-fix = "later"\n', "unawaited-fix"),
        ("[tool.asyncmend\n", "cannot read configuration"),
    ],
)
def test_bad_config_is_a_clear_error(tree: Path, config: str, key: str) -> None:
    (tree / "pyproject.toml").write_text(config)
    result = run(["check", "pkg"], tree)
    assert result.exit_code == 2
    assert key in result.stderr


def test_a_bad_config_beside_the_file_named_is_still_an_error_but_not_one_elsewhere(tmp_path: Path) -> None:
    # a file given alone is read with the rest of its folder for the index; a broken configuration in
    # a sub-folder nobody asked to check must not stop the run (it did: `check /tmp/x.py` failed on a
    # stray test folder under /tmp)
    (tmp_path / "x.py").write_bytes(BUGGY)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "pyproject.toml").write_text('[tool.asyncmend]\nselectt = ["AM1"]\n')
    (tmp_path / "other" / "y.py").write_bytes(CLEAN)
    result = run(["check", "x.py"], tmp_path)
    assert result.exit_code == 1 and "x.py:" in result.stdout
    result = run(["check", "other"], tmp_path)
    assert result.exit_code == 2 and "selectt" in result.stderr


def test_unparsable_file_is_reported_and_skipped(tree: Path) -> None:
    (tree / "pkg" / "broken.py").write_text("def (:\n")
    result = run(["fix", "pkg"], tree)
    assert result.exit_code == 1
    assert "pkg/broken.py: cannot parse" in result.stderr
    assert (tree / "pkg" / "broken.py").read_text() == "def (:\n"
    assert b"await ping()" in (tree / "pkg" / "bad.py").read_bytes()  # the run went on


def test_crlf_and_latin1_round_trip(tmp_path: Path) -> None:
    crlf = BUGGY.replace(b"\n", b"\r\n")
    (tmp_path / "crlf.py").write_bytes(crlf)
    latin = b"# -*- coding: latin-1 -*-\n" + BUGGY.replace(b'print("ping")', 'print("café")'.encode("latin-1"))
    (tmp_path / "latin.py").write_bytes(latin)
    bom = b"\xef\xbb\xbf" + BUGGY
    (tmp_path / "bom.py").write_bytes(bom)
    os.chmod(tmp_path / "crlf.py", 0o640)
    assert run(["fix", "."], tmp_path).exit_code == 0
    assert (tmp_path / "crlf.py").read_bytes() == crlf.replace(b"    ping()", b"    await ping()")
    assert (tmp_path / "latin.py").read_bytes() == latin.replace(b"    ping()", b"    await ping()")
    assert (tmp_path / "bom.py").read_bytes() == bom.replace(b"    ping()", b"    await ping()")
    assert os.stat(tmp_path / "crlf.py").st_mode & 0o777 == 0o640


def test_stdin_to_stdout(tmp_path: Path) -> None:
    result = run(["fix", "-"], tmp_path, stdin=BUGGY.decode())
    assert result.stdout == BUGGY.decode().replace("    ping()", "    await ping()")


def test_generated_files_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "gen.py").write_bytes(b"# @generated by a tool\n" + BUGGY)
    assert run(["check", "."], tmp_path).exit_code == 0
    assert run(["check", "--include-generated", "."], tmp_path).exit_code == 1


def test_missing_path(tmp_path: Path) -> None:
    result = run(["check", "nope.py"], tmp_path)
    assert result.exit_code == 1
    assert "nope.py: no such file or directory" in result.stderr


def test_parallel_output_is_deterministic(tmp_path: Path) -> None:
    for i in range(30):
        (tmp_path / f"m{i:02}.py").write_bytes(BUGGY)
    one = run(["check", "-j", "1", "."], tmp_path).stdout
    two = run(["check", "-j", "2", "."], tmp_path).stdout
    assert one == two and one.count("AM101") == 30


def test_installed_console_script(tree: Path) -> None:
    exe = shutil.which("asyncmend", path=os.path.dirname(sys.executable)) or shutil.which("asyncmend")
    assert exe, "the asyncmend console script is not installed"
    proc = subprocess.run([exe, "check", "pkg"], cwd=tree, capture_output=True, text=True)
    assert proc.returncode == 1
    assert "AM101" in proc.stdout
    proc = subprocess.run([exe, "fix", "--diff", "--check", "pkg"], cwd=tree, capture_output=True, text=True)
    assert proc.returncode == 1 and "+    await ping()" in proc.stdout
    proc = subprocess.run([exe, "check", "--select", "nope"], cwd=tree, capture_output=True, text=True)
    assert proc.returncode == 2 and "nope" in proc.stderr


def test_a_fix_that_does_not_parse_is_never_written(tree: Path, monkeypatch) -> None:
    from asyncmend.codemods.unawaited import rewrite as unawaited_rewrite

    class Broken:
        code = "def (:\n"

    monkeypatch.setattr(unawaited_rewrite, "rewrite", lambda *args: Broken())
    result = run(["fix", "pkg"], tree)
    assert result.exit_code == 2
    assert "pkg/bad.py: internal error: the fixed code does not compile" in result.stderr
    assert (tree / "pkg" / "bad.py").read_bytes() == BUGGY


def test_code_that_ast_accepts_but_the_compiler_rejects(tmp_path: Path) -> None:
    (tmp_path / "f.py").write_text("from __future__ import *\n\nasync def f():\n    g()\n")
    (tmp_path / "ok.py").write_bytes(BUGGY)
    result = run(["check", "."], tmp_path)
    assert result.exit_code == 1
    assert "f.py: cannot compile: future feature * is not defined" in result.stderr
    assert "ok.py:9:5: AM101" in result.stdout
