"""Statement order inside one scope, from the ``ast``: what runs after what, and what lies between.

A scope is the module body or one function body (nested functions and classes are scopes of their
own, lambdas are skipped). Every statement gets a *path* from the scope root: the chain of
``(parent, field, index)`` steps that leads to it. Two paths tell whether one statement can run after
the other (a later statement of the same block, ``finally`` after ``try``, a handler after its body);
exclusive branches (``if``/``else``, two handlers, two ``case`` blocks) do not follow each other.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field

Path = tuple[tuple[ast.AST, str, int], ...]

_TRY_ORDER = {"body": 0, "handlers": 1, "orelse": 2, "finalbody": 3}
_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


@dataclass
class Scope:
    node: ast.AST
    is_async: bool
    statements: list[ast.stmt] = field(default_factory=list)
    paths: dict[int, Path] = field(default_factory=dict)
    calls: list[ast.Call] = field(default_factory=list)
    awaits: list[ast.AST] = field(default_factory=list)  # await, async for, async with
    owner: dict[int, ast.stmt] = field(default_factory=dict)  # expression id → innermost statement
    in_lambda: set[int] = field(default_factory=set)  # expressions inside a lambda (not run here)
    stores: dict[str, list[ast.AST]] = field(default_factory=dict)  # name → binding statements/args

    @property
    def params(self) -> set[str]:
        if isinstance(self.node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            a = self.node.args
            every = [*a.posonlyargs, *a.args, *a.kwonlyargs, *filter(None, (a.vararg, a.kwarg))]
            return {x.arg for x in every}
        return set()

    def path(self, stmt: ast.stmt) -> Path:
        return self.paths[id(stmt)]

    def block_of(self, stmt: ast.stmt) -> tuple[list[ast.stmt], int]:
        parent, name, index = self.paths[id(stmt)][-1]
        return getattr(parent, name), index

    def enclosing(self, stmt: ast.stmt) -> list[ast.AST]:
        """The compound statements (and handlers) that contain ``stmt``, outermost first."""
        return [parent for parent, _, _ in self.paths[id(stmt)][1:]] if self.paths[id(stmt)] else []

    def follows(self, first: ast.stmt, then: ast.stmt) -> bool:
        """Whether ``then`` can run after ``first`` has run, without re-entering a loop."""
        return follows(self.paths[id(first)], self.paths[id(then)])

    def calls_between(self, after: tuple[int, int], before: tuple[int, int] | None) -> list[ast.Call]:
        """Calls that start strictly between two source positions (``None``: to the scope's end)."""
        return [c for c in self.calls if after < start(c) and (before is None or start(c) < before)]

    def awaits_between(self, after: tuple[int, int], before: tuple[int, int] | None) -> list[ast.AST]:
        return [a for a in self.awaits if after <= start(a) and (before is None or start(a) < before)]


def start(node: ast.AST) -> tuple[int, int]:
    return node.lineno, node.col_offset


def end(node: ast.AST) -> tuple[int, int]:
    return node.end_lineno, node.end_col_offset


def follows(first: Path, then: Path) -> bool:
    for (parent, f_a, i_a), (_, f_b, i_b) in zip(first, then):
        if f_a == f_b and i_a == i_b:
            continue
        if f_a == f_b:
            return f_a not in ("handlers", "cases") and i_b > i_a
        if isinstance(parent, (ast.Try, getattr(ast, "TryStar", ast.Try))):
            if f_a == "handlers" and f_b == "orelse":
                return False
            return _TRY_ORDER[f_b] > _TRY_ORDER[f_a]
        if isinstance(parent, (ast.For, ast.AsyncFor, ast.While)):
            return f_a == "body" and f_b == "orelse"
        return False
    return False


def scopes(tree: ast.Module) -> list[Scope]:
    out: list[Scope] = []
    _build(tree, False, out)
    return out


def _build(root: ast.AST, is_async: bool, out: list[Scope]) -> None:
    scope = Scope(root, is_async)
    out.append(scope)
    if isinstance(root, (ast.FunctionDef, ast.AsyncFunctionDef)):
        for name in scope.params:
            scope.stores.setdefault(name, []).append(root)
    _block(scope, root.body, (), root, "body", out)
    scope.calls.sort(key=start)


def _block(scope: Scope, body: list, path: Path, parent: ast.AST, name: str, out: list[Scope]) -> None:
    for index, stmt in enumerate(body):
        here = path + ((parent, name, index),)
        scope.paths[id(stmt)] = here
        scope.statements.append(stmt)
        if isinstance(stmt, _DEFS):
            scope.stores.setdefault(stmt.name, []).append(stmt)
            for expr in _def_expressions(stmt):
                _expressions(scope, expr, stmt)
            _build(stmt, isinstance(stmt, ast.AsyncFunctionDef), out)
            continue
        if isinstance(stmt, (ast.AsyncFor, ast.AsyncWith)):
            scope.awaits.append(stmt)
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            for alias in stmt.names:
                bound = alias.asname or alias.name.partition(".")[0]
                scope.stores.setdefault(bound, []).append(stmt)
        for field_name, value in ast.iter_fields(stmt):
            if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
                _block(scope, value, here, stmt, field_name, out)
            elif field_name == "handlers":
                for j, handler in enumerate(value):
                    step = here + ((stmt, "handlers", j),)
                    if handler.type is not None:
                        _expressions(scope, handler.type, stmt)
                    if handler.name:
                        scope.stores.setdefault(handler.name, []).append(stmt)
                    _block(scope, handler.body, step, handler, "body", out)
            elif field_name == "cases":
                for j, case in enumerate(value):
                    step = here + ((stmt, "cases", j),)
                    _expressions(scope, case.pattern, stmt)
                    if case.guard is not None:
                        _expressions(scope, case.guard, stmt)
                    _block(scope, case.body, step, case, "body", out)
            elif isinstance(value, ast.AST):
                _expressions(scope, value, stmt)
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, ast.AST):
                        _expressions(scope, item, stmt)


def _def_expressions(node: ast.AST) -> list[ast.AST]:
    exprs = list(node.decorator_list)
    if isinstance(node, ast.ClassDef):
        return exprs + list(node.bases) + [k.value for k in node.keywords]
    a = node.args
    exprs += [d for d in (*a.defaults, *a.kw_defaults) if d is not None]
    return exprs + ([node.returns] if node.returns else [])


def _expressions(scope: Scope, root: ast.AST, stmt: ast.stmt) -> None:
    stack = [root]
    while stack:
        node = stack.pop()
        scope.owner[id(node)] = stmt
        if isinstance(node, ast.Lambda):
            for inner in ast.walk(node):
                scope.owner[id(inner)] = stmt
                scope.in_lambda.add(id(inner))
            continue
        if isinstance(node, ast.Call):
            scope.calls.append(node)
        elif isinstance(node, ast.Await):
            scope.awaits.append(node)
        elif isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            scope.stores.setdefault(node.id, []).append(stmt)
        elif isinstance(node, ast.comprehension) and node.is_async:
            scope.awaits.append(node.iter)
        for name in node._fields:  # ast.iter_child_nodes, without the shared Load/Store nodes
            if name == "ctx":
                continue
            value = getattr(node, name, None)
            if isinstance(value, list):
                stack.extend(item for item in value if isinstance(item, ast.AST))
            elif isinstance(value, ast.AST):
                stack.append(value)
