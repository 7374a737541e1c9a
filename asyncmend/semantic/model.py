"""``SemanticModel``: the questions rules ask about one file's names."""
from __future__ import annotations

import __future__
import ast
import builtins
from typing import Iterator, Optional

from .nodes import NodeIndex
from .scopes import (
    CLASS, CLASS_DEF, COMPREHENSION, DEF, FREE, FROM_IMPORT, FUNCTION, GLOBAL_EXPLICIT, GLOBAL_IMPLICIT, IMPORT, LAMBDA,
    LOCAL, MODULE, PARAMETER, RESERVED, Binding, Scope,
)
from .types import Types
from .walk import Walk


class SemanticModel(Walk):
    """The scopes of one module and name resolution over them.

    ``module`` is the module's dotted name (``pkg.sub.mod``; for a package's ``__init__``, the package
    and ``is_package``), used to resolve relative imports; without it they resolve to nothing.
    """

    def __init__(self, tree: ast.Module, module: str = "", is_package: bool = False):
        self.tree = tree
        self.module_name = module
        self.is_package = is_package
        self.future_annotations = any(
            isinstance(s, ast.ImportFrom) and s.module == "__future__" and any(a.name == "annotations" for a in s.names)
            for s in tree.body
        )
        self.module = Scope(MODULE, tree, None)
        self.scopes: list[Scope] = [self.module]
        self._scope_of: dict[int, Scope] = {}  # id(statement or expression) -> the scope it runs in
        self._opened: dict[int, Scope] = {id(tree): self.module}  # id(def, class, ...) -> its scope
        self._global_bindings: dict[str, list[Binding]] = {}  # name -> bindings under ``global name``
        self._fallbacks: set[int] = set()  # id(statement) of fallback imports
        #: Types of expressions (``id(expr)`` -> a term of ``semantic.types``, from what the code
        #: states: constructors, returned values, annotations, context managers), filled on demand.
        self.types: dict[int, object] = {}
        self._types: Optional[Types] = None
        self._index: Optional[NodeIndex] = None  # made on first use: most rules need no more than names
        self._body(tree.body, self.module, False)
        for scope in self.scopes:
            for name in scope.globals:
                self._global_bindings.setdefault(name, []).extend(scope.bindings.get(name, ()))

    # -- questions ---------------------------------------------------------------------------------

    def compile_error(self) -> Optional[tuple[str, int]]:
        """The error (message, line) CPython's symbol-table pass (``symtable``) raises for this tree,
        which ``ast`` accepts: an unknown ``__future__`` feature, ``nonlocal`` at module level or
        without a binding, a parameter declared ``global``/``nonlocal``, a name declared both. Not
        checked: names used before their ``global`` declaration. None when there is none of these."""
        for stmt in self.tree.body:
            if isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__":
                for alias in stmt.names:
                    if alias.name == "braces":
                        return "not a chance", stmt.lineno
                    if alias.name not in __future__.all_feature_names:
                        return f"future feature {alias.name} is not defined", stmt.lineno
        for scope in self.scopes:
            for stmt in scope.statements:
                if not isinstance(stmt, (ast.Global, ast.Nonlocal)):
                    continue
                for name in stmt.names:
                    if isinstance(stmt, ast.Nonlocal) and scope.kind == MODULE:
                        return "nonlocal declaration not allowed at module level", stmt.lineno
                    if any(b.kind == PARAMETER for b in scope.bindings.get(name, ())):
                        what = "global" if isinstance(stmt, ast.Global) else "nonlocal"
                        return f"name '{name}' is parameter and {what}", stmt.lineno
                    if name in scope.globals and name in scope.nonlocals:
                        return f"name '{name}' is nonlocal and global", stmt.lineno
                    if isinstance(stmt, ast.Nonlocal) and self._enclosing_function_binding(name, scope) is None:
                        return f"no binding for nonlocal '{name}' found", stmt.lineno
        return None


    def type_of(self, expr: ast.expr) -> Optional[tuple]:
        """What the code shows ``expr``'s value to be, as a term the project index evaluates
        (``semantic.types``); None when the code does not show it."""
        return self.typing.of(expr)

    @property
    def typing(self) -> Types:
        """The type inference of this file (``semantic.types``)."""
        if self._types is None:
            self._types = Types(self)
        return self._types

    def scope_of(self, node: ast.AST) -> Scope:
        """The scope a node runs in (the module for the Module itself, or a node not of this tree).
        Names, statements, parameters and except clauses are known from the model's walk; asking
        about any other node makes the node index."""
        found = self._scope_of.get(id(node))
        return found if found is not None else self._nodes().scope.get(id(node), self.module)

    def parent(self, node: ast.AST) -> Optional[ast.AST]:
        """The node ``node`` is a child of (None for the Module). Makes the node index."""
        return self._nodes().parent.get(id(node))

    def nodes(self, cls: type) -> list:
        """Every node of exactly the type ``cls``, parents before children, in the order the code
        runs where scopes are concerned (decorators and defaults before a function's body, a
        comprehension's first iterable before its element). Makes the node index."""
        return self._nodes().nodes(cls)

    def _nodes(self) -> NodeIndex:
        if self._index is None:
            self._index = NodeIndex(self.tree, self.module, self.scope_for)
        return self._index

    def enclosing_function(self, node: ast.AST) -> Optional[ast.AST]:
        """The innermost def or lambda whose body holds ``node`` (comprehensions are seen through);
        None at module or class level."""
        scope: Optional[Scope] = self.scope_of(node)
        while scope is not None and scope.kind == COMPREHENSION:
            scope = scope.parent
        return scope.node if scope is not None and scope.kind in (FUNCTION, LAMBDA) else None

    def scope_for(self, node: ast.AST) -> Optional[Scope]:
        """The scope a Module, def, class, lambda or comprehension opens."""
        return self._opened.get(id(node))

    def classify(self, name: str, scope: Scope) -> Optional[str]:
        """How a function-like ``scope`` sees ``name``: LOCAL, GLOBAL_EXPLICIT, GLOBAL_IMPLICIT or
        FREE, as the compiler decides; None when the name is no symbol of the scope. Class and module
        scopes: LOCAL for their own bindings, else as a function would."""
        if name in scope.globals:
            return GLOBAL_EXPLICIT
        if name in scope.nonlocals:
            return FREE
        if name in scope.bindings:
            return LOCAL
        if name not in scope.references:
            return None
        return FREE if self._enclosing_function_binding(name, scope) is not None else GLOBAL_IMPLICIT

    def owner(self, name: str, scope: Scope) -> Optional[Scope]:
        """The scope whose binding of ``name`` a use in ``scope`` sees; None for a builtin or an
        unbound name."""
        if name in scope.globals:
            return self.module if name in self.module.bindings or name in self._global_bindings else None
        if name not in scope.nonlocals and name in scope.bindings:
            return scope
        found = self._enclosing_function_binding(name, scope)
        if found is not None:
            return found
        return self.module if name in self.module.bindings or name in self._global_bindings else None

    def _enclosing_function_binding(self, name: str, scope: Scope) -> Optional[Scope]:
        """The function-like scope around ``scope`` (classes skipped) whose binding ``name`` sees."""
        outer = scope.parent
        while outer is not None and outer.kind != MODULE:
            if name in outer.globals:
                return None
            if outer.kind == CLASS:
                if name == "__class__":
                    return outer  # the implicit cell of methods that use ``super()`` or ``__class__``
            elif name in outer.bindings and name not in outer.nonlocals:
                return outer
            elif name in outer.nonlocals:
                return self._enclosing_function_binding(name, outer)
            outer = outer.parent
        return None

    def bindings(self, name: str, scope: Scope) -> list[Binding]:
        """Every binding a use of ``name`` in ``scope`` may see; empty for builtins or unbound names."""
        owner = self.owner(name, scope)
        if owner is None:
            return []
        if owner is self.module:
            return [*owner.bindings.get(name, ()), *self._global_bindings.get(name, ())]
        return list(owner.bindings.get(name, ()))

    def bindings_of(self, node: ast.Name) -> list[Binding]:
        """The bindings a name, where it stands, may refer to."""
        return self.bindings(node.id, self.scope_of(node))

    def bindings_before(self, node: ast.Name) -> list[Binding]:
        """Those of ``bindings_of`` made in the same scope above ``node`` (statement order)."""
        here = self.scope_of(node)
        at = (node.lineno, node.col_offset)
        return [b for b in self.bindings_of(node) if b.scope is not here or b.position < at]

    def definition(self, node: ast.Name) -> Optional[ast.AST]:
        """The def or class statement a name refers to, when that is its one binding (fallback
        imports aside); else None."""
        found = [b for b in self.bindings_of(node) if not b.fallback]
        return found[0].node if len(found) == 1 and found[0].kind in (DEF, CLASS_DEF) else None

    def is_builtin(self, node: ast.AST, name: str) -> bool:
        """Whether ``node`` is the name ``name`` and means the builtin (nothing in the file binds it
        where it stands, and no star import may)."""
        return isinstance(node, ast.Name) and node.id == name and self.qualname(node) == f"builtins.{name}"

    def qualname(self, expr: ast.expr) -> Optional[str]:
        """``asyncio.Task.all_tasks`` for ``aio.Task.all_tasks`` after ``import asyncio as aio``.

        A name resolves through the bindings it sees when every one of them (fallback imports aside)
        is an import of the same thing; an unbound name is a builtin (``builtins.len``) unless a star
        import may bind it. Otherwise None.
        """
        if isinstance(expr, ast.Attribute):
            base = self.qualname(expr.value)
            return f"{base}.{expr.attr}" if base else None
        if not isinstance(expr, ast.Name):
            return None
        found = [b for b in self.bindings_of(expr) if not b.fallback]
        if found:
            quals = {b.qualname if b.kind in (IMPORT, FROM_IMPORT) else "" for b in found}
            if len(quals) == 1:
                return quals.pop() or None
            return None
        if self.owner(expr.id, self.scope_of(expr)) is None and not self._star_imported(self.scope_of(expr)):
            return f"builtins.{expr.id}" if hasattr(builtins, expr.id) else None
        return None

    def _star_imported(self, scope: Scope) -> bool:
        return any(s.star_imports for s in self._chain(scope))

    def _chain(self, scope: Scope) -> Iterator[Scope]:
        s: Optional[Scope] = scope
        while s is not None:
            yield s
            s = s.parent

    def module_ref(self, module: str) -> Optional[tuple[str, bool]]:
        """A name that refers to ``module`` everywhere in the file, and whether it must be imported.

        A run-time import of the module at module level (its own name first, then an alias) whose
        name is bound to nothing else in any scope is used as it is; when there is none, the module's
        own name is imported, provided no scope binds it to anything else. Otherwise None.
        """
        every: dict[str, set[str]] = {}
        for scope in self.scopes:
            for name, found in scope.bindings.items():
                every.setdefault(name, set()).update(b.qualname if b.kind == IMPORT else "" for b in found if not b.fallback)
        aliases = [
            name for name, found in self.module.bindings.items()
            if every.get(name) == {module} and any(b.kind == IMPORT and not b.type_checking for b in found)
        ]
        if aliases:
            return (module if module in aliases else aliases[0]), False
        if not every.get(module) or every[module] == {module}:
            return module, True
        return None

    def free(self, *candidates: str, scope: Optional[ast.AST] = None) -> str:
        """The first candidate a new variable of ``scope`` (a def, class or the module; the module
        when None) can take: no builtin or keyword, no symbol of the scope, and seen by no scope
        nested in it (for the module: read as a global nowhere). Then ``<first>_2``, ...
        """
        target = self.module if scope is None else (self.scope_for(scope) or self.module)

        def is_free(name: str) -> bool:
            if name in RESERVED or name in target.symbols():
                return False
            for inner in target.descendants():
                if name in inner.symbols():
                    if target is not self.module or self.owner(name, inner) in (None, self.module):
                        return False
            return True

        for name in candidates:
            if is_free(name):
                return name
        n = 2
        while not is_free(f"{candidates[0]}_{n}"):
            n += 1
        return f"{candidates[0]}_{n}"

    # -- building ----------------------------------------------------------------------------------
