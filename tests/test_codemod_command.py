"""Each family as a LibCST codemod command gives the CLI's own fixes, through ``libcst.tool`` too."""
from __future__ import annotations

import importlib
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from asyncmend import engine
from asyncmend.codemods.registry import COMMAND_FAMILIES, FAMILIES
from asyncmend.config import Settings

from .fixture_cases import Case, all_cases

ROOT = Path(__file__).resolve().parent.parent
# A family's folder ``codemods/<name>/`` hands out its command (``asyncmend.codemods.<name>.<Name>Command``).
FAMILY_NAMES = [family.name for family in COMMAND_FAMILIES]


def _command_name(family_name: str) -> str:
    """As users write it: ``python -m libcst.tool codemod -x <this>``."""
    return f"asyncmend.codemods.{family_name}.{family_name.capitalize()}Command"


def _command(family_name: str):
    module, _, name = _command_name(family_name).rpartition(".")
    return getattr(importlib.import_module(module), name)


@pytest.mark.parametrize("name, family", list(zip(FAMILY_NAMES, COMMAND_FAMILIES)), ids=FAMILY_NAMES)
def test_every_family_has_a_command(name: str, family) -> None:
    from libcst.codemod import CodemodCommand

    command = _command(name)
    assert issubclass(command, CodemodCommand) and command.FAMILY is family
    assert pickle.loads(pickle.dumps(command)) is command  # by name, into libcst.tool's workers
    assert command.DESCRIPTION == f"asyncmend {', '.join(sorted(family.codes))}: {family.summary}"


def test_a_folder_hands_out_its_command_only() -> None:
    """The command is imported when asked for by name; any other name is an AttributeError."""
    folder = importlib.import_module("asyncmend.codemods.drain")
    with pytest.raises(AttributeError, match="no attribute 'ThreadsCommand'"):
        folder.ThreadsCommand  # noqa: B018


def test_every_family_takes_part_in_a_phase_that_finds() -> None:
    """Per-file families have ``check``; the unawaited family resolves against the project index
    instead, and the thread family also does for what needs other modules (AM304 across modules);
    the engine finds mistakes again after another family's fix through ``check``."""
    phases = {f.name: [p for p in ("check", "resolve", "judge") if getattr(f, p) is not None] for f in FAMILIES}
    assert phases == {"noqa": ["judge"], "unawaited": ["resolve"], "drain": ["check"], "threads": ["check", "resolve"]}


LIBCST_LOADED = "print(any(m.split('.')[0] == 'libcst' for m in sys.modules))"


