"""Reading a Python file exactly as it is, and writing it back without losing anything.

A file is kept as its raw bytes plus the text decoded the way Python decodes it (PEP 263 cookie, BOM).
Writing encodes with the same encoding, restores the BOM, keeps newlines as they are in the text
(CRLF stays CRLF: the text is never newline-translated) and replaces the file atomically.
"""
from __future__ import annotations

import ast
import codecs
import difflib
import hashlib
import io
import os
import re
import stat
import tempfile
import tokenize
import warnings
from dataclasses import dataclass
from functools import cached_property

from .model import AsyncmendError


@dataclass
class SourceFile:
    path: str
    raw: bytes
    text: str
    encoding: str
    bom: bool

    @classmethod
    def from_bytes(cls, path: str, raw: bytes) -> "SourceFile":
        if b"\x00" in raw:
            raise AsyncmendError("source contains a NUL byte")
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
        except SyntaxError as exc:
            raise AsyncmendError(f"cannot decode: {exc}") from None
        bom = encoding == "utf-8-sig"
        if bom:
            encoding = "utf-8"
            body = raw[len(codecs.BOM_UTF8):]
        else:
            body = raw
        try:
            text = body.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise AsyncmendError(f"cannot decode as {encoding}: {exc}") from None
        return cls(path, raw, text, encoding, bom)

    @classmethod
    def read(cls, path: str) -> "SourceFile":
        try:
            # Non-blocking, so that a pipe named like a source file cannot hang the run.
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
            with os.fdopen(fd, "rb") as f:
                if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                    raise AsyncmendError("cannot read: not a regular file")
                raw = f.read()
        except OSError as exc:
            raise AsyncmendError(f"cannot read: {exc.strerror or exc}") from None
        return cls.from_bytes(path, raw)

    @cached_property
    def tree(self) -> ast.Module:
        """The file's ``ast``; raises AsyncmendError when it does not parse."""
        return parse_ast(self.text, self.path)

    @cached_property
    def lines(self) -> list[str]:
        return split_lines(self.text)

    @cached_property
    def digest(self) -> str:
        return content_digest(self.raw)

    def char_col(self, lineno: int, byte_col: int) -> int:
        """Convert ``ast``'s UTF-8 byte column on a 1-based line into a 0-based character column."""
        if lineno - 1 >= len(self.lines):
            return byte_col
        line = self.lines[lineno - 1]
        if line.isascii():
            return byte_col
        return len(line.encode("utf-8")[:byte_col].decode("utf-8", errors="replace"))

    def encode(self, text: str) -> bytes:
        data = text.encode(self.encoding)
        return codecs.BOM_UTF8 + data if self.bom else data


def content_digest(raw: bytes) -> str:
    return hashlib.blake2b(raw, digest_size=16).hexdigest()


def split_lines(text: str) -> list[str]:
    """Lines as Python numbers them, ends kept: split at \\n, \\r\\n and \\r only.

    ``str.splitlines`` also splits at form feeds, \\x1c-\\x1e, \\x85 and U+2028/U+2029, which Python
    source may hold in comments and strings; counting those shifts every later line number.
    """
    return io.StringIO(text, newline="").readlines()


def text_changes(old: str, new: str) -> list[tuple[int, int, str]]:
    """The smallest replacements that turn ``old`` into ``new``: (start, end, inserted), with start
    and end character offsets into ``old``, in order and not overlapping.

    Changed blocks of lines are found first (so an added import and an edit further down stay two
    changes), then trimmed to the characters that differ.
    """
    a, b = _LINE.findall(old), _LINE.findall(new)
    starts = [0]
    for line in a:
        starts.append(starts[-1] + len(line))
    out = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        before, after = "".join(a[i1:i2]), "".join(b[j1:j2])
        head = len(os.path.commonprefix([before, after]))
        tail = len(os.path.commonprefix([before[head:][::-1], after[head:][::-1]]))
        out.append((starts[i1] + head, starts[i1] + len(before) - tail, after[head: len(after) - tail]))
    return out


# Pieces of a text ending at "\n" (the last may have none): the units ``text_changes`` diffs.
_LINE = re.compile(r"[^\n]*\n|[^\n]+\Z")


def parse_ast(text: str, path: str = "<unknown>") -> ast.Module:
    try:
        with warnings.catch_warnings():
            # Invalid escape sequences and the like warn while parsing (SyntaxWarning from Python
            # 3.12): the file's business, not noise for asyncmend's output.
            warnings.simplefilter("ignore")
            return ast.parse(text, filename=path)
    except SyntaxError as exc:
        where = f" (line {exc.lineno})" if exc.lineno else ""
        raise AsyncmendError(f"cannot parse: {exc.msg}{where}") from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise AsyncmendError(f"cannot parse: {type(exc).__name__}: {exc}") from None


def compile_error(text: str, path: str = "<unknown>") -> str | None:
    """Why CPython's compiler rejects ``text``, or None if it compiles.

    Stricter than ``ast.parse``: ``await`` outside ``async def``, ``nonlocal`` at module level, a bad
    ``__future__`` import and the like parse, yet do not compile.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning and friends are the file's own business
            compile(text, path, "exec", dont_inherit=True)
    except SyntaxError as exc:
        return f"{exc.msg} (line {exc.lineno})" if exc.lineno else exc.msg
    except (ValueError, RecursionError, MemoryError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def write_atomic(src: SourceFile, new_text: str) -> None:
    """Replace ``src.path`` with ``new_text``, or raise AsyncmendError and leave the file as it was.

    The new content goes to a temporary file in the same folder which then replaces the original in one
    step, so a reader (or a crash, or Ctrl-C) sees either the old file or the new one and no temporary
    file stays behind. The file's permission bits and owner are kept, a read-only file is not touched,
    and a file that changed on disk since it was read is not overwritten.
    """
    data = src.encode(new_text)
    path = os.path.realpath(src.path)  # through a link: the link stays, its target is rewritten
    try:
        st = os.stat(path)
    except OSError as exc:
        raise AsyncmendError(f"cannot write: {exc.strerror or exc}") from None
    # The mode bits are checked as well as access(): root may write anything, yet a file marked
    # read-only says "do not change me".
    if not st.st_mode & 0o222 or not os.access(path, os.W_OK):
        mode = stat.S_IMODE(st.st_mode)
        raise AsyncmendError(f"cannot write: file is read-only (mode {mode:04o}); not fixed")
    folder = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=".asyncmend-", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise AsyncmendError(f"cannot write: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, st.st_mode & 0o7777)
        if hasattr(os, "chown") and (st.st_uid, st.st_gid) != (os.getuid(), os.getgid()):
            try:
                os.chown(tmp, st.st_uid, st.st_gid)  # root fixing someone's file keeps it theirs
            except PermissionError:
                pass
        with open(path, "rb") as f:
            if f.read() != src.raw:
                raise AsyncmendError("file changed on disk while it was being fixed; not overwritten")
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise AsyncmendError(f"cannot write: {exc.strerror or exc}") from None
        raise
