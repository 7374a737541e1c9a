"""Each family as a LibCST codemod command gives the CLI's own fixes, through ``libcst.tool`` too."""
from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import codemods
from asyncmend import engine
from asyncmend.config import Settings

from .fixture_cases import Case, all_cases

ROOT = Path(__file__).resolve().parent.parent
FAMILY_NAMES = [family.__name__.rpartition(".")[2] for family in codemods.FAMILIES]


def _command(family_name: str):
    module = importlib.import_module(f"codemods.{family_name}")
    return getattr(module, family_name.capitalize() + "Command")


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_every_family_has_a_command(name: str) -> None:
    from libcst.codemod import CodemodCommand

    command = _command(name)
    assert issubclass(command, CodemodCommand)
    assert command is _command(name)  # made once: it pickles by name into libcst.tool's workers
    family = sys.modules[f"codemods.{name}"]
    assert all(rule.code in command.DESCRIPTION for rule in family.RULES)


def test_family_module_has_no_other_attributes() -> None:
    assert not hasattr(codemods.unawaited, "NoSuchCommand")
    assert not hasattr(codemods.unawaited, "check") or callable(codemods.unawaited.check)


LIBCST_LOADED = "print(any(m.split('.')[0] == 'libcst' for m in sys.modules))"


def test_checking_does_not_import_libcst(tmp_path: Path) -> None:
    """Importing the family modules, the API and the CLI, and checking, leave LibCST (and the language
    server's pygls) unloaded."""
    (tmp_path / "m.py").write_text("async def f():\n    pass\n\nasync def g():\n    f()\n")
    code = (
        "import sys, cli, codemods, asyncmend, asyncmend.sarif, asyncmend.ruledocs, asyncmend.workspace\n"
        "import asyncmend.lsp\n"
        f"for fmt in ('text', 'github'):\n"
        f"    try:\n        cli.main(['check', '--format', fmt, {str(tmp_path / 'm.py')!r}])\n"
        f"    except SystemExit:\n        pass\n"
        f"{LIBCST_LOADED}\n"
        "print(any(m.split('.')[0] in ('pygls', 'lsprotocol') for m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.splitlines()[-2:] == ["False", "False"]


def _tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text() for p in sorted(root.rglob("*.py"))}


def _tool(command: str, path: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "libcst.tool", "codemod", "-x", command, "--no-format", "--hide-progress",
         *extra, str(path)],
        capture_output=True, text=True, cwd=path, timeout=120,
    )


CROSS_FILE = {
    "pkg/__init__.py": "",
    "pkg/store.py": "async def save(x):\n    print('saved', x)\n",
    "pkg/main.py": (
        "import asyncio\n\nfrom pkg.store import save\n\n\nasync def main():\n"
        "    save(1)  # comment stays\n    asyncio.sleep(0)\n\n\nasyncio.run(main())\n"
    ),
}


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_libcst_tool_fixes_across_files(tmp_path: Path) -> None:
    tool = _write(tmp_path / "tool", CROSS_FILE)
    proc = _tool("codemods.unawaited.UnawaitedCommand", tool)
    assert proc.returncode == 0, proc.stderr
    got = _tree(tool)
    assert "    await save(1)  # comment stays\n" in got["pkg/main.py"]
    assert got["pkg/store.py"] == CROSS_FILE["pkg/store.py"]
    cli = _write(tmp_path / "cli", CROSS_FILE)
    engine.fix([str(cli)], Settings(jobs=1), write=True)
    assert _tree(cli) == got
    assert _tool("codemods.unawaited.UnawaitedCommand", tool).returncode == 0
    assert _tree(tool) == got  # idempotent


def test_libcst_tool_reads_standard_input() -> None:
    """Without a repository manager the index is the one module: same-module coroutines only."""
    source = "from elsewhere import save\n\nasync def f():\n    pass\n\nasync def g():\n    f()\n    save()\n"
    proc = subprocess.run(
        [sys.executable, "-m", "libcst.tool", "codemod", "-x", "codemods.unawaited.UnawaitedCommand",
         "--no-format", "-"],
        input=source, capture_output=True, text=True, cwd=ROOT, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "    await f()\n    save()\n" in proc.stdout


# Golden fixtures: on each, a family's command does what the CLI does.


def _family_cases() -> list[Case]:
    return [c for c in all_cases() if c.id.partition("/")[0] in FAMILY_NAMES]


def _config(case: Case) -> str | None:
    """The case's options as ``[tool.asyncmend]``, or None when one has no configuration key."""
    lines = ["[tool.asyncmend]"]
    for key, value in case.options().items():
        if key not in ("unsafe_fixes", "unawaited_fix", "select", "ignore"):
            return None
        toml = "true" if value is True else "false" if value is False else f'"{value}"'
        lines.append(f"{key.replace('_', '-')} = {toml}")
    return "\n".join(lines) + "\n"


def _copy(case: Case, dest: Path) -> Path:
    if case.is_folder:
        shutil.copytree(case.input, dest)
    else:
        dest.mkdir()
        shutil.copyfile(case.input, dest / "main.py")
    return dest


def _cli_fix(case: Case, root: Path) -> bool:
    """Fix a copy of the case with the engine; True when its fixes all come from the case's family."""
    family = case.id.partition("/")[0]
    codes = {r.code for r in sys.modules[f"codemods.{family}"].RULES}
    run = engine.fix([str(_copy(case, root / "cli"))], Settings(jobs=1, **case.options()), write=True)
    fixed = [f for r in run.files for f in r.fixed]
    return bool(fixed) and all(f.rule in codes for f in fixed)


def _run_in_process(command_class, work: Path) -> None:
    """What libcst.tool does for each file: a context with the file name and a full-repo manager."""
    import libcst as cst
    from libcst.codemod import CodemodContext
    from libcst.metadata import FullRepoManager

    files = sorted(str(p) for p in work.rglob("*.py"))
    manager = FullRepoManager(str(work), files, set())
    for path in files:
        context = CodemodContext(filename=path, metadata_manager=manager)
        module = cst.parse_module(Path(path).read_bytes())
        new = command_class(context).transform_module(module)
        Path(path).write_bytes(new.bytes)


CASES = _family_cases()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_command_matches_cli_on_fixture(case: Case, tmp_path: Path) -> None:
    """Every golden fixture whose fixes come from one family: its command gives the CLI's output."""
    config = _config(case)
    if config is None:
        pytest.skip("options that are not configuration keys")
    (tmp_path / "pyproject.toml").write_text(config)
    if not _cli_fix(case, tmp_path):
        pytest.skip("the CLI's fixes here come from several families (or none)")
    tool = _copy(case, tmp_path / "tool")
    _run_in_process(_command(case.id.partition("/")[0]), tool)
    assert _tree(tool) == _tree(tmp_path / "cli")


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_libcst_tool_runs_each_family_on_a_fixture(name: str, tmp_path: Path) -> None:
    """One golden fixture per family through the real ``python -m libcst.tool codemod``."""
    for case in CASES:
        if case.id.startswith(name + "/") and _config(case) is not None:
            (tmp_path / "pyproject.toml").write_text(_config(case))
            if _cli_fix(case, tmp_path):
                break
            shutil.rmtree(tmp_path / "cli")
    else:
        pytest.skip(f"no fixture of {name} whose fixes are all its own")
    tool = _copy(case, tmp_path / "tool")
    proc = _tool(f"codemods.{name}.{name.capitalize()}Command", tool)
    assert proc.returncode == 0, proc.stderr
    assert _tree(tool) == _tree(tmp_path / "cli")
