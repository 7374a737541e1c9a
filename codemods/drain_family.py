"""The drain family: tasks left behind. Cancel without drain (AM201), the task API removed in Python
3.9 (AM202), a loop closed with tasks pending (AM203), tasks cancelled and never awaited (AM204).

Detection reads the ``ast`` (``drainfile``: scopes and statement order from ``flow``, asyncio names
from ``cancels``); every finding carries its fix as plain edits, which ``rewrite`` applies with
LibCST (``edits``).
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from asyncmend.model import Finding

from . import cancel_drain, cancel_unawaited, closed_pending, removed_api
from . import edits as edit_plans
from .cancel_drain import AM201
from .cancel_unawaited import AM204
from .closed_pending import AM203
from .drainfile import DrainFile
from .removed_api import AM202

# LibCST is imported inside the functions that rewrite, never at the top: `asyncmend check` loads
# this module and must not pay for LibCST (its import alone takes about 0.85 s).
if TYPE_CHECKING:
    import libcst as cst
    from libcst.codemod import CodemodContext

    from asyncmend.locate import Locator
    from asyncmend.source import SourceFile


RULES = (AM201, AM202, AM203, AM204)

_REMOVED_TEXT = re.compile(r"\.\s*(all_tasks|current_task)\b")  # after an alias of Task, too
_ASYNC_CALL = re.compile(r"\.\s*async\s*\(")  # ``asyncio.async(...)``, in files for Python 3.6 or older


def check(src: "SourceFile") -> list[Finding]:
    text = src.text
    removed = ("Task" in text and _REMOVED_TEXT.search(text) is not None) or _ASYNC_CALL.search(text) is not None
    cancels = "all_tasks" in text and ".cancel(" in text and (".stop(" in text or ".close(" in text)
    cancelled = ".cancel(" in text and "async def" in text and any(
        start in text for start in ("create_task", "ensure_future", "wait(")
    )
    closes = ".close(" in text and any(run in text for run in ("run_until_complete", "run_forever", "call_soon_threadsafe"))
    if not removed and not cancels and not closes and not cancelled:
        return []
    file = DrainFile(src)
    found = removed_api.find(file) if removed else []  # first: AM201 reuses its replacements
    found += cancel_drain.find(file) if cancels else []
    found += closed_pending.find(file) if closes else []
    return found + (cancel_unawaited.find(file) if cancelled else [])


def rewrite(module: "cst.Module", findings: list[Finding], locate: "Locator", context: "CodemodContext"):
    from libcst.codemod.visitors import AddImportsVisitor

    plans = [edit for f in findings if f.fix for edit in f.fix.params["edits"]]
    new = edit_plans.apply(module, plans, locate)
    if new is not module:
        for f in findings:
            for name in f.fix.params.get("imports", ()) if f.fix else ():
                AddImportsVisitor.add_needed_import(context, name)
    return new

