"""The one walk that fills a ``SemanticModel``: scopes, bindings, references, statement order."""
from __future__ import annotations

import ast
from typing import Optional

from .astutil import TRY_STATEMENTS, all_args, fallback_imports
from .scopes import (
    ANNOTATION, ASSIGNMENT, AUGMENTED, CLASS, CLASS_DEF, COMPREHENSION, COMPREHENSION_TARGET, DEF, DELETION,
    EXCEPT, FOR, FROM_IMPORT, FUNCTION, IMPORT, LAMBDA, MATCH, MODULE, PARAMETER, WALRUS, WITH, Binding, Scope,
)

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_COMPREHENSIONS = frozenset({ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp})
_MATCH_NAMES = tuple(getattr(ast, n) for n in ("MatchAs", "MatchStar") if hasattr(ast, n))  # 3.10+
_MATCH_REST = getattr(ast, "MatchMapping", ())


class Walk:
    """The building half of ``SemanticModel``: called once, from its constructor."""

    def _open(self, kind: str, node: ast.AST, scope: Scope) -> Scope:
        inner = Scope(kind, node, scope)
        scope.children.append(inner)
        self.scopes.append(inner)
        self._opened[id(node)] = inner
        return inner

    def _bind(self, scope: Scope, name: str, kind: str, node: ast.AST, stmt, tc: bool, **extra) -> Binding:
        binding = Binding(name, kind, node, stmt, scope, type_checking=tc, fallback=id(stmt) in self._fallbacks, **extra)
        scope.bindings.setdefault(name, []).append(binding)
        return binding

    def _body(self, stmts: list[ast.stmt], scope: Scope, tc: bool) -> None:
        for stmt in stmts:
            self._statement(stmt, scope, tc)

    def _statement(self, stmt: ast.stmt, scope: Scope, tc: bool) -> None:
        self._scope_of[id(stmt)] = scope
        scope.statements.append(stmt)
        if type(stmt) is ast.Expr:  # the most common statement first
            self._expressions([stmt.value], scope)
        elif isinstance(stmt, _FUNCTIONS):
            self._expressions(stmt.decorator_list, scope)
            self._arguments(stmt.args, scope)
            self._annotation(stmt.returns, scope)
            self._bind(scope, stmt.name, DEF, stmt, stmt, tc)
            inner = self._open(FUNCTION, stmt, scope)
            self._parameters(stmt.args, inner, stmt)
            self._body(stmt.body, inner, False)
        elif isinstance(stmt, ast.ClassDef):
            self._expressions([*stmt.decorator_list, *stmt.bases, *(k.value for k in stmt.keywords)], scope)
            self._bind(scope, stmt.name, CLASS_DEF, stmt, stmt, tc)
            self._body(stmt.body, self._open(CLASS, stmt, scope), False)
        elif isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.asname:
                    self._bind(scope, alias.asname, IMPORT, alias, stmt, tc, qualname=alias.name)
                else:
                    top = alias.name.partition(".")[0]
                    self._bind(scope, top, IMPORT, alias, stmt, tc, qualname=top)
        elif isinstance(stmt, ast.ImportFrom):
            base = self._from_module(stmt)
            for alias in stmt.names:
                if alias.name == "*":
                    scope.star_imports.append(stmt)
                else:
                    qual = f"{base}.{alias.name}" if base else ""
                    self._bind(scope, alias.asname or alias.name, FROM_IMPORT, alias, stmt, tc, qualname=qual)
        elif isinstance(stmt, ast.Global):
            scope.globals.update(stmt.names)
        elif isinstance(stmt, ast.Nonlocal):
            scope.nonlocals.update(stmt.names)
        elif isinstance(stmt, ast.Assign):
            self._expressions([stmt.value], scope)
            for target in stmt.targets:
                single = stmt.value if isinstance(target, ast.Name) else None
                self._target(target, scope, ASSIGNMENT, stmt, tc, value=single)
        elif isinstance(stmt, ast.AnnAssign):
            self._annotation(stmt.annotation, scope)
            if stmt.value is not None:
                self._expressions([stmt.value], scope)
            if isinstance(stmt.target, ast.Name):
                if stmt.value is not None:
                    self._target(stmt.target, scope, ASSIGNMENT, stmt, tc, value=stmt.value, annotation=stmt.annotation)
                elif stmt.simple:
                    self._bind(scope, stmt.target.id, ANNOTATION, stmt.target, stmt, tc, annotation=stmt.annotation)
            else:
                self._expressions([stmt.target], scope)
        elif isinstance(stmt, ast.AugAssign):
            self._expressions([stmt.value], scope)
            self._target(stmt.target, scope, AUGMENTED, stmt, tc)
        elif isinstance(stmt, (ast.For, ast.AsyncFor)):
            self._expressions([stmt.iter], scope)
            self._target(stmt.target, scope, FOR, stmt, tc)
            self._body(stmt.body, scope, tc)
            self._body(stmt.orelse, scope, tc)
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
            for item in stmt.items:
                self._expressions([item.context_expr], scope)
                if item.optional_vars is not None:
                    single = item.context_expr if isinstance(item.optional_vars, ast.Name) else None
                    self._target(item.optional_vars, scope, WITH, stmt, tc, value=single)
            self._body(stmt.body, scope, tc)
        elif isinstance(stmt, ast.Delete):
            self._target_list(stmt.targets, scope, DELETION, stmt, tc)
        elif isinstance(stmt, TRY_STATEMENTS):
            self._body(stmt.body, scope, tc)
            self._fallbacks.update(id(s) for s in fallback_imports(stmt))
            for handler in stmt.handlers:
                self._scope_of[id(handler)] = scope
                if handler.type is not None:
                    self._expressions([handler.type], scope)
                if handler.name:
                    self._bind(scope, handler.name, EXCEPT, handler, handler, tc)
                self._body(handler.body, scope, tc)
            self._body(stmt.orelse, scope, tc)
            self._body(stmt.finalbody, scope, tc)
        elif isinstance(stmt, ast.If):
            self._expressions([stmt.test], scope)
            self._body(stmt.body, scope, tc or _is_type_checking(stmt.test))
            self._body(stmt.orelse, scope, tc)
        elif isinstance(stmt, ast.While):
            self._expressions([stmt.test], scope)
            self._body(stmt.body, scope, tc)
            self._body(stmt.orelse, scope, tc)
        elif hasattr(ast, "Match") and isinstance(stmt, ast.Match):
            self._expressions([stmt.subject], scope)
            for case in stmt.cases:
                self._pattern(case.pattern, scope, stmt, tc)
                if case.guard is not None:
                    self._expressions([case.guard], scope)
                self._body(case.body, scope, tc)
        else:  # Expr, Return, Raise, Assert, Pass, Break, Continue
            self._expressions([c for c in ast.iter_child_nodes(stmt) if isinstance(c, ast.expr)], scope)

    def _from_module(self, stmt: ast.ImportFrom) -> str:
        """The absolute module of ``from <module> import ...``; "" when relative to an unknown module."""
        if not stmt.level:
            return stmt.module or ""
        if not self.module_name:
            return ""
        parts = self.module_name.split(".")
        up = stmt.level - 1 if self.is_package else stmt.level
        if up >= len(parts):  # beyond the top-level package
            return ""
        base = parts[: len(parts) - up]
        return ".".join([*base, stmt.module] if stmt.module else base)

    def _arguments(self, args: ast.arguments, scope: Scope) -> None:
        self._expressions([d for d in (*args.defaults, *args.kw_defaults) if d is not None], scope)
        for arg in all_args(args):
            self._annotation(arg.annotation, scope)

    def _parameters(self, args: ast.arguments, scope: Scope, func: ast.AST) -> None:
        for arg in all_args(args):
            self._scope_of[id(arg)] = scope
            self._bind(scope, arg.arg, PARAMETER, arg, func, False, annotation=arg.annotation)

    def _annotation(self, expr: Optional[ast.expr], scope: Scope) -> None:
        if expr is None:
            return
        if self.future_annotations:  # not evaluated: resolved where written, read by no one
            for node in ast.walk(expr):
                if type(node) is ast.Name:
                    self._scope_of[id(node)] = scope
        else:
            self._expressions([expr], scope)

    def _target(self, target: ast.expr, scope: Scope, kind: str, stmt, tc: bool, **extra) -> None:
        """Bind the names of an assignment-like target; subscripts and attributes only read."""
        self._scope_of[id(target)] = scope
        if isinstance(target, ast.Name):
            if kind == DELETION:
                scope.references.setdefault(target.id, []).append(target)
            self._bind(scope, target.id, kind, target, stmt, tc, **extra)
        elif isinstance(target, (ast.Tuple, ast.List)):
            self._target_list(target.elts, scope, kind, stmt, tc)
        elif isinstance(target, ast.Starred):
            self._target(target.value, scope, kind, stmt, tc)
        else:  # ``a.b = ...``, ``a[i] = ...``: reads ``a`` and ``i``
            self._expressions([target], scope)

    def _target_list(self, targets: list[ast.expr], scope: Scope, kind: str, stmt, tc: bool) -> None:
        for target in targets:
            self._target(target, scope, kind, stmt, tc)

    def _pattern(self, pattern: ast.AST, scope: Scope, stmt: ast.stmt, tc: bool) -> None:
        """Bind a ``case`` pattern's captures; its values, class names and mapping keys are read."""
        read: list[ast.expr] = []
        for node in ast.walk(pattern):
            self._scope_of[id(node)] = scope
            if isinstance(node, _MATCH_NAMES) and node.name:
                self._bind(scope, node.name, MATCH, node, stmt, tc)
            elif isinstance(node, _MATCH_REST) and node.rest:
                self._bind(scope, node.rest, MATCH, node, stmt, tc)
            if isinstance(node, _MATCH_REST):
                read.extend(node.keys)
            elif type(node).__name__ == "MatchValue":
                read.append(node.value)
            elif type(node).__name__ == "MatchClass":
                read.append(node.cls)
        self._expressions(read, scope)

    def _expressions(self, roots: list, scope: Scope) -> None:
        # The hot loop of the model: dispatch on the exact type, and a per-type list of child fields.
        todo = [(root, scope) for root in roots]
        scope_of, pop, push = self._scope_of, todo.pop, todo.append
        while todo:
            node, here = pop()
            cls = type(node)
            if cls is ast.Name:
                scope_of[id(node)] = here
                if type(node.ctx) is ast.Load:
                    here.references.setdefault(node.id, []).append(node)
                    if node.id == "super" and here.is_function:
                        here.references.setdefault("__class__", [])
                # stores are bound by the statements (targets) and walruses that make them
            elif cls is ast.Attribute:
                push((node.value, here))
            elif cls is ast.Call:
                push((node.func, here))
                for item in node.args:
                    push((item, here))
                for item in node.keywords:
                    push((item.value, here))
            elif cls is ast.Constant:
                pass
            elif cls is ast.NamedExpr:
                self._walrus(node, here)
                push((node.value, here))
            elif cls is ast.Lambda:
                self._arguments(node.args, here)
                inner = self._open(LAMBDA, node, here)
                self._parameters(node.args, inner, node)
                push((node.body, inner))
            elif cls in _COMPREHENSIONS:
                gens = node.generators
                push((gens[0].iter, here))
                inner = self._open(COMPREHENSION, node, here)
                for i, gen in enumerate(gens):
                    if i:
                        push((gen.iter, inner))
                    self._target(gen.target, inner, COMPREHENSION_TARGET, gen, False)
                    todo.extend((cond, inner) for cond in gen.ifs)
                todo.extend((getattr(node, part), inner) for part in ("elt", "key", "value") if hasattr(node, part))
            else:
                if cls is ast.Yield or cls is ast.YieldFrom:
                    here.generator = True
                fields = _CHILD_FIELDS.get(cls)
                if fields is None:  # ast.iter_child_nodes, without the shared Load/Store nodes
                    fields = _CHILD_FIELDS[cls] = tuple(f for f in cls._fields if f != "ctx")
                for name in fields:
                    value = getattr(node, name, None)
                    if type(value) is list:
                        for item in value:
                            if isinstance(item, ast.AST):
                                push((item, here))
                    elif isinstance(value, ast.AST):
                        push((value, here))

    def _walrus(self, node: ast.NamedExpr, here: Scope) -> None:
        """``(x := ...)`` binds in the nearest scope that is not a comprehension."""
        target, inner = here, []
        while target.kind == COMPREHENSION:
            inner.append(target)
            target = target.parent
        declared = target.kind == MODULE or node.target.id in target.globals
        for comprehension in inner:  # as if each declared it ``global`` or ``nonlocal``
            (comprehension.globals if declared else comprehension.nonlocals).add(node.target.id)
        self._scope_of[id(node.target)] = here
        self._bind(target, node.target.id, WALRUS, node.target, node, False, value=node.value)


_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )
