"""Small ``ast`` helpers shared by the analyses."""
from __future__ import annotations

import ast

from asyncmend.semantic.astutil import dotted, fallback_imports, walk_own, yields  # noqa: F401 - their home is the semantic model


def is_name(node: ast.AST | None, name: str) -> bool:
    """Whether ``node`` is the bare name ``name``."""
    return isinstance(node, ast.Name) and node.id == name
