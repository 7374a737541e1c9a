"""asyncmend's rule families: analysis, rules and LibCST rewriters.

Each family module has ``RULES`` (its rule docs) and ``rewrite(module, findings, locate, context)``.
Families that judge one file at a time have ``check(source) -> list[Finding]``; the unawaited family
resolves per-file summaries against the project index instead.
"""
from __future__ import annotations

from . import drain, noqa, threads, unawaited

FAMILIES = (noqa, unawaited, drain, threads)

ALL_RULES = tuple(rule for family in FAMILIES for rule in family.RULES)

RULES_BY_CODE = {rule.code: rule for rule in ALL_RULES}
