"""The noqa family: its rule is judged once a file's other findings are known, and its rewrite edits
only comments, so it goes first and moves no other family's positions."""
from __future__ import annotations

from types import ModuleType

from ..family import Family

SUMMARY = "suppression comments that silence nothing"


def family(rule: ModuleType) -> Family:
    return Family("noqa", SUMMARY, (rule.RULE,), rewrite, judge=rule.judge, keeps_positions=True)


def rewrite(module, findings, locate, context):
    # LibCST is loaded only to rewrite: `asyncmend check` never pays for it (about 0.85 s).
    from .rewrite import rewrite as apply

    return apply(module, findings, locate, context)
