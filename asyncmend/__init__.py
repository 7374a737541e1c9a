"""asyncmend finds and fixes asyncio mistakes; this is its Python API for scripts.

    import asyncmend

    result = asyncmend.fix_source(code)              # a FileResult: new_text, diff, fixed, findings
    for r in asyncmend.fix_paths(["src"], select=["AM1"], write=False):
        print(r.diff, end="")

See :mod:`asyncmend.api` for the options (the command line's) and what each function returns. Bad
input raises :class:`AsyncmendError`.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .model import AsyncmendError, Finding, Fix, Rule

if TYPE_CHECKING:
    from .api import FileResult, check_paths, check_source, fix_paths, fix_source, rules

_API = ("FileResult", "check_paths", "check_source", "fix_paths", "fix_source", "rules")

__all__ = [
    "AsyncmendError",
    "FileResult",
    "Finding",
    "Fix",
    "Rule",
    "check_paths",
    "check_source",
    "fix_paths",
    "fix_source",
    "rules",
]


def __getattr__(name: str):
    """The API's names are loaded on first use: every submodule's import (the command line's too)
    imports this package first, and must not pay for the API and the whole engine behind it."""
    if name in _API:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_API})
