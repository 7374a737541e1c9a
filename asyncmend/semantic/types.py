"""What one file's code shows an expression's value to be: the types of the semantic model.

Small and honest: a type comes from what the code states, never from a name alone. The answer is a
*term*, plain data (tuples of strings) that the project index evaluates once every file is known:

- ``("inst", qual, evidence)``: an instance of the class ``qual``;
- ``("self", class_qual)``: ``self`` in a method of ``class_qual`` (an instance of it or of a subclass);
- ``("call", qual)`` / ``("await", qual)``: what calling ``qual`` gives, or awaiting that call;
- ``("attr", term, name)``: the attribute ``name`` of a ``term``;
- ``("mcall", term, name)`` / ``("mawait", term, name)``: what the method ``name`` of a ``term`` returns
  when called, or when its call is awaited;
- ``("enter", term, is_async)``: what ``[async] with term as x`` binds to ``x``;
- ``("cm", term)``: the value of a ``@(async)contextmanager`` function's call, which enters as ``term``.

``evidence`` is NEW where the code builds the object (``Database()``, a function that builds and
returns one), ANNOTATED where only an annotation says so (another class may come at run time).
Where two bindings of a name disagree the type is unknown (None); ``isinstance`` checks and
``is None`` branches make no type up; an assignment of ``None`` is no disagreement, as no method
called on the name can run on ``None``.
"""
from __future__ import annotations

import ast
from typing import Optional

from .astutil import dotted
from .scopes import ANNOTATION, ASSIGNMENT, CLASS, CLASS_DEF, MODULE, PARAMETER, WALRUS, WITH

NEW, PASSED, ANNOTATED = "new", "passed", "annotated"

Term = tuple

# Decorators a function's return type is still read through (qualified names; builtins bare).
_PLAIN_DECORATORS = frozenset({
    "staticmethod", "classmethod", "abc.abstractmethod", "typing.overload", "typing.override",
    "typing_extensions.overload", "typing_extensions.override", "functools.cache", "functools.lru_cache",
})
PROPERTIES = frozenset({"property", "functools.cached_property"})
_CONTEXT_MANAGERS = frozenset({"contextlib.contextmanager", "contextlib.asynccontextmanager"})
# Class-level values that only declare a field: its annotation says the type.
_FIELDS = frozenset({"dataclasses.field", "attr.ib", "attr.attrib", "attrs.field", "attr.field"})
# ``Optional[T]``-like wrappers whose one non-None member is the type; ``Self``.
_OPTIONAL = frozenset({"typing.Optional", "typing_extensions.Optional"})
_SELF = frozenset({"typing.Self", "typing_extensions.Self"})
# Generic return types of context-manager functions whose argument is the value entered.
_ITERATORS = frozenset({
    "typing.Iterator", "typing.Generator", "typing.AsyncIterator", "typing.AsyncGenerator",
    "collections.abc.Iterator", "collections.abc.Generator", "collections.abc.AsyncIterator",
    "collections.abc.AsyncGenerator", "typing_extensions.AsyncIterator", "typing_extensions.AsyncGenerator",
})
_CM_TYPES = frozenset({
    "contextlib.AbstractAsyncContextManager", "contextlib.AbstractContextManager",
    "typing.AsyncContextManager", "typing.ContextManager",
})
_BUSY = ("busy",)  # a term being computed: a name whose value depends on itself is unknown


