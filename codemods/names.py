"""What the names of one file stand for: imports as qualified names, and names free for new variables.

The view of imports is deliberately coarse and file-wide: a name resolves to an import only when
*every* binding of that name anywhere in the file is that same import, so a shadowing assignment in
any scope makes the name unknown rather than wrongly known. Free names come from ``symtable``, the
compiler's own scoping, asked only when a fix needs a new variable.
"""
from __future__ import annotations

import ast
import builtins
import keyword
import symtable
from functools import cached_property

from .astwalk import fallback_imports
from .flow import Scope


class Names:
    """Built from the scopes of ``flow`` (which record every binding statement), plus a symbol table
    of the source, made only when a free name is asked for."""

    def __init__(self, tree: ast.Module, text: str, scopes: list[Scope]):
        self.tree = tree
        self.text = text
        self.bindings: dict[str, set[str | None]] = {}
        self.top_level_imports: dict[str, str] = {}
        for scope in scopes:
            for name, stmts in scope.stores.items():
                quals = self.bindings.setdefault(name, set())
                for stmt in stmts:
                    if _is_fallback_import(scope, stmt):
                        continue
                    qual = _imported(stmt, name)
                    quals.add(qual)
                    if qual and scope is scopes[0] and not _type_checking_only(scope, stmt):
                        self.top_level_imports[name] = qual

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
                return name not in self._used
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
    def _used(self) -> set[str]:
        """Every identifier of the file (the fallback when there is no symbol table)."""
        used = set(_RESERVED)
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Name):
                used.add(node.id)
            elif isinstance(node, ast.arg):
                used.add(node.arg)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                used.add(node.name)
            elif isinstance(node, ast.alias):
                used.add((node.asname or node.name).partition(".")[0])
            elif isinstance(node, (ast.Global, ast.Nonlocal)):
                used.update(node.names)
        return used

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


def _type_checking_only(scope: Scope, stmt: ast.stmt) -> bool:
    return any(
        isinstance(outer, ast.If) and "TYPE_CHECKING" in ast.dump(outer.test) for outer in scope.enclosing(stmt)
    )


def _is_fallback_import(scope: Scope, stmt: ast.AST) -> bool:
    if not isinstance(stmt, (ast.Import, ast.ImportFrom, ast.Assign)):
        return False
    outer = scope.enclosing(stmt)
    return len(outer) >= 2 and isinstance(outer[-1], ast.ExceptHandler) and any(
        s is stmt for s in fallback_imports(outer[-2])
    )


def _imported(stmt: ast.AST, name: str) -> str | None:
    """What an import statement binds ``name`` to (``asyncio.Task``); None for other bindings."""
    if isinstance(stmt, ast.Import):
        for alias in stmt.names:
            if alias.asname == name:
                return alias.name
            if not alias.asname and alias.name.partition(".")[0] == name:
                return name
    elif isinstance(stmt, ast.ImportFrom) and stmt.level == 0 and stmt.module:
        for alias in stmt.names:
            if (alias.asname or alias.name) == name:
                return f"{stmt.module}.{alias.name}"
    return None
