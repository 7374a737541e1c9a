"""One file's semantic model: its scopes, the bindings made in them, and what each name refers to.

Built from one walk of an ``ast.Module`` and shared by every rule, as ruff's ``SemanticModel`` or
LibCST's ``ScopeProvider`` + ``QualifiedNameProvider``: rules ask it questions ("which bindings does
this name see?", "is this ``asyncio.all_tasks``?", "which new name is free here?") and keep no scope
bookkeeping of their own.

Python's own rules, as the compiler's symbol table applies them (the tests check the model against
``symtable`` on the standard library):

- scopes are the module, classes, functions, lambdas and comprehensions; a class scope is not seen
  from the functions nested in it; decorators, defaults, bases and (argument) annotations run in the
  enclosing scope, as does the first iterable of a comprehension;
- a name bound anywhere in a function (assignment, ``del``, import, ``for``/``with``/``except``/``match``
  target, parameter, nested ``def``/``class``) is local to all of it, unless declared ``global`` or
  ``nonlocal``; a walrus in a comprehension binds in the nearest enclosing non-comprehension scope;
- under ``from __future__ import annotations`` annotations are not evaluated, so not references.

Resolution is not flow-sensitive: a name sees every binding of the scope it resolves to (plus, for
a module name, the functions' ``global`` bindings of it); statement order is there for the rules that
need it (``Binding.position``, ``Scope.statements``, ``bindings_before``).

Modules: ``scopes`` (the vocabulary: kinds, ``Scope``, ``Binding``), ``walk`` (the one walk that fills
the model), ``nodes`` (the node index, a second walk made on first use: every node's parent and
scope, the nodes of each type), ``model`` (``SemanticModel``, the questions), ``astutil`` (small
``ast`` helpers).
"""

from __future__ import annotations

from .astutil import dotted, fallback_imports
from .model import SemanticModel
from .scopes import (
    ANNOTATION, ASSIGNMENT, AUGMENTED, CLASS, CLASS_DEF, COMPREHENSION, COMPREHENSION_TARGET, DEF, DELETION,
    EXCEPT, FOR, FREE, FROM_IMPORT, FUNCTION, GLOBAL_EXPLICIT, GLOBAL_IMPLICIT, IMPORT, LAMBDA, LOCAL, MATCH,
    MODULE, PARAMETER, RESERVED, WALRUS, WITH, Binding, Scope,
)

__all__ = [
    "ANNOTATION", "ASSIGNMENT", "AUGMENTED", "CLASS", "CLASS_DEF", "COMPREHENSION", "COMPREHENSION_TARGET", "DEF",
    "DELETION", "EXCEPT", "FOR", "FREE", "FROM_IMPORT", "FUNCTION", "GLOBAL_EXPLICIT", "GLOBAL_IMPLICIT", "IMPORT",
    "LAMBDA", "LOCAL", "MATCH", "MODULE", "PARAMETER", "RESERVED", "WALRUS", "WITH", "Binding", "Scope",
    "SemanticModel", "dotted", "fallback_imports",
]
