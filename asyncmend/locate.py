"""The one way a rewrite finds the LibCST nodes at the positions the ``ast``-based analysis reported: by
where a node starts (``at``, ``__call__`` for a finding) or by its exact span (``spanning``)."""
from __future__ import annotations

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
    """

    def __init__(self, module: cst.Module):
        positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
        self._starts: dict[tuple[int, int], list[cst.CSTNode]] = {}
        for node, where in positions.items():
            self._starts.setdefault((where.start.line, where.start.column), []).append(node)
        self.positions = positions
        self._spans: dict[tuple[int, int, int, int], list[cst.CSTNode]] | None = None

    def at(self, line: int, col: int, kind: type[N]) -> N | None:
        """The outermost node of ``kind`` starting at a 1-based line and 0-based character column."""
        for node in self._starts.get((line, col), ()):
            if isinstance(node, kind):
                return node
        return None

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
