"""Reading a source file as Python does, its line and column arithmetic, and the errors on the way."""
from __future__ import annotations

import ast
import codecs
import hashlib
import os
import stat
import threading
from pathlib import Path

import pytest

from asyncmend import source
from asyncmend.model import AsyncmendError
from asyncmend.source import SourceFile, compile_error, content_digest, parse_ast, split_lines, write_atomic


def test_split_lines_counts_as_python_does() -> None:
    text = "a\r\nb\rc\nd\x0ce\x1cf\u2028g\x85h\n"
    assert split_lines(text) == ["a\r\n", "b\r", "c\n", "d\x0ce\x1cf\u2028g\x85h\n"]
    assert split_lines("") == []
    assert split_lines("no end") == ["no end"]


def test_from_bytes_decodes_as_python_does() -> None:
    plain = SourceFile.from_bytes("p.py", b"x = 1\n")
    assert (plain.text, plain.encoding, plain.bom) == ("x = 1\n", "utf-8", False)
    bom = SourceFile.from_bytes("b.py", codecs.BOM_UTF8 + "x = 'é'\r\n".encode())
    assert (bom.text, bom.encoding, bom.bom) == ("x = 'é'\r\n", "utf-8", True)
    assert bom.encode(bom.text) == codecs.BOM_UTF8 + "x = 'é'\r\n".encode()
    latin = SourceFile.from_bytes("l.py", b"# coding: latin-1\nx = '\xe9'\n")
    assert (latin.text, latin.encoding, latin.bom) == ("# coding: latin-1\nx = 'é'\n", "iso-8859-1", False)
    assert latin.encode(latin.text) == b"# coding: latin-1\nx = '\xe9'\n"


@pytest.mark.parametrize(
    "raw, message",
    [
        (b"x = 1\x00\n", "source contains a NUL byte"),
        (b"x = 1\ny = 2\nz = '\xe9'\n", "cannot decode as utf-8: 'utf-8' codec can't decode byte 0xe9 in position 17"),
        (b"x = '\xe9'\n", "cannot decode: invalid or missing encoding declaration"),
        (b"# coding: nonsense\n", "cannot decode: unknown encoding: nonsense"),
        (b"# coding: utf-8\n# coding: latin-1\n\xef\xbb\xbf", None),  # only the first cookie counts
    ],
)
def test_from_bytes_errors(raw: bytes, message: str | None) -> None:
    if message is None:
        assert SourceFile.from_bytes("x.py", raw).encoding == "utf-8"
        return
    with pytest.raises(AsyncmendError) as info:
        SourceFile.from_bytes("x.py", raw)
    assert str(info.value).startswith(message), str(info.value)


def test_read_errors(tmp_path: Path) -> None:
    with pytest.raises(AsyncmendError, match="^cannot read: No such file or directory$"):
        SourceFile.read(str(tmp_path / "missing.py"))
    with pytest.raises(AsyncmendError, match="^cannot read: Is a directory$"):
        SourceFile.read(str(tmp_path))
    with pytest.raises(AsyncmendError, match="^cannot read: not a regular file$"):
        SourceFile.read(os.devnull)


def test_reading_a_pipe_does_not_wait_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.py"
    os.mkfifo(fifo)
    outcome: list = []

    def read() -> None:
        try:
            SourceFile.read(str(fifo))
        except AsyncmendError as exc:
            outcome.append(str(exc))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(5)
    if reader.is_alive():  # blocked in open(): give it a writer so the thread ends, then fail
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        reader.join(5)
        pytest.fail("reading a named pipe waited for a writer")
    assert outcome == ["cannot read: not a regular file"]


def test_char_col_converts_utf8_byte_columns() -> None:
    src = SourceFile.from_bytes("c.py", "x = 'é' + y\nz = 1\n".encode())
    assert src.char_col(1, len("x = 'é' + ".encode())) == len("x = 'é' + ")
    assert src.char_col(2, 4) == 4  # an ASCII line: bytes are characters
    assert src.char_col(3, 7) == 7  # past the last line: left as it is
    assert src.char_col(1, 0) == 0


def test_content_digest() -> None:
    assert content_digest(b"x") == hashlib.blake2b(b"x", digest_size=16).hexdigest()
    assert len(content_digest(b"")) == 32 and content_digest(b"a") != content_digest(b"b")
    assert SourceFile.from_bytes("d.py", b"x = 1\n").digest == content_digest(b"x = 1\n")


