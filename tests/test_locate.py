"""The Locator finds the same node at each position whether it indexes the whole module's positions or,
given the text, only the top-level statement that holds the line asked about."""
from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest

from asyncmend.locate import Locator

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

MIXED = '''#!/usr/bin/env python
# a header comment
"""Docstring."""
import asyncio; import os


@staticmethod  # a decorator
# a comment between decorators
@property
async def one(x):
    await asyncio.sleep(0); os.getcwd()


class Two(Base, metaclass=Meta):
    @classmethod
    def three(cls):  # a method
        return (
            cls
        )

if os.name:
    pass
else:
    one(1)
# a footer comment
'''


def _same(text: str) -> int:
    module = cst.parse_module(text)
    whole = Locator(module)
    checked = 0
    fresh: dict[int, Locator] = {}  # one per line: the first lookup on a line starts from an empty index
    for node, where in whole.positions.items():
        line, col = where.start.line, where.start.column
        if line not in fresh:
            fresh[line] = Locator(module, text)
        by_statement = fresh[line]
        assert by_statement.at(line, col, type(node)) is whole.at(line, col, type(node)), (line, col, node)
        checked += 1
    return checked


def test_a_module_with_header_decorators_and_footer() -> None:
    assert _same(MIXED) > 100


@pytest.mark.parametrize("path", sorted((FIXTURES / "unawaited").glob("AM10*.py"))[:6], ids=lambda p: p.name)
def test_fixture_inputs(path: Path) -> None:
    _same(path.read_text(encoding="utf-8"))
