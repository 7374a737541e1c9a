"""Python's scoping rules on an ``ast`` tree: which binding a name refers to, and qualified names.

One walk records every scope (module, class, function, lambda, comprehension), the bindings made in
it and the scope each expression is evaluated in. Defaults, decorators and annotations belong to the
enclosing scope, class scopes are invisible to the functions nested in them, and ``global`` /
``nonlocal`` are honoured, as the compiler does it.
"""
from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass, field
from typing import Optional, Union

from .astwalk import fallback_imports

FunctionNode = Union[ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda]
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_MATCH_NAMES = tuple(getattr(ast, n) for n in ("MatchAs", "MatchStar") if hasattr(ast, n))  # 3.10+
_MATCH_REST = getattr(ast, "MatchMapping", ())


@dataclass(eq=False)
class Binding:
    """One place a name is bound. ``kind`` is assign, with, param, import, def, class, declared (an
    annotation without a value: ``value`` is the annotation) or other."""

    kind: str
    node: ast.AST
    value: Optional[ast.expr] = None  # the assigned expression (assign, with)
    qualname: str = ""  # what an import binds


@dataclass(eq=False)
class Scope:
    node: ast.AST
    parent: Optional["Scope"]
    bindings: dict[str, list[Binding]] = field(default_factory=dict)
    globals: set[str] = field(default_factory=set)
    nonlocals: set[str] = field(default_factory=set)

    @property
    def is_class(self) -> bool:
        return isinstance(self.node, ast.ClassDef)

    @property
    def is_function(self) -> bool:
        return isinstance(self.node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))

    def bind(self, name: str, binding: Binding) -> None:
        self.bindings.setdefault(name, []).append(binding)


