"""The one list of asyncmend's rule families and their rules: the engine, the configuration, the
documentation and the language server read them here.

Each family module has ``RULES`` (its rule docs) and ``rewrite(module, findings, locate, context)``.
Families that judge one file at a time have ``check(source) -> list[Finding]``; the unawaited family
resolves per-file summaries against the project index instead. ``FAMILIES`` are the families of
asyncio mistakes, each also a LibCST codemod command (``asyncmend.codemods.drain.DrainCommand`` for
``drain_family``); ``noqa`` (AM001, stale suppression comments) is judged by the engine once a file's
findings are known, and rewritten first (``REWRITERS``).
"""
from __future__ import annotations

from . import drain_family, noqa, threads_family, unawaited_family

FAMILIES = (unawaited_family, drain_family, threads_family)

REWRITERS = (noqa, *FAMILIES)

ALL_RULES = tuple(rule for family in REWRITERS for rule in family.RULES)

RULES_BY_CODE = {rule.code: rule for rule in ALL_RULES}
