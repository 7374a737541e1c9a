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
import sys
import tempfile
import tokenize
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

from .model import AsyncmendError
from .semantic import SemanticModel


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
        """The file's ``ast``; raises AsyncmendError when it does not parse.

        A file written for Python 3.6 or older, with ``async`` or ``await`` as names, is read with
        that grammar (see ``legacy``)."""
        try:
            return parse_ast(self.text, self.path)
        except AsyncmendError as exc:
            tree = parse_legacy(self.text, self.path)
            if tree is None:
                raise exc from None
            self.legacy = True
            return tree

    #: The file parses only with the Python 3.6 grammar (``async``/``await`` as names): it is
    #: analysed, but LibCST cannot parse it, so it is never rewritten.
    legacy = False

    #: The file's module name (``pkg.sub.mod``) and whether it is a package's ``__init__``, when the
    #: run knows them (set before ``semantic`` is first built): relative imports resolve through them.
    module = ""
    is_package = False

    @cached_property
    def semantic(self) -> SemanticModel:
        """The file's semantic model (scopes, bindings, names), built once and shared by every rule."""
        return SemanticModel(self.tree, self.module, self.is_package)

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

    def alone(self, stmt: ast.stmt) -> bool:
        """Whether ``stmt`` has its lines to itself (no ``;`` neighbour, not the body of ``try: ...``,
        nothing after it but a comment), so that statements can be put before or after it, or in its
        place."""
        before = self.lines[stmt.lineno - 1][: self.char_col(stmt.lineno, stmt.col_offset)]
        end = stmt.end_lineno or stmt.lineno
        after = self.lines[end - 1][self.char_col(end, stmt.end_col_offset or 0):].strip()
        return not before.strip() and (not after or after.startswith("#"))

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


def generate_tokens(text: str) -> Iterator[tokenize.TokenInfo]:
    """Python's tokens of ``text``, its lines numbered as ``split_lines`` and the compiler number them.

    The text is read with universal newlines: a lone \\r ends a line too (given as is, the tokenizer of
    Python 3.11 and older sees a backslash and a lone \\r as no line continuation, and reads a string
    continued that way as code); line ends become \\n, which moves no line or column.
    """
    return tokenize.generate_tokens(io.StringIO(text, newline=None).readline)


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


def parse_legacy(text: str, path: str = "<unknown>") -> ast.Module | None:
    """The ``ast`` of a file with Python 3.5/3.6 syntax (``asyncio.async(...)``, ``async=True``, a
    module named ``async``), or None when the file does not parse that way either.

    ``async`` and ``await`` used as names are renamed (same length) to names the file does not use,
    the result is parsed with today's grammar, and the names are put back in the tree. (CPython's own
    ``ast.parse(feature_version=(3, 6))`` rejects ``with (await lock):``, valid in 3.6, and Python
    3.13 no longer accepts 3.6 as a feature version.)
    """
    renamed, stand_ins = rename_soft_keywords(text)
    if not stand_ins:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(renamed, filename=path)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    _restore_names(tree, stand_ins)
    return tree


def rename_soft_keywords(text: str) -> tuple[str, dict[str, str]]:
    """``text`` with every ``async``/``await`` that Python 3.6 reads as a name (not a keyword)
    replaced by a name of the same length that the file does not use, so that every line and column
    stays as it is; and the stand-ins (stand-in: original word).

    In Python 3.6 ``async`` is a keyword only before ``def``, ``with`` and ``for``, and ``await``
    only in the body of an ``async def`` (not in a function or lambda nested in it).
    """
    try:
        tokens = _tokens(text)
    except (tokenize.TokenError, SyntaxError):
        return text, {}
    stand_ins = {word: next(n for i in range(1000) if (n := f"_{i:03d}{word[1]}") not in text) for word in ("async", "await")}
    spots = []
    functions: list[list] = []  # [is_async, indent depth of the body or None, one-line body]
    depth = 0
    pending = None  # a ``def`` whose body has not started
    brackets = 0
    for i, tok in enumerate(tokens):
        kind, string = tok.type, tok.string
        if kind == tokenize.INDENT:
            depth += 1
            if pending is not None:
                pending[1] = depth
                functions.append(pending)
                pending = None
            continue
        if kind == tokenize.DEDENT:
            depth -= 1
            while functions and functions[-1][1] is not None and functions[-1][1] > depth:
                functions.pop()
            continue
        if kind == tokenize.OP:
            brackets += string in "([{"
            brackets -= string in ")]}"
            if string == ":" and brackets == 0 and pending is not None and tokens[i + 1].type not in (
                tokenize.NEWLINE, tokenize.COMMENT
            ):
                pending[2] = True  # ``async def f(): await x`` on one line
                functions.append(pending)
                pending = None
            continue
        if kind == tokenize.NEWLINE:
            if functions and functions[-1][2]:
                functions.pop()
            continue
        if kind != tokenize.NAME:
            continue
        before = tokens[i - 1].string if i else ""
        after = tokens[i + 1].string if i + 1 < len(tokens) else ""
        if string == "def" and before != ".":
            pending = [before == "async" and tokens[i - 1].type == tokenize.NAME, None, False]
        if string == "async" and after not in ("def", "with", "for"):
            spots.append((tok.start, "async"))
        elif string == "await" and not (functions and functions[-1][0] and before != "."):
            spots.append((tok.start, "await"))
    if not spots:
        return text, {}
    lines = split_lines(text)
    for (line_no, col), word in spots:
        line = lines[line_no - 1]
        lines[line_no - 1] = line[:col] + stand_ins[word] + line[col + 5:]
    return "".join(lines), {v: k for k, v in stand_ins.items() if any(w == k for _, w in spots)}


