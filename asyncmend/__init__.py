"""asyncmend finds and fixes asyncio mistakes; this is its Python API for scripts.

    import asyncmend

    result = asyncmend.fix_source(code)              # a FileResult: new_text, diff, fixed, findings
    for r in asyncmend.fix_paths(["src"], select=["AM1"], write=False):
        print(r.diff, end="")

See :mod:`asyncmend.api` for the options (the command line's) and what each function returns. Bad
input raises :class:`AsyncmendError`.
"""
from .api import FileResult, check_paths, check_source, fix_paths, fix_source, rules
from .model import AsyncmendError, Finding, Fix, Rule

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