@pytest.mark.parametrize(
    "text, message",
    [
        ("x = (", "cannot parse: '(' was never closed (line 1)"),
        ("x = 1\n  y = 2\n", "cannot parse: unexpected indent (line 2)"),
        ("\x00", "cannot parse: source code string cannot contain null bytes"),
        ("a" + "+a" * 100_000, "cannot parse: RecursionError: maximum recursion depth exceeded"),
    ],
)
def test_parse_ast_errors(text: str, message: str) -> None:
    with pytest.raises(AsyncmendError) as info:
        parse_ast(text)
    assert str(info.value).startswith(message), str(info.value)


def test_parse_ast_is_quiet_about_the_files_warnings(recwarn) -> None:
    assert parse_ast("x = '\\d'\n", "w.py").body
    assert not recwarn.list


@pytest.mark.parametrize(
    "text, problem",
    [
        ("x = 1\n", None),
        ("async def f():\n    await g()\n", None),
        ("await x\n", "'await' outside function (line 1)"),
        ("nonlocal x\n", "nonlocal declaration not allowed at module level (line 1)"),
        ("\x00", "source code string cannot contain null bytes"),
        # compiled with its own future imports only, not those of asyncmend's modules (``annotations``
        # would forbid this ``yield`` in an annotation)
        ("def g():\n    def f(x: (yield)):\n        pass\n", None),
        ("x = '\\d'\n", None),
        # A lone surrogate in a str (a file's bytes never decode to one): compile cannot encode it.
        ("x = '\ud800'\n",
         "UnicodeEncodeError: 'utf-8' codec can't encode character '\\ud800' in position 5: surrogates not allowed"),
    ],
)
def test_compile_error(text: str, problem: str | None) -> None:
    assert compile_error(text) == problem


def _file(tmp_path: Path, mode: int = 0o644) -> Path:
    f = tmp_path / "m.py"
    f.write_text("x = 1\n")
    f.chmod(mode)
    return f


@pytest.mark.parametrize("mode", [0o444, 0o405, 0o540, 0o400])
def test_write_refuses_a_file_marked_read_only(tmp_path: Path, mode: int) -> None:
    f = _file(tmp_path, mode)
    with pytest.raises(AsyncmendError) as info:
        write_atomic(SourceFile.read(str(f)), "x = 2\n")
    assert str(info.value) == f"cannot write: file is read-only (mode {mode:04o}); not fixed"
    assert f.read_text() == "x = 1\n" and stat.S_IMODE(f.stat().st_mode) == mode


@pytest.mark.parametrize("mode", [0o644, 0o200, 0o620, 0o602, 0o755])
def test_write_keeps_the_mode(tmp_path: Path, mode: int) -> None:
    f = _file(tmp_path, mode)
    write_atomic(SourceFile.read(str(f)), "x = 2\n")
    assert f.read_text() == "x = 2\n" and stat.S_IMODE(f.stat().st_mode) == mode


def test_write_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = _file(tmp_path)
    src = SourceFile.read(str(f))
    f.unlink()
    with pytest.raises(AsyncmendError, match="^cannot write: No such file or directory$"):
        write_atomic(src, "x = 2\n")
    f = _file(tmp_path)

    def no_room(**kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(source.tempfile, "mkstemp", no_room)
    with pytest.raises(AsyncmendError, match="^cannot write: No space left on device$"):
        write_atomic(SourceFile.read(str(f)), "x = 2\n")
    assert f.read_text() == "x = 1\n"


def test_write_through_a_link_rewrites_its_target(tmp_path: Path) -> None:
    f = _file(tmp_path)
    link = tmp_path / "link.py"
    link.symlink_to(f.name)
    write_atomic(SourceFile.read(str(link)), "x = 2\n")
    assert link.is_symlink() and f.read_text() == "x = 2\n"


def test_the_temporary_file_is_hidden_and_beside_the_target(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    f = _file(tmp_path)
    names = []
    replace = os.replace

    def watch(src, dst):
        names.append(Path(src))
        replace(src, dst)

    monkeypatch.setattr(source.os, "replace", watch)
    write_atomic(SourceFile.read(str(f)), "x = 2\n")
    [tmp] = names
    assert tmp.parent == tmp_path and tmp.name.startswith(".asyncmend-") and tmp.name.endswith(".tmp")


@pytest.mark.parametrize(
    "code, alone",
    [
        ("f()\n", True),
        ("f()  # why\n", True),
        ("s = 'é'; f()\n", False),
        ("f(); g()\n", False),
        ("try: f()\nexcept E: pass\n", False),
        ("if x:\n    f(\n        'é',\n    )\n", True),
    ],
)
def test_a_statement_alone_on_its_lines(code: str, alone: bool) -> None:
    src = SourceFile.from_bytes("t.py", code.encode())
    [stmt] = [n for n in ast.walk(src.tree) if isinstance(n, ast.Expr) and isinstance(n.value, ast.Call)
              and getattr(n.value.func, "id", "") == "f"]
    assert src.alone(stmt) is alone
