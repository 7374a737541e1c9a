"""What the language server asks of the engine: edits from fixed texts, a noqa comment, one source at
a time against an index built alone, and editor settings checked as ``[tool.asyncmend]`` is."""
from __future__ import annotations

from pathlib import Path

import pytest

from asyncmend import engine
from asyncmend.config import Settings, table_values
from asyncmend.model import AsyncmendError
from asyncmend.source import SourceFile, text_changes
from asyncmend.suppress import is_suppressed, noqa_edit, suppressions
from asyncmend.workspace import Workspace


def _apply(text: str, changes: list[tuple[int, int, str]]) -> str:
    for start, end, inserted in reversed(changes):
        text = text[:start] + inserted + text[end:]
    return text


@pytest.mark.parametrize(
    "old, new",
    [
        ("a\n\x0c    f()\n", "a\n\x0c    await f()\n"),
        ("a\r\n    f()\r\n", "import asyncio\r\na\r\n    await f()\r\n"),
        ("x = 'é'; f()", "x = 'é'; await f()"),
        ("a\nb\nc\n", "a\nc\n"),
        ("a\nb\nc\nd\n", "a\nx\ny\nz\nd\n"),  # a block of lines replaced by another
        ("a\rb\n", "a\rc\n"),
        ("", "x\n"),
        ("same\n", "same\n"),
    ],
)
def test_text_changes_rebuild_the_new_text(old: str, new: str) -> None:
    changes = text_changes(old, new)
    assert _apply(old, changes) == new
    assert all(a[1] <= b[0] for a, b in zip(changes, changes[1:]))


@pytest.mark.parametrize("repeats", [20, 300])  # past 200 lines difflib's autojunk would merge them
def test_text_changes_keep_distant_edits_apart(repeats: int) -> None:
    old = "x = 1\n" * repeats + "    f()\n"
    new = "import asyncio\n" + "x = 1\n" * repeats + "    await f()\n"
    assert text_changes(old, new) == [(0, 0, "import asyncio\n"), (len(old) - 4, len(old) - 4, "await ")]


@pytest.mark.parametrize(
    "text, line, expected",
    [
        ("x = f()\n", 1, "x = f()  # noqa: AM101\n"),
        ("x = f()   \r\n", 1, "x = f()  # noqa: AM101\r\n"),
        ("x = f()  # keep me\n", 1, "x = f()  # keep me  # noqa: AM101\n"),
        ("x = f()  # noqa: AM102\n", 1, "x = f()  # noqa: AM102, AM101\n"),
        ("y = (\n    f()\n)\n", 2, "y = (\n    f()  # noqa: AM101\n)\n"),
        ('s = """a\nb"""; f()\n', 2, 's = """a\nb"""; f()  # noqa: AM101\n'),
        ("x = f()", 1, "x = f()  # noqa: AM101"),
        ("x = X\n", 1, "x = X  # noqa: AM101\n"),  # only the line's end is cut off
        ("x = 1\ry = f()  # noqa: AM102\n", 2, "x = 1\ry = f()  # noqa: AM102, AM101\n"),  # a lone CR ends a line too
    ],
)
def test_noqa_edit_silences_the_code_on_that_line(text: str, line: int, expected: str) -> None:
    edit = noqa_edit(text, line, "AM101")
    assert edit is not None
    new = _apply(text, [edit])
    assert new == expected
    assert is_suppressed(line, "AM101", suppressions(new))
    assert compile(new, "<test>", "exec")


