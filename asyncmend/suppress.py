"""Per-line suppression comments: ``# noqa``, ``# noqa: AM101``, ``# asyncmend: ignore[AM101]``.

A directive names rules by code (``AM101``, any case) or by name (``unawaited-coroutine``) and silences
only those; a bare ``# noqa`` or ``# asyncmend: ignore`` silences every rule on its line, and an empty
list (``# noqa:``, ``ignore[]``) none. Codes of other tools (``# noqa: E501``) may stand beside ours
and silence nothing of ours.
"""
from __future__ import annotations

import ast
import itertools
import re
import tokenize
from dataclasses import dataclass

from .source import generate_tokens, split_lines

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


def suppressions(text: str, found: list[Directive] | None = None) -> dict[int, frozenset[str]]:
    """Line number → suppressed codes and names (``ALL`` for a bare directive); ``found`` is
    ``directives(text)`` where the caller has it already."""
    out: dict[int, set[str]] = {}
    for d in directives(text) if found is None else found:
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
        for tok in generate_tokens(text):
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
    changed. Codes join a ``# noqa: ...`` already on the line; a line that cannot take a comment (see
    ``_noqa_insertions``) is left alone."""
    insertions = _noqa_insertions(text, wanted)
    new = text
    for start, end, inserted in sorted(insertions.values(), reverse=True):
        new = new[:start] + inserted + new[end:]
    try:
        if ast.dump(ast.parse(new)) != ast.dump(ast.parse(text)):
            return text, 0  # never change what the code means
    except (SyntaxError, ValueError):
        return text, 0
    return new, len(insertions)


def noqa_edit(text: str, line: int, code: str) -> tuple[int, int, str] | None:
    """The change that silences ``code`` on 1-based ``line``: (start, end, inserted) as character
    offsets into ``text``; None where no comment can go (see ``_noqa_insertions``)."""
    return _noqa_insertions(text, {line: [code]}).get(line)


def _noqa_insertions(text: str, wanted: dict[int, list[str]]) -> dict[int, tuple[int, int, str]]:
    """For each line of ``wanted`` (1-based line → codes) that can take a comment, the change that
    silences those codes: (start, end, inserted) as character offsets into ``text``, adding
    ``# noqa: CODES`` at the end of the line or the codes to the ``# noqa: ...`` list of the line's
    comment. No line can where the text does not tokenize; a line cannot where it ends inside a token
    (a triple-quoted string) or, without a comment, after a backslash continuation."""
    lines = split_lines(text)
    try:
        tokens = list(generate_tokens(text))
    except (tokenize.TokenError, SyntaxError):
        return {}
    spanned: set[int] = set()
    comments: dict[int, tokenize.TokenInfo] = {}
    for tok in tokens:
        if tok.start[0] != tok.end[0] and tok.type not in (tokenize.NL, tokenize.NEWLINE):
            spanned.update(range(tok.start[0], tok.end[0]))
        if tok.type == tokenize.COMMENT:
            comments[tok.start[0]] = tok
    offsets = list(itertools.accumulate(map(len, lines), initial=0))
    out = {}
    for line, codes in wanted.items():
        if not 1 <= line <= len(lines) or line in spanned:
            continue
        start, body = offsets[line - 1], lines[line - 1].rstrip("\r\n")
        comment = comments.get(line)
        if comment is None and body.rstrip().endswith("\\"):
            continue
        listed = ", ".join(dict.fromkeys(codes))
        found = _NOQA.search(comment.string) if comment is not None else None
        if found is not None and found.group("codes"):
            at = start + comment.start[1] + found.end("codes")
            out[line] = (at, at, f", {listed}")
        else:
            out[line] = (start + len(body.rstrip()), start + len(body), f"  # noqa: {listed}")
    return out
