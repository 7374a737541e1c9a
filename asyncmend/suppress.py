"""Per-line suppression comments: ``# noqa``, ``# noqa: AM101``, ``# asyncmend: ignore[AM101]``."""
from __future__ import annotations

import io
import re
import tokenize

from .source import split_lines

_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Za-z]+[0-9]+(?:[\s,]+[A-Za-z]+[0-9]+)*))?", re.I)
_IGNORE = re.compile(r"#\s*asyncmend:\s*ignore(?:\[(?P<codes>[^\]]*)\])?")

ALL = "*"


def suppressions(text: str) -> dict[int, frozenset[str]]:
    """Line number → suppressed codes (``ALL`` for a bare ``# noqa``)."""
    if "noqa" not in text.lower() and "asyncmend:" not in text:
        return {}
    out: dict[int, frozenset[str]] = {}
    for lineno, line in enumerate(split_lines(text), 1):
        if "#" not in line:
            continue
        codes: set[str] = set()
        for pattern in (_NOQA, _IGNORE):
            for m in pattern.finditer(line):
                found = m.group("codes")
                if found is None:
                    codes.add(ALL)
                else:
                    codes.update(c.upper() for c in re.split(r"[\s,]+", found.strip()) if c)
        if codes:
            out[lineno] = frozenset(codes)
    return out


def is_suppressed(line: int, code: str, table: dict[int, frozenset[str]]) -> bool:
    codes = table.get(line)
    return bool(codes) and (ALL in codes or code in codes)


def noqa_edit(text: str, line: int, code: str) -> tuple[int, int, str] | None:
    """The change that silences ``code`` on 1-based ``line``: (start, end, inserted) as character
    offsets into ``text``, adding ``# noqa: CODE`` at the end of the line or the code to the line's
    ``# noqa: ...`` list. None where no comment can go: the line ends inside a string, after a
    backslash continuation, or the text does not tokenize.
    """
    lines = split_lines(text)
    if not 1 <= line <= len(lines):
        return None
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text, newline="").readline))
    except (tokenize.TokenError, SyntaxError):
        return None
    comment = None
    for tok in tokens:
        if tok.start[0] <= line < tok.end[0] and tok.type not in (tokenize.NL, tokenize.NEWLINE):
            return None  # a token (a triple-quoted string) runs past the end of the line
        if tok.type == tokenize.COMMENT and tok.start[0] == line:
            comment = tok
    start = sum(len(x) for x in lines[: line - 1])
    body = lines[line - 1].rstrip("\r\n")
    if comment is None and body.rstrip().endswith("\\"):
        return None
    if comment is not None:
        found = _NOQA.search(comment.string)
        if found is not None and found.group("codes"):
            at = start + comment.start[1] + found.end("codes")
            return at, at, f", {code}"
    end = start + len(body.rstrip())
    return end, start + len(body), f"  # noqa: {code}"