def _tokens(text: str) -> list[tokenize.TokenInfo]:
    """``text``'s tokens, with the tokens of the expressions inside f-strings among them.

    From Python 3.12 ``tokenize`` gives them itself (``FSTRING_START``, the expressions' own tokens,
    ``FSTRING_END``). Before, an f-string is one ``STRING`` token: the expression of each replacement
    field is tokenized apart, between parentheses (which keep the tokens after a name, like the
    braces do), and its tokens follow the string's, placed where they are in ``text``.
    """
    tokens = list(generate_tokens(text))
    if sys.version_info >= (3, 12):
        return tokens
    out = []
    for tok in tokens:
        out.append(tok)
        if tok.type == tokenize.STRING:
            out.extend(_fstring_tokens(tok))
    return out


def _fstring_tokens(tok: tokenize.TokenInfo) -> list[tokenize.TokenInfo]:
    """The tokens of the replacement fields' expressions of the string token ``tok`` (none unless
    it is an f-string), in order, each expression between ``(`` and ``)``; nested f-strings too."""
    text = tok.string
    letters = len(text) - len(text.lstrip("rRbBuUfF"))
    prefix = text[:letters].lower()
    if "f" not in prefix:
        return []
    quote = 3 if text[letters:letters + 3] in ('"""', "'''") else 1
    out = []
    for start, end in _fstring_fields(text, letters + quote, len(text) - quote, raw="r" in prefix):
        head = text[:start]
        row = tok.start[0] + head.count("\n")
        col = (tok.start[1] + start if row == tok.start[0] else start - head.rfind("\n") - 1) - 1  # for "("
        for inner in _tokens("(" + text[start:end] + ")"):
            if inner.type in (tokenize.NL, tokenize.NEWLINE, tokenize.ENDMARKER):
                continue
            (r1, c1), (r2, c2) = inner.start, inner.end
            out.append(inner._replace(start=(row + r1 - 1, c1 + col if r1 == 1 else c1),
                                      end=(row + r2 - 1, c2 + col if r2 == 1 else c2)))
    return out


def _fstring_fields(text: str, i: int, end: int, raw: bool = False) -> list[tuple[int, int]]:
    """(start, end) of the expression of every replacement field in the f-string body
    ``text[i:end]``, read as Python 3.11 and older read it: ``{{`` and ``}}`` are braces, ``\\N{...}``
    names a character (not in a raw string), an expression ends at a ``}``, a conversion ``!x`` or a
    format spec ``:...`` outside its own brackets and strings, and a format spec may hold fields."""
    fields = []

    def literal(i: int, spec: bool) -> int:  # the index of the "}" closing a spec, or ``end``
        while i < end:
            c = text[i]
            if c == "\\" and not raw:
                if text.startswith("N{", i + 1):
                    close = text.find("}", i, end)
                    i = end if close < 0 else close + 1
                else:
                    i += 2 if text.startswith("\\", i + 1) else 1
            elif c == "{" and not spec and text.startswith("{", i + 1):
                i += 2
            elif c == "{":
                i = field(i + 1)
            elif c == "}" and spec:
                return i
            else:
                i += 1
        return end

    def field(i: int) -> int:  # from just after the "{"; the index after the closing "}"
        start, depth = i, 0
        while i < end:
            c = text[i]
            if c in "'\"":
                quote = text[i:i + 3] if text[i:i + 3] in ('"""', "'''") else c
                close = text.find(quote, i + len(quote), end)
                i = end if close < 0 else close + len(quote)
                continue
            if c in "([{":
                depth += 1
            elif c in ")]" or (c == "}" and depth):
                depth -= 1
            elif c == "!" and text.startswith("=", i + 1):
                i += 1
            elif depth == 0 and c in "!:}":
                fields.append((start, i))
                if c == "!":
                    i += 2
                if text.startswith(":", i):
                    i = literal(i + 1, spec=True)
                return i + 1
            i += 1
        return end

    literal(i, spec=False)
    return fields


def _restore_names(tree: ast.Module, stand_ins: dict[str, str]) -> None:
    def back(name: str | None) -> str | None:
        if name is None:
            return None
        for stand_in, word in stand_ins.items():
            name = name.replace(stand_in, word)
        return name

    fields = ("id", "attr", "arg", "name", "asname", "module")
    for node in ast.walk(tree):
        for name in fields:
            value = getattr(node, name, None)
            if isinstance(value, str):
                setattr(node, name, back(value))
        if isinstance(node, (ast.Global, ast.Nonlocal)):
            node.names = [back(n) for n in node.names]


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
