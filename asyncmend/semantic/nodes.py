"""The node index: every node's parent and the scope it runs in, and the nodes of each type.

The model's own walk maps only names and statements (what resolving names needs, and most rules need
no more); a rule that follows a node upwards (``parent``), asks where an arbitrary expression runs, or
wants every call or ``await`` of the file gets this second walk, made on first use.

The walk visits a node before its children, in the order the code runs where scopes are concerned:
decorators, defaults and annotations before a function's body; a comprehension's first iterable,
then each generator's target and conditions, then its element.
"""
from __future__ import annotations

import ast
from typing import Callable, Optional

from .astutil import all_args
from .scopes import Scope

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
# Contexts and operators: one shared instance each (``ast.Load()``, ``ast.Add()``), no node of the file.
_SHARED = frozenset({"ctx", "op", "ops"})
_FIELDS: dict[type, tuple[str, ...]] = {}  # the fields that may hold nodes, last first


class NodeIndex:
    """Built from the tree, its module scope and the scope each def, class, lambda and comprehension
    opens (``SemanticModel.scope_for``)."""

    def __init__(self, tree: ast.Module, module: Scope, opened: Callable[[ast.AST], Optional[Scope]]):
        self.parent: dict[int, ast.AST] = {}  # id(node) -> the node it is a child of
        self.scope: dict[int, Scope] = {}  # id(node) -> the scope it runs in
        self.by_type: dict[type, list[ast.AST]] = {}  # exact type -> its nodes, in walk order
        todo: list[tuple[ast.AST, Scope, ast.AST]] = [(s, module, tree) for s in reversed(tree.body)]
        parent, scope_of, by_type = self.parent, self.scope, self.by_type
        pop, push = todo.pop, todo.append
        while todo:
            node, scope, up = pop()
            parent[id(node)] = up
            scope_of[id(node)] = scope
            cls = type(node)
            found = by_type.get(cls)
            if found is None:
                found = by_type[cls] = []
            found.append(node)
            if cls is ast.Name or cls is ast.Constant:  # the most common nodes, without children
                continue
            children: list[tuple[ast.AST, Scope]]
            if cls in _FUNCTIONS:
                inner = opened(node)
                children = [(d, scope) for d in node.decorator_list]
                children.append((node.args, scope))
                if node.returns is not None:
                    children.append((node.returns, scope))
                children += [(s, inner) for s in node.body]
            elif cls is ast.Lambda:
                children = [(node.args, scope), (node.body, opened(node))]
            elif cls is ast.ClassDef:
                inner = opened(node)
                children = [(c, scope) for c in (*node.decorator_list, *node.bases, *node.keywords)]
                children += [(s, inner) for s in node.body]
            elif cls in _COMPREHENSIONS:
                inner = opened(node)
                children = [(gen, inner) for gen in node.generators]
                children += [(getattr(node, p), inner) for p in ("elt", "key", "value") if hasattr(node, p)]
            elif cls is ast.comprehension:
                first = up.generators[0] is node  # the first iterable runs outside
                children = [(node.iter, scope.parent if first else scope), (node.target, scope)]
                children += [(cond, scope) for cond in node.ifs]
            elif cls is ast.arguments:  # defaults run outside, the parameters are bound inside
                inner = opened(up)
                children = [(d, scope) for d in (*node.defaults, *node.kw_defaults) if d is not None]
                children += [(p, inner) for p in all_args(node)]
            elif cls is ast.arg:
                children = [(node.annotation, scope.parent)] if node.annotation is not None else []
            else:  # ast.iter_child_nodes, last child first
                fields = _FIELDS.get(cls)
                if fields is None:
                    fields = _FIELDS[cls] = tuple(f for f in reversed(cls._fields) if f not in _SHARED)
                for name in fields:
                    value = getattr(node, name, None)
                    if type(value) is list:
                        for item in reversed(value):
                            if isinstance(item, ast.AST):
                                push((item, scope, node))
                    elif isinstance(value, ast.AST):
                        push((value, scope, node))
                continue
            todo.extend((child, where, node) for child, where in reversed(children))

    def nodes(self, cls: type) -> list:
        return self.by_type.get(cls, [])
