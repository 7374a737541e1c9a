"""An install adds one top-level name, ``asyncmend``; nothing in the project imports a top-level ``cli``
or ``codemods`` (the repository keeps ``cli.py`` and ``codemods/`` at its top level, see pyproject.toml)."""
from __future__ import annotations

import ast
import re
import subprocess
import sys
import zipfile
from pathlib import Path

from .working_tree import ROOT, copy_working_tree

PROJECT_CODE = ("asyncmend", "codemods")  # the folders whose modules the wheel must hold


def _source_modules() -> set[str]:
    """Every module of the package as installed, by its path in the wheel."""
    names = {"asyncmend/cli.py"}
    for folder in PROJECT_CODE:
        for path in (ROOT / folder).rglob("*.py"):
            rel = path.relative_to(ROOT).as_posix()
            names.add(rel if folder == "asyncmend" else f"asyncmend/{rel}")
    return names


def test_wheel_holds_one_top_level_name(tmp_path: Path) -> None:
    """``pip wheel`` of a copy of this working tree (offline, with the setuptools installed here): its
    top-level names are ``asyncmend`` and the dist-info, and it holds every module of the source."""
    clone = copy_working_tree(tmp_path / "asyncmend")
    assert (clone / "asyncmend" / "cli.py").is_symlink()
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
         "-w", str(tmp_path / "dist"), "."],
        cwd=clone, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    [wheel] = (tmp_path / "dist").glob("asyncmend-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        cli = zf.read("asyncmend/cli.py")
        dist_info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/RECORD"))
        entry_points = zf.read(f"{dist_info}/entry_points.txt").decode()
        top_level = zf.read(f"{dist_info}/top_level.txt").decode().split()
    assert {n.split("/")[0] for n in names} == {"asyncmend", dist_info}
    assert top_level == ["asyncmend"]
    assert {n for n in names if n.endswith(".py")} == _source_modules()
    assert cli == (ROOT / "cli.py").read_bytes()  # the link's target, as a file
    assert re.search(r"^asyncmend = asyncmend\.cli:main$", entry_points, re.M), entry_points


def test_editable_install_imports_the_checkout(tmp_path: Path) -> None:
    """The editable install the tests run on (``pip install -e ".[test]"``), from a folder outside the
    checkout: ``asyncmend.codemods`` and ``asyncmend.cli`` are this checkout's files, and no top-level
    ``codemods`` or ``cli`` can be imported."""
    code = (
        "import importlib.util, asyncmend.codemods, asyncmend.cli\n"
        "print(asyncmend.codemods.__file__)\nprint(asyncmend.cli.__file__)\n"
        "print(importlib.util.find_spec('codemods'), importlib.util.find_spec('cli'))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    codemods, cli, leaked = proc.stdout.splitlines()
    assert Path(codemods) == ROOT / "codemods" / "__init__.py"
    assert Path(cli) == ROOT / "asyncmend" / "cli.py" and Path(cli).resolve() == ROOT / "cli.py"
    assert leaked == "None None"


# A top-level `cli` or `codemods` imports whenever the checkout's root is on sys.path (`python -m
# pytest` puts it there): a second copy of every module, with classes that are not the package's.
TOP_LEVEL = ("cli", "codemods")
COMMAND_LINE = re.compile(r"-m\s+(?:cli|codemods)\b|-x\s+codemods\.")


def _top_level_imports(code: str) -> list[str]:
    """The imports of ``cli``/``codemods`` in ``code``, and in its string constants that are code."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] in TOP_LEVEL]
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module.split(".")[0] in TOP_LEVEL:
            found.append(node.module)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and "import" in node.value:
            found += _top_level_imports(node.value)
    return found


def test_nothing_imports_a_top_level_cli_or_codemods() -> None:
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, check=True,
                           capture_output=True, text=True).stdout.split()
    bad = []
    for name in files:
        path = ROOT / name
        if name.startswith("fixtures/") or path.is_symlink() or not path.is_file():
            continue
        if name.endswith(".py"):
            text = path.read_text("utf-8")
            bad += [f"{name}: import {m}" for m in _top_level_imports(text)]
        elif name.endswith((".md", ".yaml", ".toml", ".cfg", ".txt")):
            text = path.read_text("utf-8")
            for block in re.findall(r"```python\n(.*?)```", text, re.S):
                bad += [f"{name}: import {m}" for m in _top_level_imports(block)]
        else:
            continue
        bad += [f"{name}: {m.group(0)}" for m in COMMAND_LINE.finditer(text)]
    assert not bad, bad
