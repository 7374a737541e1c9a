"""The model's vocabulary: scope kinds, binding kinds, and the Scope and Binding records."""
from __future__ import annotations

import ast
import builtins
import keyword
from dataclasses import dataclass, field
from typing import Iterator, Optional

# Scope kinds.
MODULE, CLASS, FUNCTION, LAMBDA, COMPREHENSION = "module", "class", "function", "lambda", "comprehension"

# Binding kinds.
IMPORT = "import"  # import a.b / import a.b as c
FROM_IMPORT = "from-import"  # from a import b (as c)
ASSIGNMENT = "assignment"  # =, and annotated assignments with a value
AUGMENTED = "augmented"  # +=, ...
ANNOTATION = "annotation"  # ``x: T`` without a value: declares, binds nothing at run time
DEF = "def"
CLASS_DEF = "class"
PARAMETER = "parameter"
FOR = "for"  # for and async for targets
WITH = "with"  # with ... as target
EXCEPT = "except"  # except E as name
MATCH = "match"  # capture patterns
WALRUS = "walrus"
COMPREHENSION_TARGET = "comprehension"  # for ... in, inside a comprehension
DELETION = "del"

# How a function scope sees a name (``symtable``'s classification).
LOCAL, GLOBAL_EXPLICIT, GLOBAL_IMPLICIT, FREE = "local", "global-explicit", "global-implicit", "free"

RESERVED = frozenset(dir(builtins)) | frozenset(keyword.kwlist)



@dataclass(eq=False)
class Binding:
    """One place a name is bound."""

    name: str
    kind: str
    node: ast.AST  # the binding node: the Name target, arg, alias, def, class, handler or pattern
    stmt: Optional[ast.AST]  # the statement (or comprehension) that binds; the def for a parameter
    scope: "Scope"
    value: Optional[ast.expr] = None  # what a single name is set to (assignment, with, walrus)
    annotation: Optional[ast.expr] = None  # ``x: T`` (with or without a value), a parameter's annotation
    qualname: str = ""  # what an import binds: ``asyncio.tasks`` for ``from asyncio import tasks``
    type_checking: bool = False  # inside ``if TYPE_CHECKING:``: not bound at run time
    fallback: bool = False  # ``except ImportError: import trollius as asyncio`` (or ``asyncio = None``)

    @property
    def position(self) -> tuple[int, int]:
        node = self.node
        return getattr(node, "lineno", 0), getattr(node, "col_offset", 0)


@dataclass(eq=False)
class Scope:
    kind: str
    node: ast.AST  # the Module, ClassDef, def, Lambda or comprehension
    parent: Optional["Scope"]
    children: list["Scope"] = field(default_factory=list)
    bindings: dict[str, list[Binding]] = field(default_factory=dict)  # in source order
    references: dict[str, list[ast.Name]] = field(default_factory=dict)  # names read (and deleted)
    globals: set[str] = field(default_factory=set)
    nonlocals: set[str] = field(default_factory=set)
    star_imports: list[ast.ImportFrom] = field(default_factory=list)
    statements: list[ast.stmt] = field(default_factory=list)  # its own statements, in source order
    generator: bool = False  # a ``yield`` or ``yield from`` of its own

    @property
    def is_function(self) -> bool:
        """A function-like scope (function, lambda, comprehension), whose names are local or not."""
        return self.kind in (FUNCTION, LAMBDA, COMPREHENSION)

    def symbols(self) -> set[str]:
        """Every name the scope binds, reads or declares (``symtable``'s identifiers)."""
        return set(self.bindings) | set(self.references) | self.globals | self.nonlocals

    def descendants(self) -> Iterator["Scope"]:
        for child in self.children:
            yield child
            yield from child.descendants()