def test_checking_does_not_import_libcst(tmp_path: Path) -> None:
    """Importing the family modules (through the registry), the API and the CLI, and checking, leave
    LibCST (and the language server's pygls) unloaded."""
    (tmp_path / "m.py").write_text("async def f():\n    pass\n\nasync def g():\n    f()\n")
    code = (
        "import sys, asyncmend, asyncmend.sarif, asyncmend.ruledocs, asyncmend.workspace, asyncmend.lsp\n"
        "import asyncmend.codemods.registry\n"
        "from asyncmend import cli\n"
        f"for fmt in ('text', 'github'):\n"
        f"    try:\n        cli.main(['check', '--format', fmt, {str(tmp_path / 'm.py')!r}])\n"
        f"    except SystemExit as exc:\n        print('exit', exc.code)\n"
        f"{LIBCST_LOADED}\n"
        "print(any(m.split('.')[0] in ('pygls', 'lsprotocol') for m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    lines = out.stdout.splitlines()
    assert [line for line in lines if line.startswith("exit ")] == ["exit 1", "exit 1"], out.stdout + out.stderr
    assert sum("AM101" in line for line in lines) == 2
    assert lines[-2:] == ["False", "False"]


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
    proc = _tool(_command_name("unawaited"), tool)
    assert proc.returncode == 0, proc.stderr
    got = _tree(tool)
    assert "    await save(1)  # comment stays\n" in got["pkg/main.py"]
    assert got["pkg/store.py"] == CROSS_FILE["pkg/store.py"]
    cli = _write(tmp_path / "cli", CROSS_FILE)
    engine.fix([str(cli)], Settings(jobs=1), write=True)
    assert _tree(cli) == got
    assert _tool(_command_name("unawaited"), tool).returncode == 0
    assert _tree(tool) == got  # idempotent


def test_libcst_tool_reads_standard_input() -> None:
    """Without a repository manager the index is the one module: same-module coroutines only."""
    source = "from elsewhere import save\n\nasync def f():\n    pass\n\nasync def g():\n    f()\n    save()\n"
    proc = subprocess.run(
        [sys.executable, "-m", "libcst.tool", "codemod", "-x", _command_name("unawaited"),
         "--no-format", "-"],
        input=source, capture_output=True, text=True, cwd=ROOT, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "    await f()\n    save()\n" in proc.stdout


# Golden fixtures: on each, the families' commands do what the CLI does, with and without unsafe fixes;
# a negative fixture (nothing to fix) comes back from every command unchanged.


def _family_cases() -> list[Case]:
    return [c for c in all_cases() if c.family in FAMILY_NAMES]


def _config(case: Case, unsafe: bool) -> str:
    """The case's options as ``[tool.asyncmend]``."""
    lines = ["[tool.asyncmend]", f"unsafe-fixes = {'true' if unsafe else 'false'}"]
    for key, value in case.options().items():
        assert key in ("unawaited_fix", "select", "ignore"), f"{case.id}: option {key} has no configuration key"
        lines.append(f'{key.replace("_", "-")} = "{value}"')
    return "\n".join(lines) + "\n"


def _copy(case: Case, dest: Path) -> Path:
    if case.is_folder:
        shutil.copytree(case.input, dest)
    else:
        dest.mkdir()
        shutil.copyfile(case.input, dest / "main.py")
    return dest


def _cli_fix(case: Case, root: Path, unsafe: bool) -> list[str]:
    """Fix a copy of the case with the engine; the families whose fixes it applied, in their order."""
    settings = Settings(jobs=1, unsafe_fixes=unsafe, **case.options())
    run = engine.fix([str(_copy(case, root / "cli"))], settings, write=True)
    assert not run.errors, [(r.path, r.error) for r in run.errors]
    fixed = {f.rule for r in run.files for f in r.fixed}
    return [family.name for family in COMMAND_FAMILIES if family.codes & fixed]


def _run_in_process(command_class, work: Path) -> None:
    """What libcst.tool does for each file: a context with the file name and a full-repo manager."""
    import libcst as cst
    from libcst.codemod import CodemodContext
    from libcst.metadata import FullRepoManager

    files = sorted(str(p) for p in work.rglob("*.py"))
    manager = FullRepoManager(str(work), files, set())
    for path in files:
        context = CodemodContext(filename=path, metadata_manager=manager)
        try:
            module = cst.parse_module(Path(path).read_bytes())
        except cst.ParserSyntaxError:
            continue  # as libcst.tool: a file LibCST cannot parse (`async` as a name) is left as it is
        new = command_class(context).transform_module(module)
        Path(path).write_bytes(new.bytes)


CASES = _family_cases()
RUNS = [(case, unsafe) for case in CASES for unsafe in (True, False)]


@pytest.mark.parametrize("case, unsafe", RUNS, ids=[f"{c.id}-{'unsafe' if u else 'safe'}" for c, u in RUNS])
def test_command_matches_cli_on_fixture(case: Case, unsafe: bool, tmp_path: Path) -> None:
    """Every golden fixture: the commands of the families the CLI fixed with give the CLI's output; on a
    fixture where the CLI fixes nothing, every family's command leaves every file as it was."""
    (tmp_path / "pyproject.toml").write_text(_config(case, unsafe))
    families = _cli_fix(case, tmp_path, unsafe)
    tool = _copy(case, tmp_path / "tool")
    for name in families or FAMILY_NAMES:
        _run_in_process(_command(name), tool)
    assert _tree(tool) == _tree(tmp_path / "cli")
    if not families:
        assert _tree(tool) == _tree(_copy(case, tmp_path / "input"))


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_libcst_tool_runs_each_family_on_a_fixture(name: str, tmp_path: Path) -> None:
    """One golden fixture per family through the real ``python -m libcst.tool codemod``."""
    for case in CASES:
        if case.family == name:
            (tmp_path / "pyproject.toml").write_text(_config(case, unsafe=True))
            if _cli_fix(case, tmp_path, unsafe=True) == [name]:
                break
            shutil.rmtree(tmp_path / "cli")
    else:
        pytest.fail(f"no fixture of {name} whose fixes are all its own")
    tool = _copy(case, tmp_path / "tool")
    proc = _tool(_command_name(name), tool)
    assert proc.returncode == 0, proc.stderr
    assert _tree(tool) == _tree(tmp_path / "cli")
