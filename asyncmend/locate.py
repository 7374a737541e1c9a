"""The one way a rewrite finds the LibCST nodes at the positions the ``ast``-based analysis reported: by
where a node starts (``at``, ``__call__`` for a finding) or by its exact span (``spanning``)."""
from __future__ import annotations

import ast
import bisect
from typing import TypeVar

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from .model import Finding

N = TypeVar("N", bound=cst.CSTNode)


class Locator:
    """Maps (line, column) starts to the nodes of one module.

    Rewriters look their targets up here before transforming, then recognise them by identity while
    they transform that same module. (A LibCST transform rebuilds every node, so each family gets a
    Locator of the module it rewrites: see ``engine._rewrite``.)

    Given the module's text, ``at`` computes positions only within the top-level statement that holds
    the line asked about (found by the statements' first lines, from ``ast``): LibCST's position
    metadata over a whole big module costs more than the rest of a fix. ``positions`` (every node of
    the module) is computed when it is first asked for.
    """

    def __init__(self, module: cst.Module, text: str | None = None):
        self.module = module
        self._positions = None
        self._starts: dict[tuple[int, int], list[cst.CSTNode]] | None = None
        self._lines: list[int] = []  # the first line of each top-level statement, in order
        self._offsets: list[tuple[cst.CSTNode, cst.CSTNode, int]] = []  # (statement, anchor, its line)
        self._done: set[int] = set()
        self._spans: dict[tuple[int, int, int, int], list[cst.CSTNode]] | None = None
        anchors = _anchors(module, text) if text is not None else None
        if anchors is None:
            self._index(self.positions)
        else:
            self._starts = {}
            self._offsets = anchors
            self._lines = [line for _, _, line in anchors]

    @property
    def positions(self):
        if self._positions is None:
            self._positions = MetadataWrapper(self.module, unsafe_skip_copy=True).resolve(PositionProvider)
        return self._positions

    def _index(self, positions, offset: int = 0) -> None:
        starts = self._starts = self._starts if self._starts is not None else {}
        for node, where in positions.items():
            starts.setdefault((where.start.line + offset, where.start.column), []).append(node)

    def _statement_at(self, line: int) -> None:
        """Index the nodes of the top-level statement that holds ``line`` (once)."""
        i = bisect.bisect_right(self._lines, line) - 1
        if i < 0 or i in self._done:
            return
        self._done.add(i)
        statement, anchor, anchor_line = self._offsets[i]
        alone = self.module.with_changes(body=[statement], header=[], footer=[])
        positions = MetadataWrapper(alone, unsafe_skip_copy=True).resolve(PositionProvider)
        self._index({node: where for node, where in positions.items() if node is not alone},
                    anchor_line - positions[anchor].start.line)
        first = self._starts.get((1, 0))
        if first is not None and first[-1] is not self.module:  # the module starts where its text does
            first.append(self.module)

    def at(self, line: int, col: int, kind: type[N]) -> N | None:
        """The outermost node of ``kind`` starting at a 1-based line and 0-based character column."""
        if self._lines:
            self._statement_at(line)
            if (line, col) not in self._starts:  # before the first statement or after the last one
                self._lines = []
                self._starts = None
                self._index(self.positions)
        for node in self._starts.get((line, col), ()):
            if isinstance(node, kind):
                return node
        return None

    def looked_in(self) -> set[int] | None:
        """The ids of the top-level statements whose nodes lookups have met so far; None when the
        whole module is indexed (a lookup may have met any node)."""
        if not self._lines:
            return None
        return {id(self._offsets[i][0]) for i in self._done}

    def __call__(self, finding: Finding, kind: type[N]) -> N | None:
        return self.at(finding.line, finding.col - 1, kind)

    def spanning(self, line: int, col: int, end_line: int, end_col: int) -> list[cst.CSTNode]:
        """The nodes that span exactly from (line, col) to (end_line, end_col), 1-based lines and
        0-based character columns, innermost first (positions are recorded as nodes are left)."""
        if self._spans is None:
            self._spans = {}
            for node, where in self.positions.items():
                key = (where.start.line, where.start.column, where.end.line, where.end.column)
                self._spans.setdefault(key, []).append(node)
        return self._spans.get((line, col, end_line, end_col), [])


def _anchors(module: cst.Module, text: str) -> list[tuple[cst.CSTNode, cst.CSTNode, int]] | None:
    """For each top-level statement: itself, the node whose first line ``ast`` knows (its first
    decorator, else itself) and that line; None when the two parses do not pair up."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return None
    out = []
    i = 0
    for statement in module.body:
        if i >= len(tree.body):
            return None
        node = tree.body[i]
        if isinstance(statement, cst.SimpleStatementLine):
            out.append((statement, statement, node.lineno))
            i += len(statement.body)
            continue
        decorators = getattr(statement, "decorators", ())
        if decorators:
            if not getattr(node, "decorator_list", None):
                return None
            out.append((statement, decorators[0], node.decorator_list[0].lineno))
        else:
            out.append((statement, statement, node.lineno))
        i += 1
    return out if i == len(tree.body) else None
