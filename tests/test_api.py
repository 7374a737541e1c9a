"""The Python API: plain data out, the CLI's options in, AsyncmendError for bad input."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import asyncmend
from asyncmend import AsyncmendError, FileResult, Finding

ROOT = Path(__file__).resolve().parent.parent

SOURCE = """\
import asyncio


async def save(x):
    print("saved", x)


async def main():
    save(1)  # stays
    await asyncio.sleep(0)
"""

PROJECT = {
    "pkg/__init__.py": "",
    "pkg/store.py": "async def save(x):\n    print('saved', x)\n",
    "pkg/main.py": "from pkg.store import save\n\n\nasync def main():\n    save(1)\n",
}


def _project(root: Path) -> Path:
    for name, text in PROJECT.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_package_is_typed() -> None:
    assert (Path(asyncmend.__file__).parent / "py.typed").is_file()
    assert set(asyncmend.__all__) <= set(dir(asyncmend))


def test_fix_source_returns_plain_data() -> None:
    result = asyncmend.fix_source(SOURCE, config=False)
    assert isinstance(result, FileResult)
    assert result.changed
    assert result.old_text == SOURCE
    assert result.new_text == SOURCE.replace("    save(1)", "    await save(1)")
    assert [f.rule for f in result.fixed] == ["AM101"]
    assert result.findings == ()
    assert result.diff.startswith("--- a/<string>\n+++ b/<string>\n")
    assert "+    await save(1)  # stays\n" in result.diff
    again = asyncmend.fix_source(result.new_text, config=False)
    assert not again.changed and again.diff == ""


def test_check_source_lists_findings() -> None:
    findings = asyncmend.check_source(SOURCE, path="app.py", config=False)
    assert len(findings) == 1
    f = findings[0]
    assert isinstance(f, Finding)
    assert (f.path, f.rule, f.name, f.line, f.col) == ("app.py", "AM101", "unawaited-coroutine", 9, 5)
    assert f.fix is not None and f.fix.safety == "safe"


def test_select_and_ignore_as_on_the_command_line() -> None:
    assert asyncmend.check_source(SOURCE, config=False, ignore=["AM101"]) == []
    assert asyncmend.check_source(SOURCE, config=False, select="AM1") != []
    assert not asyncmend.fix_source(SOURCE, config=False, ignore=["unawaited-coroutine"]).changed


def test_noqa_is_honoured() -> None:
    assert asyncmend.check_source(SOURCE.replace("# stays", "# noqa: AM101"), config=False) == []


def test_project_root_gives_the_index(tmp_path: Path) -> None:
    root = _project(tmp_path)
    source = PROJECT["pkg/main.py"]
    assert asyncmend.check_source(source, config=False) == []  # alone, `save` is not known
    found = asyncmend.check_source(source, config=False, project_root=root)
    assert [f.rule for f in found] == ["AM101"]


def test_fix_paths_writes_or_only_computes(tmp_path: Path) -> None:
    root = _project(tmp_path)
    main = root / "pkg" / "main.py"
    results = asyncmend.fix_paths([root], write=False, config=False)
    assert [Path(r.path).name for r in results] == ["__init__.py", "main.py", "store.py"]
    changed = [r for r in results if r.changed]
    assert len(changed) == 1 and "await save(1)" in changed[0].new_text
    assert main.read_text() == PROJECT["pkg/main.py"]
    results = asyncmend.fix_paths(root, config=False)
    assert "    await save(1)\n" in main.read_text()
    assert sum(len(r.fixed) for r in results) == 1


def test_fix_paths_with_project_root_fixes_only_the_paths(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / "other.py").write_text("from pkg.store import save\n\n\nasync def g():\n    save(2)\n")
    results = asyncmend.fix_paths([root / "pkg" / "main.py"], project_root=root, config=False)
    assert [r.changed for r in results] == [True]
    assert "await save(1)" in (root / "pkg" / "main.py").read_text()
    assert "await" not in (root / "other.py").read_text()
    checked = asyncmend.check_paths(root / "other.py", project_root=root, config=False)
    assert [f.rule for r in checked for f in r.findings] == ["AM101"]
    assert checked[0].new_text is None


def test_unsafe_fixes_and_config(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.asyncmend]\nignore = ["AM101"]\n')
    assert asyncmend.check_source(SOURCE, project_root=tmp_path) == []
    assert asyncmend.check_source(SOURCE, config=tmp_path / "pyproject.toml") == []
    assert asyncmend.check_source(SOURCE, config=False, project_root=tmp_path) != []


def test_fix_source_applies_unsafe_fixes_only_when_asked() -> None:
    # x's class is known from its annotation, and the one call in view passes C(): an unsafe fix
    code = (
        "class C:\n    async def go(self):\n        pass\n\n"
        "async def entry(x: C):\n    x.go()\n\nasync def main():\n    await entry(C())\n"
    )
    held = asyncmend.fix_source(code, config=False)
    assert held.new_text == code and held.unsafe_held == 1
    fixed = asyncmend.fix_source(code, config=False, unsafe_fixes=True)
    assert "    await x.go()\n" in fixed.new_text and fixed.unsafe_held == 0


def test_errors_per_file_in_results(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("def (:\n")
    results = asyncmend.check_paths([tmp_path / "broken.py", tmp_path / "missing.py"], config=False)
    assert all(r.error for r in results) and len(results) == 2
    fixed = asyncmend.fix_paths([tmp_path], config=False)
    assert fixed[0].error and fixed[0].new_text is None


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: asyncmend.fix_source("def (:\n", config=False), "cannot parse"),
        (lambda: asyncmend.fix_source(b"\x00", config=False), "NUL"),
        (lambda: asyncmend.fix_source(42, config=False), "must be str or bytes"),
        (lambda: asyncmend.check_source("x = 1\n", config=False, select=["AM999"]), "matches no rule"),
        (lambda: asyncmend.fix_paths(".", config="/nonexistent/pyproject.toml"), "cannot read configuration"),
        (lambda: asyncmend.check_source("x = 1\n", config=False, unawaited_fix="maybe"), "unawaited"),
    ],
)
def test_bad_input_raises_asyncmend_error(call, message: str) -> None:
    with pytest.raises(AsyncmendError, match=message):
        call()


def test_options_are_keywords() -> None:
    with pytest.raises(TypeError):
        asyncmend.check_source("x = 1\n", selekt=["AM1"])  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        asyncmend.fix_source("x = 1\n", "AM1")  # type: ignore[misc]


def test_a_libcst_failure_becomes_asyncmend_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import libcst

    from asyncmend import engine

    def broken(src, findings):
        raise libcst.CSTValidationError("boom")

    monkeypatch.setattr(engine, "apply_fixes", broken)
    with pytest.raises(AsyncmendError, match="internal error: CSTValidationError: boom"):
        asyncmend.fix_source(SOURCE, config=False)


def test_rules_lists_every_rule() -> None:
    from asyncmend.codemods.registry import ALL_RULES

    assert asyncmend.rules() == ALL_RULES


def test_example_migration_script(tmp_path: Path) -> None:
    """docs/examples/migrate.py (shown in the README): a dry run prints diffs, a real run fixes."""
    root = _project(tmp_path)
    script = ROOT / "docs" / "examples" / "migrate.py"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    dry = subprocess.run([sys.executable, str(script), "--dry-run", "pkg"], cwd=root, env=env,
                         capture_output=True, text=True, timeout=120)
    assert dry.returncode == 0, dry.stderr
    assert "+    await save(1)\n" in dry.stdout
    assert (root / "pkg" / "main.py").read_text() == PROJECT["pkg/main.py"]
    real = subprocess.run([sys.executable, str(script), "pkg"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=120)
    assert real.returncode == 0, real.stderr
    assert "fixed pkg/main.py: 1 call(s) now awaited" in real.stdout
    assert "    await save(1)\n" in (root / "pkg" / "main.py").read_text()
