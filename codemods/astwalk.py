"""Small ``ast`` helpers shared by the analyses."""
from __future__ import annotations

import ast
from typing import Iterator

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def dotted(node: ast.expr) -> str | None:
    """``a.b.c`` for a chain of attributes on a name, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def walk_own(nodes: list[ast.AST]) -> Iterator[ast.AST]:
    """Every node under ``nodes`` (themselves included) that runs in their own scope: nested
    functions, lambdas and classes are not entered."""
    todo = list(nodes)
    while todo:
        node = todo.pop()
        yield node
        if not isinstance(node, _SCOPES):
            todo.extend(ast.iter_child_nodes(node))


def yields(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether the function is a generator (a ``yield`` of its own)."""
    return any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in walk_own(list(fn.body)))
