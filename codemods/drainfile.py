"""One file as the drain family sees it: its scopes, names and asyncio expressions, its text, and
how findings and edit plans (``edits``) are made from ``ast`` positions."""
from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from asyncmend.model import Finding, Fix, Rule

from .cancels import TaskExprs
from .flow import scopes
from .names import Names

if TYPE_CHECKING:
    from asyncmend.source import SourceFile


def same(a: ast.AST | None, b: ast.AST | None) -> bool:
    return a is not None and b is not None and ast.dump(a) == ast.dump(b)


def method_call(call: ast.AST, *names: str) -> bool:
    return isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr in names


def is_dotted(expr: ast.expr) -> bool:
    while isinstance(expr, ast.Attribute):
        expr = expr.value
    return isinstance(expr, ast.Name)


class DrainFile:
    """Shared by both rules: AM202 records its replacements in ``fixed_funcs`` so that an AM201 fix
    which rewrites a larger expression around them writes them too."""

    def __init__(self, src: "SourceFile"):
        self.src = src
        self.scopes = scopes(src.tree)
        self.names = Names(src.tree, src.symtable_text, self.scopes)
        self.exprs = TaskExprs(self.names)
        self.module = self.scopes[0]
        self.asyncio = self.names.module_ref("asyncio")
        self.scope_of = {key: s for s in self.scopes for key in s.owner}
        self.defined_in = {id(stmt): s for s in self.scopes for stmt in s.statements}
        self.runners = {
            s.node.name
            for s in self.scopes
            if isinstance(s.node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and any(method_call(c, "run_until_complete", "run_forever") for c in s.calls)
        }
        self.fixed_funcs: dict[int, tuple[ast.expr, str]] = {}
        self._crowded: list[dict] = []  # statement edits whose statement shares a line
        starts = [0]
        for line in src.lines:
            starts.append(starts[-1] + len(line))
        self._line_starts = starts

    def _offset(self, line: int, byte_col: int) -> int:
        return self._line_starts[line - 1] + self.src.char_col(line, byte_col)

    def text(self, node: ast.AST, fixed: bool = False) -> str:
        """The source of ``node``; with ``fixed``, with AM202's replacements inside it applied."""
        begin, stop = self._offset(node.lineno, node.col_offset), self._offset(node.end_lineno, node.end_col_offset)
        out = self.src.text[begin:stop]
        if fixed:
            inside = [
                (self._offset(f.lineno, f.col_offset) - begin, self._offset(f.end_lineno, f.end_col_offset) - begin, new)
                for f, new in self.fixed_funcs.values()
                if begin <= self._offset(f.lineno, f.col_offset) < stop
            ]
            for a, b, new in sorted(inside, reverse=True):
                out = out[:a] + new + out[b:]
        return out

    def col(self, node: ast.AST) -> int:
        return self.src.char_col(node.lineno, node.col_offset)

    def finding(self, rule: Rule, first: ast.AST, last: ast.AST, message: str, fix: Fix | None) -> Finding:
        return Finding(
            path=self.src.path, rule=rule.code, name=rule.name, message=message,
            line=first.lineno, col=self.col(first) + 1,
            end_line=last.end_lineno, end_col=self.src.char_col(last.end_lineno, last.end_col_offset) + 1,
            fix=fix,
        )

    def statement_edit(self, op: str, stmt: ast.stmt, code: list[str]) -> dict:
        check = stmt.iter if isinstance(stmt, (ast.For, ast.AsyncFor)) else stmt
        edit = {"op": op, "line": stmt.lineno, "col": self.col(stmt), "check": self.text(check), "code": code}
        if not self.alone(stmt):
            self._crowded.append(edit)
        return edit

    def alone(self, stmt: ast.stmt) -> bool:
        """Whether ``stmt`` has its lines to itself (no ``;`` neighbour, not the body of ``try: ...``),
        so that statements can be put before or after it, or in its place."""
        before = self.src.lines[stmt.lineno - 1][: self.col(stmt)]
        after = self.src.lines[stmt.end_lineno - 1][self.src.char_col(stmt.end_lineno, stmt.end_col_offset):]
        return not before.strip() and (not after.strip() or after.strip().startswith("#"))

    def expression_edit(self, node: ast.expr, code: str) -> dict:
        return {
            "op": "expr", "line": node.lineno, "col": self.col(node), "end_line": node.end_lineno,
            "end_col": self.src.char_col(node.end_lineno, node.end_col_offset), "check": self.text(node),
            "code": code,
        }

    def fix(self, safety: str, edits: list[dict]) -> Fix | None:
        if any(edit is crowded for edit in edits for crowded in self._crowded):
            return None
        imports = ["asyncio"] if self.asyncio and self.asyncio[1] else []
        return Fix("edit", safety, {"edits": edits, "imports": imports})
