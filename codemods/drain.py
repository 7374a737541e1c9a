"""Tasks left behind (AM201-AM204), the ``drain_family`` rules, as a LibCST codemod command:

    python -m libcst.tool codemod -x asyncmend.codemods.drain.DrainCommand --no-format src/

This module loads LibCST and the engine (through ``command``): nothing that only checks imports it.
"""
from __future__ import annotations

from . import drain_family
from .command import FamilyCommand


class DrainCommand(FamilyCommand):
    FAMILY = drain_family
