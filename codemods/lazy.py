"""A family module's ``__getattr__`` (PEP 562) that makes its LibCST codemod command on first use.

    from .lazy import lazy_command
    __getattr__ = lazy_command(__name__)   # codemods.drain.DrainCommand

Only the command's own name loads LibCST (through ``codemods.command``); any other missing attribute
is an AttributeError at once, so ``hasattr(family, "check")`` stays cheap.
"""
from __future__ import annotations

from typing import Any, Callable


def lazy_command(family_name: str) -> Callable[[str], Any]:
    expected = family_name.rpartition(".")[2].capitalize() + "Command"

    def __getattr__(name: str) -> Any:
        if name != expected:
            raise AttributeError(f"module {family_name!r} has no attribute {name!r}")
        from .command import make_command

        return make_command(family_name, name)

    return __getattr__