class Scopes:
    """The scopes of one module, and name resolution over them."""

    def __init__(self, tree: ast.Module):
        self.module = Scope(tree, None)
        self.of_node: dict[int, Scope] = {}  # id(expression or statement) -> scope it runs in
        self.of_def: dict[int, Scope] = {}  # id(def, lambda, class) -> the scope it opens
        self.parent: dict[int, ast.AST] = {}
        # Nodes later passes ask about, gathered in this one walk.
        self.calls: list[ast.Call] = []
        self.loads: list[ast.expr] = []  # Name and Attribute loads
        self.classes: list[ast.ClassDef] = []
        self.awaits: list[ast.Await] = []
        self.def_names: set[str] = set()
        self._fallbacks: set[int] = set()  # ``except ImportError: import trollius as asyncio``
        self._walk_body(tree.body, self.module, tree)
        self._global_in: dict[str, list[Scope]] = {}
        for scope in self.of_def.values():
            for name in scope.globals:
                self._global_in.setdefault(name, []).append(scope)

    # -- building ---------------------------------------------------------------------------------

    def _walk_body(self, stmts: list[ast.stmt], scope: Scope, parent: ast.AST) -> None:
        for stmt in stmts:
            self._visit(stmt, scope, parent)

    def _visit(self, node: ast.AST, scope: Scope, parent: ast.AST) -> None:
        self.parent[id(node)] = parent
        self.of_node[id(node)] = scope
        if isinstance(node, (ast.Name, ast.Attribute)) and isinstance(node.ctx, ast.Load):
            self.loads.append(node)
        elif isinstance(node, ast.Call):
            self.calls.append(node)
        elif isinstance(node, ast.Await):
            self.awaits.append(node)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.def_names.add(node.name)
            scope.bind(node.name, Binding("def", node))
            for deco in node.decorator_list:
                self._visit(deco, scope, node)
            self._visit_arguments(node.args, scope, node)
            if node.returns:
                self._visit(node.returns, scope, node)
            inner = self._open(node, scope)
            self._bind_params(node.args, inner, node)
            self._walk_body(node.body, inner, node)
        elif isinstance(node, ast.Lambda):
            self._visit_arguments(node.args, scope, node)
            inner = self._open(node, scope)
            self._bind_params(node.args, inner, node)
            self._visit(node.body, inner, node)
        elif isinstance(node, ast.ClassDef):
            self.classes.append(node)
            self.def_names.add(node.name)
            scope.bind(node.name, Binding("class", node))
            for child in (*node.decorator_list, *node.bases, *node.keywords):
                self._visit(child, scope, node)
            self._walk_body(node.body, self._open(node, scope), node)
        elif isinstance(node, _COMPREHENSIONS):
            # The first iterable runs in the enclosing scope; the rest in the comprehension's own.
            gens = node.generators
            self._visit(gens[0].iter, scope, node)
            inner = self._open(node, scope)
            for i, gen in enumerate(gens):
                if i:
                    self._visit(gen.iter, inner, node)
                self._bind_target(gen.target, inner, Binding("other", gen))
                self._visit(gen.target, inner, node)
                for cond in gen.ifs:
                    self._visit(cond, inner, node)
            for part in ("elt", "key", "value"):
                if hasattr(node, part):
                    self._visit(getattr(node, part), inner, node)
        else:
            self._fallbacks.update(id(stmt) for stmt in fallback_imports(node))
            if id(node) not in self._fallbacks:
                self._bind_statement(node, scope)
            for child in ast.iter_child_nodes(node):
                self._visit(child, scope, node)

    def _visit_arguments(self, args: ast.arguments, scope: Scope, parent: ast.AST) -> None:
        for default in (*args.defaults, *[d for d in args.kw_defaults if d is not None]):
            self._visit(default, scope, parent)
        for arg in _all_args(args):
            if arg.annotation is not None:
                self._visit(arg.annotation, scope, parent)

    def _open(self, node: ast.AST, scope: Scope) -> Scope:
        inner = Scope(node, scope)
        self.of_def[id(node)] = inner
        return inner

    def _bind_params(self, args: ast.arguments, scope: Scope, func: ast.AST) -> None:
        for arg in _all_args(args):
            scope.bind(arg.arg, Binding("param", arg))
            self.parent[id(arg)] = func

    def _bind_statement(self, node: ast.AST, scope: Scope) -> None:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                single = node.value if isinstance(target, ast.Name) else None
                self._bind_target(target, scope, Binding("assign" if single else "other", node, single))
        elif isinstance(node, ast.AnnAssign):
            if node.value is not None:
                self._bind_target(node.target, scope, Binding("assign", node, node.value))
            elif isinstance(node.target, ast.Name):  # ``x: T`` declares without binding a value
                scope.bind(node.target.id, Binding("declared", node, node.annotation))
        elif isinstance(node, (ast.AugAssign, ast.For, ast.AsyncFor)):
            self._bind_target(node.target, scope, Binding("other", node))
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if item.optional_vars is not None:
                    single = item.context_expr if isinstance(item.optional_vars, ast.Name) else None
                    self._bind_target(item.optional_vars, scope, Binding("with" if single else "other", node, single))
        elif isinstance(node, ast.ExceptHandler) and node.name:
            scope.bind(node.name, Binding("other", node))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    scope.bind(alias.asname, Binding("import", node, qualname=alias.name))
                else:
                    top = alias.name.split(".")[0]
                    scope.bind(top, Binding("import", node, qualname=top))
        elif isinstance(node, ast.ImportFrom):
            base = ("." * node.level) + (node.module or "")
            for alias in node.names:
                if alias.name != "*":
                    scope.bind(alias.asname or alias.name, Binding("import", node, qualname=f"{base}.{alias.name}"))
        elif isinstance(node, ast.Global):
            scope.globals.update(node.names)
        elif isinstance(node, ast.Nonlocal):
            scope.nonlocals.update(node.names)
        elif isinstance(node, ast.NamedExpr):
            target = scope
            while target.parent is not None and isinstance(target.node, _COMPREHENSIONS):
                target = target.parent
            self._bind_target(node.target, target, Binding("assign", node, node.value))
        elif isinstance(node, ast.Delete):
            for target in node.targets:
                self._bind_target(target, scope, Binding("other", node))
        elif isinstance(node, _MATCH_NAMES) and node.name:
            scope.bind(node.name, Binding("other", node))
        elif isinstance(node, _MATCH_REST) and node.rest:
            scope.bind(node.rest, Binding("other", node))

    def _bind_target(self, target: ast.AST, scope: Scope, binding: Binding) -> None:
        if isinstance(target, ast.Name):
            scope.bind(target.id, binding)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for elt in target.elts:
                self._bind_target(elt, scope, Binding("other", binding.node))
        elif isinstance(target, ast.Starred):
            self._bind_target(target.value, scope, Binding("other", binding.node))

    # -- questions ---------------------------------------------------------------------------------

    def scope_of(self, node: ast.AST) -> Scope:
        return self.of_node.get(id(node), self.module)

    def resolve(self, name: str, scope: Scope) -> Optional[Scope]:
        """The scope whose binding of ``name`` a use in ``scope`` sees; None for builtins/unbound."""
        if name in scope.globals:
            return self.module if name in self.module.bindings else None
        current: Optional[Scope] = scope
        skip_own = name in scope.nonlocals
        first = True
        while current is not None:
            if not (first and skip_own) and (first or not current.is_class):
                if name in current.bindings and name not in current.globals:
                    return current
            first = False
            current = current.parent
        return None

    def bindings(self, name_node: ast.Name) -> list[Binding]:
        """Every binding a name (at this place) may refer to; empty for builtins or unknown names."""
        found = self.resolve(name_node.id, self.scope_of(name_node))
        if found is None:
            return []
        if found is self.module:
            # A global assigned inside a function (``global x``) is a binding of the module's name too.
            extra = [b for s in self._global_in.get(name_node.id, ()) for b in s.bindings.get(name_node.id, ())]
            return [*found.bindings[name_node.id], *extra]
        return list(found.bindings[name_node.id])

    def qualname(self, expr: ast.expr) -> str:
        """``threading.Thread`` for ``T`` after ``from threading import Thread as T``; "" if unknown."""
        if isinstance(expr, ast.Attribute):
            base = self.qualname(expr.value)
            return f"{base}.{expr.attr}" if base else ""
        if isinstance(expr, ast.Name):
            found = self.bindings(expr)
            if found and all(b.kind == "import" for b in found):
                names = {b.qualname for b in found}
                if len(names) == 1:
                    return names.pop()
            if not found and self.resolve(expr.id, self.scope_of(expr)) is None and hasattr(builtins, expr.id):
                return f"builtins.{expr.id}"
        return ""

    def the_def(self, name_node: ast.Name) -> Optional[ast.AST]:
        """The single def/class a name refers to, or None when it may be anything else."""
        found = self.bindings(name_node)
        if len(found) == 1 and found[0].kind in ("def", "class"):
            return found[0].node
        return None

    def all_names(self) -> set[str]:
        names = set(self.module.bindings)
        for scope in self.of_def.values():
            names.update(scope.bindings)
        return names

    def enclosing_function(self, node: ast.AST) -> Optional[FunctionNode]:
        """The innermost def or lambda whose body holds ``node`` (None at module or class level)."""
        scope: Optional[Scope] = self.scope_of(node)
        while scope is not None and not scope.is_function:
            if scope.is_class or scope is self.module:
                return None
            scope = scope.parent
        return scope.node if scope is not None else None  # type: ignore[return-value]


def _all_args(args: ast.arguments) -> list[ast.arg]:
    out = [*args.posonlyargs, *args.args]
    if args.vararg:
        out.append(args.vararg)
    out.extend(args.kwonlyargs)
    if args.kwarg:
        out.append(args.kwarg)
    return out
