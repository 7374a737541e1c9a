"""Unawaited coroutines (AM101, AM102), the ``unawaited_family`` rules, as a LibCST codemod command:

    python -m libcst.tool codemod -x asyncmend.codemods.unawaited.UnawaitedCommand --no-format src/

This module loads LibCST and the engine (through ``command``): nothing that only checks imports it.
"""
from __future__ import annotations

from . import unawaited_family
from .command import FamilyCommand


class UnawaitedCommand(FamilyCommand):
    FAMILY = unawaited_family
