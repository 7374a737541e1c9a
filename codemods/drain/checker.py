"""What the drain rules share: the check that runs them on one file, and the rewrite of their plans.

A drain rule file has its ``RULE``, ``wanted(text)`` (a quick test of the file's text) and
``find(file)`` (its findings in a ``DrainFile``, each with its fix as plain edits, see ``drainfile``).
The rules run in the order they are given (``registry``): AM202 records its replacements in the
``DrainFile`` for AM201's fixes to reuse, so it comes first.
"""
from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING

from asyncmend.model import Finding

from ..family import Family
from .drainfile import DrainFile

if TYPE_CHECKING:
    from asyncmend.source import SourceFile

SUMMARY = "tasks left behind: cancelled without a drain, removed task API, a loop closed with tasks pending"


def family(*rules: ModuleType) -> Family:
    def check(src: "SourceFile") -> list[Finding]:
        chosen = [rule for rule in rules if rule.wanted(src.text)]
        if not chosen:
            return []
        file = DrainFile(src)
        return [f for rule in chosen for f in rule.find(file)]

    return Family("drain", SUMMARY, tuple(rule.RULE for rule in rules), rewrite, check=check)


def rewrite(module, findings, locate, context):
    # LibCST is loaded only to rewrite: `asyncmend check` never pays for it (about 0.85 s).
    from .rewrite import rewrite as apply

    return apply(module, findings, locate, context)