@pytest.mark.parametrize(
    "text, line",
    [
        ('s = """a\nb"""; f()\n', 1),  # the line ends inside a string
        ('x = """a\nb\nc\n"""\n', 1),  # (a string starting at column 4, ending on line 4)
        ('a = 1\nb = 2\nx = """\nc\n"""\n', 3),  # (starting on line 3, ending at column 3)
        ("x = 1 + \\\n    f()\n", 1),  # a backslash continuation
        ("x = (\n", 1),  # does not tokenize
        ("x = 1\n", 5),  # no such line
        # lone CRs: the string continued after line 1's backslash opens a triple-quoted one on line 2
        # (given the CRs as they are, Python 3.11's tokenizer read lines 1 and 3 as code)
        ("s = 'a\\\rb' + \"\"\" + '\rtext\r\"\"\" + '\"\"\"'\r", 3),
    ],
)
def test_noqa_edit_refuses_where_no_comment_can_go(text: str, line: int) -> None:
    assert noqa_edit(text, line, "AM101") is None


def _project(root: Path, files: dict[str, str]) -> Path:
    (root / "pyproject.toml").write_text("")
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


STORE = "async def save(x):\n    print('saved', x)\n"
MAIN = "from pkg.store import save\n\n\nasync def main():\n    save(1)\n"


def test_an_index_only_workspace_checks_one_source_against_the_project(tmp_path: Path) -> None:
    root = _project(tmp_path, {"pkg/__init__.py": "", "pkg/store.py": STORE, "pkg/main.py": MAIN})
    workspace = Workspace(Settings(), [str(root)], index_only=True)
    main = str(root / "pkg/main.py")
    assert [f.rule for f in workspace.analyse(SourceFile.read(main)).findings] == ["AM101"]

    # An edited text of another file (never written to disk) changes what the index knows.
    store = str(root / "pkg/store.py")
    workspace.analyse(SourceFile(store, b"", STORE.replace("async ", ""), "utf-8", False))
    assert workspace.analyse(SourceFile.read(main)).findings == []


def test_the_same_text_is_analysed_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _project(tmp_path, {"pkg/__init__.py": "", "pkg/store.py": STORE, "pkg/main.py": MAIN})
    workspace = Workspace(Settings(), [str(root)], index_only=True)
    calls = []
    real = engine.analyze_source
    monkeypatch.setattr(engine, "analyze_source", lambda src, *a: calls.append(src.path) or real(src, *a))
    main = str(root / "pkg/main.py")
    for _ in range(3):
        assert [f.rule for f in workspace.analyse(SourceFile.read(main)).findings] == ["AM101"]
    assert calls == [main]
    edited = MAIN + "\n"
    workspace.analyse(SourceFile(main, edited.encode(), edited, "utf-8", False))
    assert calls == [main, main]


def test_build_index_reads_files_for_the_index_only(tmp_path: Path) -> None:
    root = _project(tmp_path, {"pkg/__init__.py": "", "pkg/store.py": STORE, "pkg/plain.py": "x = 1\n"})
    index = engine.build_index([str(root)], Settings())
    assert index.creates_coroutine("pkg.store.save") == "index"
    assert "pkg.plain" not in index.modules  # no coroutine can come from it: not read


def test_table_values_check_an_editors_settings() -> None:
    assert table_values({"select": ["AM1"], "unsafe-fixes": True}, "editor") == {
        "select": ("AM1",), "unsafe_fixes": True,
    }
    with pytest.raises(AsyncmendError, match=r"^editor unsafe-fixes: expected true or false$"):
        table_values({"unsafe-fixes": "yes"}, "editor")
    with pytest.raises(AsyncmendError, match=r"^editor colour: unknown key"):
        table_values({"colour": "red"}, "editor")


def test_editor_settings_accept_camel_case_and_wrapped_tables() -> None:
    from asyncmend.lsp.server import _settings_table

    assert _settings_table({"unsafeFixes": True, "per_file_ignores": {}}) == {"unsafe-fixes": True, "per-file-ignores": {}}
    assert _settings_table({"asyncmend": {"select": ["AM1"]}}) == {"select": ["AM1"]}
    assert _settings_table({"settings": {"ignore": ["AM2"]}}) == {"ignore": ["AM2"]}
    assert _settings_table(None) == {} and _settings_table([1]) == {}
