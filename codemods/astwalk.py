"""Small ``ast`` helpers shared by the analyses."""
from __future__ import annotations

import ast
from typing import Iterator

from asyncmend.semantic import dotted, fallback_imports  # noqa: F401 - their home is the semantic model

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def is_name(node: ast.AST | None, name: str) -> bool:
    """Whether ``node`` is the bare name ``name``."""
    return isinstance(node, ast.Name) and node.id == name


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
