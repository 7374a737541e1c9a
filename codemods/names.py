"""What the names of one file stand for, read from its ``ast``: imports as qualified names, free names.

The view is deliberately coarse and file-wide: a name resolves to an import only when *every* binding
of that name anywhere in the file is that same import, so a shadowing assignment in any scope makes
the name unknown rather than wrongly known.
"""
from __future__ import annotations

import ast
import builtins
import keyword
import symtable
from functools import cached_property

_UNKNOWN = None
# Pattern matching nodes exist from Python 3.10 on.
_MATCH_CAPTURES = tuple(getattr(ast, n) for n in ("MatchAs", "MatchStar") if hasattr(ast, n))
_MATCH_MAPPING = tuple(getattr(ast, n) for n in ("MatchMapping",) if hasattr(ast, n))


class Names:
    def __init__(self, tree: ast.Module, text: str = ""):
        self.text = text
        self.bindings: dict[str, set[str | None]] = {}
        self.used: set[str] = set(_RESERVED)
        self.top_level_imports: dict[str, str] = {}
        self._scan(tree)

    def _bind(self, name: str, qual: str | None) -> None:
        self.bindings.setdefault(name, set()).add(qual)
        self.used.add(name)

    def _scan(self, tree: ast.Module) -> None:
        top = {id(n) for n in _top_level_statements(tree)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Name):
                self.used.add(node.id)
                if not isinstance(node.ctx, ast.Load):
                    self._bind(node.id, _UNKNOWN)
            elif isinstance(node, ast.arg):
                self._bind(node.arg, _UNKNOWN)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self._bind(node.name, _UNKNOWN)
            elif isinstance(node, (ast.Global, ast.Nonlocal)):
                self.used.update(node.names)
            elif isinstance(node, ast.ExceptHandler) and node.name:
                self._bind(node.name, _UNKNOWN)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    name = alias.asname or alias.name.partition(".")[0]
                    qual = alias.name if alias.asname else name
                    self._bind(name, qual)
                    if id(node) in top:
                        self.top_level_imports[name] = qual
            elif isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    if alias.name == "*":
                        continue
                    name = alias.asname or alias.name
                    qual = f"{node.module}.{alias.name}" if node.level == 0 and node.module else None
                    self._bind(name, qual)
                    if id(node) in top and qual:
                        self.top_level_imports[name] = qual
            elif isinstance(node, _MATCH_CAPTURES) and getattr(node, "name", None):
                self._bind(node.name, _UNKNOWN)
            elif isinstance(node, _MATCH_MAPPING) and node.rest:
                self._bind(node.rest, _UNKNOWN)

    def qualname(self, expr: ast.expr) -> str | None:
        """``asyncio.Task.all_tasks`` for ``aio.Task.all_tasks`` after ``import asyncio as aio``."""
        if isinstance(expr, ast.Name):
            quals = self.bindings.get(expr.id)
            if quals and len(quals) == 1:
                return next(iter(quals))
            return None
        if isinstance(expr, ast.Attribute):
            base = self.qualname(expr.value)
            return f"{base}.{expr.attr}" if base else None
        return None

    def module_ref(self, module: str) -> tuple[str, bool] | None:
        """A name that refers to ``module`` everywhere in the file, and whether it must be imported.

        A top-level import of the module (its own name first, then an alias) is used as it is; when
        there is none, the module's own name is imported, provided it is unbound or bound only to
        that module. Otherwise None.
        """
        aliases = [n for n, q in self.top_level_imports.items() if q == module and self.bindings.get(n) == {module}]
        if aliases:
            return (module if module in aliases else aliases[0]), False
        quals = self.bindings.get(module)
        if not quals or quals == {module}:
            return module, True
        return None

    def free(self, *candidates: str, scope: ast.AST | None = None) -> str:
        """The first candidate that a new variable of ``scope`` (the module when None) can take.

        Free means: not a builtin or keyword, not a symbol of the scope, and not seen by any scope
        nested in it (for the module: not read as a global anywhere). Without a symbol table for the
        scope, a name is free only when it appears nowhere in the file. Then ``<first>_2``, ...
        """
        table = self._table(scope)

        def is_free(name: str) -> bool:
            if table is None or name in _RESERVED:
                return name not in self.used
            if name in table.get_identifiers():
                return False
            for inner in _descendants(table):
                if name in inner.get_identifiers():
                    if table.get_type() != "module" or inner.lookup(name).is_global():
                        return False
            return True

        for name in candidates:
            if is_free(name):
                return name
        n = 2
        while not is_free(f"{candidates[0]}_{n}"):
            n += 1
        return f"{candidates[0]}_{n}"

    @cached_property
    def _tables(self) -> symtable.SymbolTable | None:
        try:
            return symtable.symtable(self.text, "<asyncmend>", "exec") if self.text else None
        except (SyntaxError, ValueError, RecursionError):
            return None

    def _table(self, scope: ast.AST | None) -> symtable.SymbolTable | None:
        top = self._tables
        if top is None or scope is None or isinstance(scope, ast.Module):
            return top
        for table in _descendants(top):
            if table.get_type() in ("function", "class") and (table.get_name(), table.get_lineno()) == (
                scope.name, scope.lineno
            ):
                return table
        return None


_RESERVED = set(dir(builtins)) | set(keyword.kwlist)


def _descendants(table: symtable.SymbolTable):
    for child in table.get_children():
        yield child
        yield from _descendants(child)


def _top_level_statements(tree: ast.Module):
    """Statements that run at import time: the module body and blocks nested in it, not in defs."""
    stack = list(tree.body)
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for field in ("body", "orelse", "finalbody", "handlers"):
            for child in getattr(node, field, ()) or ():
                if isinstance(child, ast.ExceptHandler):
                    stack.extend(child.body)
                elif isinstance(child, ast.stmt):
                    stack.append(child)
