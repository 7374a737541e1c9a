"""Per-line suppression comments: ``# noqa``, ``# noqa: AM101``, ``# asyncmend: ignore[AM101]``."""
from __future__ import annotations

import re

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