class Types:
    """The types of one file's expressions (``SemanticModel.type_of``), memoised in ``model.types``."""

    def __init__(self, model):
        self.m = model  # the file's SemanticModel (not imported: it imports this module)
        #: Whether every call in view passes an annotated parameter's own class (given a Binding):
        #: the project layer knows the calls; without it, an annotation is only ANNOTATED.
        self.passed = None

    # -- expressions ------------------------------------------------------------------------------

    def of(self, expr: ast.expr) -> Optional[Term]:
        memo = self.m.types
        key = id(expr)
        if key in memo:
            found = memo[key]
            return None if found is _BUSY else found
        memo[key] = _BUSY
        try:
            found = self._of(expr)
        except RecursionError:
            found = None
        memo[key] = found
        return found

    def _of(self, expr: ast.expr) -> Optional[Term]:
        if isinstance(expr, ast.Name):
            return self._name(expr)
        if isinstance(expr, ast.Attribute):
            base = self.of(expr.value)
            return ("attr", base, expr.attr) if base is not None else None
        if isinstance(expr, ast.Await) and isinstance(expr.value, ast.Call):
            return self._call(expr.value, awaited=True)
        if isinstance(expr, ast.Call):
            return self._call(expr, awaited=False)
        return None

    def _call(self, call: ast.Call, awaited: bool) -> Optional[Term]:
        func = call.func
        if isinstance(func, ast.Name):
            receiver = self._first_param(func)
            if receiver is not None:  # ``cls(...)`` in a classmethod builds an instance of the receiver
                return receiver[:2] if receiver[2] == "cls" and not awaited else None
        elif isinstance(func, ast.Attribute):
            base = self.of(func.value)
            if base is not None:
                return ("mawait" if awaited else "mcall", base, func.attr)
        qual = self.qual(func)
        return ("await" if awaited else "call", qual) if qual else None

    def _name(self, node: ast.Name) -> Optional[Term]:
        receiver = self._first_param(node)
        if receiver is not None:
            return receiver[:2] if receiver[2] == "self" else None
        found = [b for b in self.m.bindings_of(node) if not b.fallback]
        if not found:
            return None
        terms = set()
        declared = None
        for b in found:
            if b.kind == ANNOTATION:
                declared = self.annotation(b.annotation, b.scope)
                continue
            if b.kind in (ASSIGNMENT, WALRUS) and _is_none(b.value):
                continue
            term = self._binding(b)
            if term is None:
                if b.annotation is None:
                    return None
                term = self.annotation(b.annotation, b.scope)
                if term is None:
                    return None
            terms.add(term)
        if not terms:
            return declared
        return terms.pop() if len(terms) == 1 else None

    def _binding(self, b) -> Optional[Term]:
        if b.kind in (ASSIGNMENT, WALRUS) and b.value is not None:
            return self.of(b.value)
        if b.kind == WITH and b.value is not None:
            inner = self.of(b.value)
            return ("enter", inner, isinstance(b.stmt, ast.AsyncWith)) if inner is not None else None
        if b.kind == PARAMETER and b.annotation is not None:
            term = self.annotation(b.annotation, b.scope.parent)
            if term is not None and term[0] == "inst" and self.passed is not None and self.passed(b):
                return term[:2] + (PASSED,)
            return term
        return None

    def self_class(self, node: ast.Name) -> Optional[str]:
        """The qualified name of the class whose method has ``node`` as its ``self``, else None."""
        found = self._first_param(node)
        return found[1] if found is not None and found[2] == "self" else None

    def _first_param(self, node: ast.Name) -> Optional[tuple]:
        """``("self", class qual, "self" | "cls")`` when ``node`` is the first parameter of a method,
        not rebound, that stands for the instance (or, in a classmethod, the class)."""
        found = self.m.bindings_of(node)
        if len(found) != 1 or found[0].kind != PARAMETER:
            return None
        func = found[0].stmt
        scope = found[0].scope
        if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)) or scope.parent.kind != CLASS:
            return None
        params = [*func.args.posonlyargs, *func.args.args]
        if not params or params[0] is not found[0].node:
            return None
        decorators = {self.decorator(d) for d in func.decorator_list}
        if "staticmethod" in decorators:
            return None
        qual = self.def_qual(scope.parent.node)
        if qual is None:
            return None
        return ("self", qual, "cls" if "classmethod" in decorators else "self")

    # -- names ------------------------------------------------------------------------------------

    def qual(self, expr: ast.expr) -> Optional[str]:
        """The qualified name ``expr`` refers to: an import's, or a class or def of this module
        (``pkg.mod.Class.method``); None when it is not known."""
        found = self.m.qualname(expr)
        if found and not found.startswith("builtins."):
            return found
        if isinstance(expr, ast.Attribute):
            base = self.qual(expr.value)
            return f"{base}.{expr.attr}" if base else None
        if isinstance(expr, ast.Name):
            node = self.m.definition(expr)
            return self.def_qual(node) if node is not None else None
        return None

    def def_qual(self, node: ast.AST) -> Optional[str]:
        """``pkg.mod.Outer.name`` of a def or class nested only in classes (``__main__.name`` when the
        module's name is not known); None inside a function."""
        parts = [node.name]
        scope = self.m.scope_of(node)
        while scope.kind == CLASS:
            parts.append(scope.node.name)
            scope = scope.parent
        if scope.kind != MODULE:
            return None
        return ".".join([self.m.module_name or "__main__", *reversed(parts)])

    def decorator(self, node: ast.expr) -> Optional[str]:
        found = self.m.qualname(node)
        if found and found.startswith("builtins."):
            return found[len("builtins."):]
        return found

    def annotation(self, node: Optional[ast.expr], scope=None) -> Optional[Term]:
        """The instance type an annotation names: ``C``, ``"C"``, ``C[T]``, ``Optional[C]``, ``C | None``,
        ``Self``."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                node = ast.parse(node.value, mode="eval").body
            except SyntaxError:
                return None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            sides = [s for s in (node.left, node.right) if not _is_none(s)]
            return self.annotation(sides[0], scope) if len(sides) == 1 else None
        if isinstance(node, ast.Subscript) and self.decorator(node.value) in _OPTIONAL:
            return self.annotation(node.slice, scope)
        if isinstance(node, ast.Subscript) and self.decorator(node.value) not in _CM_TYPES | _ITERATORS:
            node = node.value  # ``asyncio.Future[int]``: an instance of the class
        if node is None or dotted(node) is None:
            return None
        qual = self.decorator(node)
        if qual in _SELF:
            return ("self-type",)
        if qual is None and isinstance(node, ast.Name):
            definition = self._definition_in(node, scope)
            qual = self.def_qual(definition) if definition is not None else None
        return ("inst", qual, ANNOTATED) if qual and "." in qual and not qual.startswith("typing") else None

    def _definition_in(self, node: ast.Name, scope) -> Optional[ast.AST]:
        """The class ``node`` names, for a name parsed from a string (not part of the tree)."""
        if self.m.scope_of(node) is not self.m.module or scope is None:
            return self.m.definition(node)
        found = [b for b in self.m.bindings(node.id, scope) if not b.fallback]
        return found[0].node if len(found) == 1 and found[0].kind == CLASS_DEF else None

    # -- functions and classes --------------------------------------------------------------------

    def returns(self, func: ast.AST, class_qual: Optional[str] = None) -> Optional[tuple[bool, Term]]:
        """What calling ``func`` gives (for an ``async def``: what awaiting the call gives), and
        whether it is an ``async def``: from the values its body returns when they all agree, else
        from its return annotation. None when not known."""
        inner = self.m.scope_for(func)
        if inner is None:
            return None
        values = [s.value for s in inner.statements if isinstance(s, ast.Return) and s.value is not None]
        if not values and func.returns is None and not func.decorator_list:
            return None
        decorators = [self.decorator(d) for d in func.decorator_list]
        is_async = isinstance(func, ast.AsyncFunctionDef)
        manager = [d for d in decorators if d in _CONTEXT_MANAGERS]
        if any(d not in _PLAIN_DECORATORS and d not in PROPERTIES and d not in _CONTEXT_MANAGERS for d in decorators):
            return None
        if manager:
            entered = self._yielded(func, inner)
            if entered is None:
                entered = self._iterated(func.returns, inner.parent)
            return (False, ("cm", entered)) if entered is not None else None
        if inner.generator:  # its call gives a generator
            return None
        terms = {self.of(v) if not _is_none(v) else "none" for v in values}
        terms.discard("none")
        if len(terms) == 1 and None not in terms:
            return is_async, terms.pop()
        declared = self.annotation(func.returns, inner.parent) if func.returns is not None else None
        if declared is None:
            cm = self._manager_type(func.returns, inner.parent)
            return (is_async, ("cm", cm)) if cm is not None else None
        if declared == ("self-type",):
            declared = ("self", class_qual) if class_qual else None
        return (is_async, declared) if declared is not None else None

    def _yielded(self, func: ast.AST, inner) -> Optional[Term]:
        terms = set()
        for stmt in inner.statements:
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Yield):
                value = stmt.value.value
                terms.add(self.of(value) if value is not None else None)
        return terms.pop() if len(terms) == 1 else None

    def _iterated(self, node: Optional[ast.expr], scope) -> Optional[Term]:
        """``T`` of ``AsyncIterator[T]``, ``AsyncGenerator[T, None]``, ``Iterator[T]``..."""
        if isinstance(node, ast.Subscript) and self.decorator(node.value) in _ITERATORS:
            arg = node.slice.elts[0] if isinstance(node.slice, ast.Tuple) and node.slice.elts else node.slice
            return self.annotation(arg, scope)
        return None

    def _manager_type(self, node: Optional[ast.expr], scope) -> Optional[Term]:
        """``T`` of ``AbstractAsyncContextManager[T]`` and the like."""
        if isinstance(node, ast.Subscript) and self.decorator(node.value) in _CM_TYPES:
            arg = node.slice.elts[0] if isinstance(node.slice, ast.Tuple) and node.slice.elts else node.slice
            return self.annotation(arg, scope)
        return None

    def attribute_writes(self, node: ast.ClassDef) -> dict[str, list[tuple[Optional[ast.expr], Optional[ast.expr], object]]]:
        """What the class's methods assign to attributes of their instance (``self.x = ...``, also in
        functions nested in a method that see its ``self``): attribute -> one (value, annotation,
        scope) a write, in source order. The value is None where the code does not show one value:
        unpacking, ``+=``, a ``for`` or ``with`` target, ``del``."""
        scope = self.m.scope_for(node)
        out: dict[str, list] = {}
        if scope is None:
            return out
        for child in scope.children:
            func = child.node
            if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            params = [*func.args.posonlyargs, *func.args.args]
            decorators = {self.decorator(d) for d in func.decorator_list}
            if not params or "staticmethod" in decorators or "classmethod" in decorators:
                continue
            me = params[0].arg
            inner = [child, *(s for s in child.descendants() if self.m.owner(me, s) is child)]
            for where in inner:
                for stmt in where.statements:
                    for target, value, annotation in _writes(stmt):
                        for attr in _self_attrs(target, me):
                            out.setdefault(attr, []).append((value, annotation, where))
        return out

    def class_types(self, node: ast.ClassDef) -> tuple[dict[str, Optional[Term]], dict[str, tuple[bool, Term]]]:
        """The attributes of a class's instances and what its methods return.

        Attributes: ``self.x = ...`` in any method, class-level ``x: C`` (dataclass, attrs and
        ``__slots__`` fields included) and ``x = ...``, ``@property`` methods. Two assignments that
        disagree, or one whose value is not known, make the attribute unknown (None)."""
        scope = self.m.scope_for(node)
        qual = self.def_qual(node)
        attrs: dict[str, set] = {}
        declared: dict[str, Term] = {}
        returns: dict[str, tuple[bool, Term]] = {}
        if scope is None or qual is None:
            return {}, {}
        for stmt in scope.statements:
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                term = self.annotation(stmt.annotation, scope)
                value = stmt.value
                if value is None or (isinstance(value, ast.Call) and self.decorator(value.func) in _FIELDS):
                    if term is not None:
                        declared[stmt.target.id] = term
                    else:
                        attrs.setdefault(stmt.target.id, set()).add(None)
                elif not _is_none(value):
                    attrs.setdefault(stmt.target.id, set()).add(self.of(value))
            elif isinstance(stmt, ast.Assign):
                for target in stmt.targets:
                    if isinstance(target, ast.Name) and not _is_none(stmt.value):
                        attrs.setdefault(target.id, set()).add(self.of(stmt.value))
        for child in scope.children:
            func = child.node
            if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            found = self.returns(func, qual)
            decorators = {self.decorator(d) for d in func.decorator_list}
            if decorators & PROPERTIES:
                if found is not None and not found[0]:
                    attrs.setdefault(func.name, set()).add(found[1])
                else:
                    attrs.setdefault(func.name, set()).add(None)
            elif found is not None:
                returns[func.name] = found
        for name, writes in self.attribute_writes(node).items():
            for value, annotation, where in writes:
                if value is None:
                    attrs.setdefault(name, set()).add(None)
                elif not _is_none(value):
                    term = self.of(value)
                    if term is None and annotation is not None:
                        term = self.annotation(annotation, where)
                    attrs.setdefault(name, set()).add(term)
                else:
                    attrs.setdefault(name, set())
        out: dict[str, Optional[Term]] = {}
        for name in {*attrs, *declared}:
            terms = attrs.get(name, set())
            if not terms:
                terms = {declared.get(name)}
            out[name] = terms.pop() if len(terms) == 1 else None
        return out, returns


def _writes(stmt: ast.stmt):
    """(target, value, annotation) for each target a statement assigns; value None where the target
    does not get one value the code shows."""
    if isinstance(stmt, ast.Assign):
        for target in stmt.targets:
            yield target, stmt.value if isinstance(target, (ast.Attribute, ast.Name)) else None, None
    elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
        yield stmt.target, stmt.value, stmt.annotation
    elif isinstance(stmt, ast.AugAssign):
        yield stmt.target, None, None
    elif isinstance(stmt, (ast.For, ast.AsyncFor)):
        yield stmt.target, None, None
    elif isinstance(stmt, (ast.With, ast.AsyncWith)):
        for item in stmt.items:
            if item.optional_vars is not None:
                yield item.optional_vars, None, None
    elif isinstance(stmt, ast.Delete):
        for target in stmt.targets:
            yield target, None, None


def _self_attrs(target: ast.expr, me: str) -> list[str]:
    """The attributes of ``me`` a target assigns: ``me.x`` (also inside tuples)."""
    if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == me:
        return [target.attr]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [a for elt in target.elts for a in _self_attrs(elt, me)]
    if isinstance(target, ast.Starred):
        return _self_attrs(target.value, me)
    return []


def _is_none(node: Optional[ast.expr]) -> bool:
    return isinstance(node, ast.Constant) and node.value is None
