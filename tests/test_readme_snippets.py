"""The README's shell snippets, run as written (set-up, usage, codemods), and docs/cli.md's options
checked against the command line's own."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .working_tree import copy_working_tree

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text("utf-8")
BIN = os.path.dirname(sys.executable)
OFFLINE = ("NewConnectionError", "Temporary failure in name resolution", "No matching distribution found",
           "Could not find a version that satisfies", "Network is unreachable", "ReadTimeout")


def block(marker: str) -> list[str]:
    """The command lines of the ```sh block after ``<!-- marker -->`` in the README."""
    match = re.search(rf"<!-- {marker} -->\n```sh\n(.*?)```", README, re.S)
    assert match, f"README.md has no ```sh block under <!-- {marker} -->"
    return [line for line in match.group(1).splitlines() if line.strip()]


def sh(command: str, cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": BIN + os.pathsep + os.environ.get("PATH", "")}
    return subprocess.run(command, shell=True, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def test_usage_examples_run(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "demo", tmp_path / "demo")
    lines = block("usage")
    assert len(lines) >= 6
    results = [sh(line, tmp_path) for line in lines]
    for line, proc in zip(lines, results):
        assert proc.returncode in (0, 1), (line, proc.stderr)
        assert "Error" not in proc.stderr and "Traceback" not in proc.stderr, (line, proc.stderr)
    codes = {line.split("#")[0].strip(): proc.returncode for line, proc in zip(lines, results)}
    assert codes["asyncmend check demo"] == 1
    assert codes["asyncmend fix --diff demo"] == 1  # a diff: exit 1, as ruff
    assert "await cart.add(" in (tmp_path / "demo" / "shop.py").read_text()  # check --fix wrote


def test_codemod_commands_are_every_family(tmp_path: Path) -> None:
    from asyncmend.codemods.registry import COMMAND_FAMILIES

    lines = block("codemods")
    named = [re.search(r"-x (\S+)", line).group(1) for line in lines]
    assert [f"asyncmend.codemods.{f.name}" for f in COMMAND_FAMILIES] == [n.rsplit(".", 1)[0] for n in named]
    shutil.copytree(ROOT / "demo", tmp_path / "src")
    (tmp_path / "pyproject.toml").write_text("")
    for line in lines:
        proc = sh(line.replace("python ", f"{sys.executable} ", 1), tmp_path)
        assert proc.returncode == 0, (line, proc.stderr)
    assert "await cart.add(" in (tmp_path / "src" / "shop.py").read_text()


@pytest.mark.network
def test_setup_install_runs_as_written(tmp_path: Path) -> None:
    """The set-up line in a copy of this working tree: a fresh virtual environment, activated."""
    clone = copy_working_tree(tmp_path / "asyncmend")
    [line] = block("setup:install")
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    proc = subprocess.run(["bash", "-c", line], cwd=clone, env=env, capture_output=True, text=True, timeout=900)
    if proc.returncode not in (0, 1) and any(m in proc.stdout + proc.stderr for m in OFFLINE):
        pytest.skip("PyPI cannot be reached")
    assert proc.returncode == 1, proc.stderr  # the demo has fixes: --diff exits 1
    assert "+++ b/demo/shop.py" in proc.stdout


def test_license_is_an_spdx_string() -> None:
    """`pip install .` warns about `project.license` as a table (such builds stop after 2027-02-18)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    assert project["license"] == "MIT"
    assert all((ROOT / name).is_file() for name in project["license-files"])


def _cli_options() -> set[str]:
    from asyncmend.cli import main

    names = set()
    for command in main.commands.values():
        for param in command.params:
            for opt in [*param.opts, *param.secondary_opts]:
                names.add(opt)
    return names | {"--version"}


def test_docs_cli_options_exist() -> None:
    """Every asyncmend option docs/cli.md names (its ruff table's second column) is a real option."""
    text = (ROOT / "docs" / "cli.md").read_text("utf-8")
    table = text[text.index("## From ruff"):text.index("## Configuration")]
    rows = [line.split(" | ")[1] for line in table.splitlines() if line.startswith("| `")]
    named = {opt for cell in rows for opt in re.findall(r"`(--[a-z-]+|-[a-z])", cell)}
    assert named and named <= _cli_options(), named - _cli_options()


@pytest.mark.network
def test_build_has_no_license_deprecation_warning(tmp_path: Path) -> None:
    """setuptools warns (verbosely) about a `project.license` table and license classifiers."""
    clone = copy_working_tree(tmp_path / "asyncmend")
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "-w", str(tmp_path / "dist"), "."],
                          cwd=clone, capture_output=True, text=True, timeout=900)
    output = proc.stdout + proc.stderr
    if proc.returncode != 0 and any(m in output for m in OFFLINE):
        pytest.skip("PyPI cannot be reached")
    assert proc.returncode == 0, output[-2000:]
    assert "project.license` as a TOML table is deprecated" not in output
    assert "SetuptoolsDeprecationWarning" not in output
