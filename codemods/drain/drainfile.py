"""One file as the drain family sees it: its statement order (``flow``), its names (the file's semantic
model), its asyncio expressions, its text, and how findings and edit plans (``edits``) are made from
``ast`` positions."""
from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from asyncmend.model import Finding, Fix, Rule

from .cancels import TaskExprs
from .flow import Scope, scopes

if TYPE_CHECKING:
    from asyncmend.source import SourceFile


SHUTDOWNS = ("shutdown_asyncgens", "shutdown_default_executor")


def same(a: ast.AST | None, b: ast.AST | None) -> bool:
    return a is not None and b is not None and ast.dump(a) == ast.dump(b)


def method_call(call: ast.AST, *names: str) -> bool:
    return isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr in names


class DrainFile:
    """Shared by both rules: AM202 records its replacements in ``fixed_funcs`` so that an AM201 fix
    which rewrites a larger expression around them writes them too."""

    def __init__(self, src: "SourceFile"):
        self.src = src
        self.scopes = scopes(src.tree)
        self.semantic = src.semantic
        self.exprs = TaskExprs(self.semantic)
        self.module = self.scopes[0]
        self.asyncio = self.semantic.module_ref("asyncio")
        self.scope_of = {key: s for s in self.scopes for key in s.owner}
        self.defined_in = {id(stmt): s for s in self.scopes for stmt in s.statements}
        self.scope_of_def = {id(s.node): s for s in self.scopes}
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

    def drains(self, scope: Scope, after: tuple[int, int], before: tuple[int, int] | None, loop) -> bool:
        """Whether a call in the range may run the loop again (and so let cancelled tasks finish): a
        run that is not a shutdown, a function of this file that runs a loop, or a helper handed
        ``loop``."""
        for call in scope.calls_between(after, before):
            func = call.func
            if method_call(call, "run_forever"):
                return True
            if method_call(call, "run_until_complete"):
                arg = call.args[0] if call.args else None
                if not method_call(arg, *SHUTDOWNS):
                    return True
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name in self.runners:
                return True
            if loop is None or (self.exprs.qual(func) or "").startswith("asyncio."):
                continue
            if isinstance(func, ast.Attribute) and same(func.value, loop):
                continue
            args = [a.value if isinstance(a, ast.Starred) else a for a in call.args]
            if any(same(a, loop) for a in [*args, *(k.value for k in call.keywords)]):
                return True
        return False

    def callee(self, call: ast.Call, scope: Scope) -> Scope | None:
        """The scope of the function of this file that ``call`` runs, when the code shows which: a
        name bound once, to a ``def``, in this scope or one around it (classes skipped), or
        ``self.name(...)``/``cls.name(...)`` in a method, for a method bound once in its class."""
        func = call.func
        if isinstance(func, ast.Name):
            outer = scope
            while outer is not None:
                if not isinstance(outer.node, ast.ClassDef) or outer is scope:
                    found = self._def_in(outer, func.id)
                    if found is not None or func.id in outer.stores:
                        return found
                outer = self.defined_in.get(id(outer.node))
            return None
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in ("self", "cls"):
            if isinstance(scope.node, (ast.FunctionDef, ast.AsyncFunctionDef)) and func.value.id in scope.params:
                owner = self.defined_in.get(id(scope.node))
                if owner is not None and isinstance(owner.node, ast.ClassDef):
                    return self._def_in(owner, func.attr)
        return None

    def _def_in(self, scope: Scope, name: str) -> Scope | None:
        stores = scope.stores.get(name, [])
        if len(stores) == 1 and isinstance(stores[0], (ast.FunctionDef, ast.AsyncFunctionDef)):
            return self.scope_of_def.get(id(stores[0]))
        return None

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

    def drain_before_close(self, scope: Scope, close: ast.stmt, loop: ast.expr, then: list[str]) -> dict:
        """The edit that drains the loop's tasks before ``close()`` as ``asyncio.run`` does: cancel every
        task, run the loop until they finish, then the ``then`` statements (shutdowns); it goes above
        the shutdown runs that already stand right before ``close()``."""
        aio, loop_text = self.asyncio[0], self.text(loop)
        block, index = scope.block_of(close)
        anchor = close
        while index > 0 and isinstance(block[index - 1], ast.Expr) and method_call(block[index - 1].value, "run_until_complete"):
            arg = block[index - 1].value.args[0] if block[index - 1].value.args else None
            if not method_call(arg, *SHUTDOWNS):
                break
            index -= 1
            anchor = block[index]
        pending = self.semantic.free("pending", "pending_tasks", scope=scope.node)
        task = self.semantic.free("task", "pending_task", scope=scope.node)
        code = [
            f"{pending} = {aio}.all_tasks({loop_text})",
            f"for {task} in {pending}:\n    {task}.cancel()",
            f"if {pending}:\n    {loop_text}.run_until_complete({aio}.gather(*{pending}, return_exceptions=True))",
            *then,
        ]
        return self.statement_edit("before", anchor, code)

    def fix(self, safety: str, edits: list[dict]) -> Fix | None:
        if any(edit is crowded for edit in edits for crowded in self._crowded):
            return None
        imports = ["asyncio"] if self.asyncio and self.asyncio[1] else []
        return Fix("edit", safety, {"edits": edits, "imports": imports})
