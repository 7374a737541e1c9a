"""Per-line suppression comments: ``# noqa``, ``# noqa: AM101``, ``# asyncmend: ignore[AM101]``.

A listed code silences that rule only; so does a rule's name (``# noqa: unawaited-coroutine``). Codes
of other tools (``# noqa: E501``) silence nothing of ours. Only a bare ``# noqa`` or
``# asyncmend: ignore`` without a list silences every rule on its line.
"""
from __future__ import annotations

import re

from .source import split_lines

# ``# noqa``, optionally with ``:`` and a list of codes or kebab-case names (comma or space separated).
_NOQA = re.compile(r"#\s*noqa(?P<colon>\s*:\s*(?P<codes>[\w-]+(?:(?:\s*,\s*|\s+)[\w-]+)*)?)?", re.I)
_IGNORE = re.compile(r"#\s*asyncmend:\s*ignore(?:\[(?P<codes>[^\]]*)\])?")

ALL = "*"


def suppressions(text: str) -> dict[int, frozenset[str]]:
    """Line number → what its comments name (codes and names upper-cased; ``ALL`` for a bare ``# noqa``)."""
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
                if found is None and not m.groupdict().get("colon"):
                    codes.add(ALL)
                elif found:
                    codes.update(c.upper() for c in re.split(r"[\s,]+", found.strip()) if c)
        if codes:
            out[lineno] = frozenset(codes)
    return out


def is_suppressed(line: int, code: str, table: dict[int, frozenset[str]]) -> bool:
    """Whether rule ``code`` is silenced on ``line``: by a bare comment, its code, or its name."""
    codes = table.get(line)
    if not codes:
        return False
    return ALL in codes or code in codes or _name(code).upper() in codes


def _name(code: str) -> str:
    from codemods import RULES_BY_CODE

    rule = RULES_BY_CODE.get(code)
    return rule.name if rule is not None else code
