"""asyncio across threads (AM301-AM306), the ``threads_family`` rules, as a LibCST codemod command:

    python -m libcst.tool codemod -x asyncmend.codemods.threads.ThreadsCommand --no-format src/

This module loads LibCST and the engine (through ``command``): nothing that only checks imports it.
"""
from __future__ import annotations

from . import threads_family
from .command import FamilyCommand


class ThreadsCommand(FamilyCommand):
    FAMILY = threads_family
