"""Per-line suppression comments: ``# noqa``, ``# noqa: AM101``, ``# asyncmend: ignore[AM101]``.

A directive names rules by code (``AM101``, any case) or by name (``unawaited-coroutine``) and silences
only those; a bare ``# noqa`` or ``# asyncmend: ignore`` silences every rule on its line, and an empty
list (``# noqa:``, ``ignore[]``) none. Codes of other tools (``# noqa: E501``) may stand beside ours
and silence nothing of ours.
"""
from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass

from .source import split_lines

_ITEM = r"(?:[A-Za-z]+[0-9]+|[a-z][a-z0-9]*(?:-[a-z0-9]+)+)"
# A bare "noqa" directive, or one with a colon and a list; a colon followed by no code or name is an empty list.
_NOQA = re.compile(rf"#\s*noqa(?P<colon>\s*:\s*(?P<codes>{_ITEM}(?:\s*,\s*{_ITEM}|\s+{_ITEM})*)?)?", re.I)
_IGNORE = re.compile(r"#\s*asyncmend:\s*ignore(?P<colon>\[(?P<codes>[^\]]*)\])?")

ALL = "*"


@dataclass(frozen=True)
class Directive:
    """One suppression comment: where it is (1-based line, 0-based character columns of the match)
    and the codes or names it lists as written (empty: bare)."""

    line: int
    start: int
    end: int
    codes: tuple[str, ...]
    codes_start: int  # where the list of codes begins and ends (both == end for a bare directive)
    codes_end: int


def normalized(item: str) -> str:
    """Codes compare upper-case, names as they are."""
    return item.lower() if "-" in item else item.upper()


def directives(text: str) -> list[Directive]:
    """Every suppression directive, found by its text (see ``in_comments`` to drop those in strings)."""
    if "noqa" not in text.lower() and "asyncmend:" not in text:
        return []
    out: list[Directive] = []
    for lineno, line in enumerate(split_lines(text), 1):
        if "#" not in line:
            continue
        for pattern in (_NOQA, _IGNORE):
            for m in pattern.finditer(line):
                found = m.group("codes")
                if m.group("colon") and not (found or "").strip():
                    continue  # an empty list names nothing, so it silences nothing
                codes = tuple(c for c in re.split(r"[\s,]+", found.strip()) if c) if found else ()
                span = m.span("codes") if found else (m.end(), m.end())
                out.append(Directive(lineno, m.start(), m.end(), codes, *span))
    return out


def suppressions(text: str) -> dict[int, frozenset[str]]:
    """Line number → suppressed codes and names (``ALL`` for a bare directive)."""
    out: dict[int, set[str]] = {}
    for d in directives(text):
        out.setdefault(d.line, set()).update(map(normalized, d.codes) if d.codes else (ALL,))
    return {line: frozenset(codes) for line, codes in out.items()}


def is_suppressed(line: int, code: str, table: dict[int, frozenset[str]], name: str | None = None) -> bool:
    codes = table.get(line)
    return bool(codes) and (ALL in codes or code in codes or (name is not None and name in codes))


def in_comments(text: str, found: list[Directive]) -> list[tuple[Directive, int]]:
    """The directives of ``found`` that are in comments (not in a string), by Python's tokenizer, each
    with the column where its comment starts."""
    comments: set[tuple[int, int]] = set()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.COMMENT:
                comments.add(tok.start)
    except (tokenize.TokenError, SyntaxError):
        return []
    # A comment runs to the end of its line: the directive is in one when one starts at or before it.
    out = []
    for d in found:
        starts = [col for line, col in comments if line == d.line and col <= d.start]
        if starts:
            out.append((d, max(starts)))
    return out


def add_noqa(text: str, wanted: dict[int, list[str]]) -> tuple[str, int]:
    """``text`` with ``# noqa: CODES`` on each line of ``wanted`` (line → codes), and how many lines
    changed. Codes join a ``# noqa: ...`` already on the line; a line whose end is inside a string or
    continued by a backslash cannot take a comment and is left alone."""
    import ast

    lines = split_lines(text)
    blocked = _lines_without_room(text)
    existing = {d.line: d for d in directives(text) if d.codes and "noqa" in lines[d.line - 1][d.start:d.end].lower()}
    count = 0
    for line, codes in sorted(wanted.items()):
        if line in blocked or line > len(lines):
            continue
        body = lines[line - 1]
        stripped = body.rstrip("\r\n")
        ending = body[len(stripped):]
        if stripped.rstrip().endswith("\\"):
            continue
        d = existing.get(line)
        new_codes = ", ".join(dict.fromkeys(codes))
        if d is not None:
            stripped = stripped[: d.codes_end] + ", " + new_codes + stripped[d.codes_end:]
        else:
            stripped = f"{stripped.rstrip()}  # noqa: {new_codes}"
        lines[line - 1] = stripped + ending
        count += 1
    new = "".join(lines)
    try:
        if ast.dump(ast.parse(new)) != ast.dump(ast.parse(text)):
            return text, 0  # never change what the code means
    except (SyntaxError, ValueError):
        return text, 0
    return new, count


def _lines_without_room(text: str) -> set[int]:
    """Lines whose end lies inside a token that spans lines (a triple-quoted string, an f-string)."""
    blocked: set[int] = set()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.start[0] != tok.end[0] and tok.type not in (tokenize.NEWLINE, tokenize.NL):
                blocked.update(range(tok.start[0], tok.end[0]))
    except (tokenize.TokenError, SyntaxError):
        return set(range(1, len(split_lines(text)) + 1))
    return blocked


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
