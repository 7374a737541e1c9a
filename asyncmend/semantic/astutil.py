"""Small ``ast`` helpers the model needs, shared by the rules (through ``codemods.astwalk``)."""
from __future__ import annotations

import ast
from typing import Iterator, Optional

TRY_STATEMENTS = (ast.Try, getattr(ast, "TryStar", ast.Try))
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_IMPORT_ERRORS = {"ImportError", "ModuleNotFoundError"}


def dotted(node: ast.expr) -> Optional[str]:
    """``a.b.c`` for a chain of attributes on a name, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def fallback_imports(node: ast.AST) -> list[ast.stmt]:
    """The statements of ``node`` (a ``try``) that only stand in for the imports of its body:
    ``try: import asyncio / except ImportError: import trollius as asyncio`` (or ``asyncio = None``).
    The name means the module of the ``try`` wherever that module exists; the fallback is another
    version of it, or its absence."""
    if not isinstance(node, TRY_STATEMENTS):
        return []
    tried = {_bound(alias) for stmt in node.body if isinstance(stmt, (ast.Import, ast.ImportFrom)) for alias in stmt.names}
    out = []
    for handler in node.handlers:
        caught = handler.type
        names = {dotted(n) for n in (caught.elts if isinstance(caught, ast.Tuple) else [caught])} if caught else set()
        if caught is not None and not names & _IMPORT_ERRORS:
            continue
        for stmt in handler.body:
            if isinstance(stmt, (ast.Import, ast.ImportFrom)) and all(_bound(a) in tried for a in stmt.names):
                out.append(stmt)
            elif (
                isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)
                and stmt.targets[0].id in tried
            ):
                out.append(stmt)
    return out


def _bound(alias: ast.alias) -> str:
    return alias.asname or alias.name.partition(".")[0]


def all_args(args: ast.arguments) -> list[ast.arg]:
    """A function's parameters, in order: positional-only, positional, ``*args``, keyword-only, ``**kwargs``."""
    out = [*args.posonlyargs, *args.args]
    if args.vararg:
        out.append(args.vararg)
    out.extend(args.kwonlyargs)
    if args.kwarg:
        out.append(args.kwarg)
    return out


def walk_own(nodes: list[ast.AST]) -> Iterator[ast.AST]:
    """Every node under ``nodes`` (themselves included) that runs in their own scope: nested
    functions, lambdas and classes are not entered."""
    todo = list(nodes)
    while todo:
        node = todo.pop()
        yield node
        if not isinstance(node, _SCOPES):
            todo.extend(ast.iter_child_nodes(node))


def yields(fn: ast.AST) -> bool:
    """Whether the function is a generator (a ``yield`` of its own)."""
    return any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in walk_own(list(fn.body)))
