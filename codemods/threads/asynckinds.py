"""What an expression is, as far as asyncio is concerned: a loop, an asyncio future or task, a
``concurrent.futures`` future or executor, an asyncio primitive, an instance of one of the module's
own classes — or unknown.

Only what the code shows counts: a value from ``asyncio.get_running_loop()`` and friends, from
``loop.create_future()``, ``executor.submit()``..., a parameter annotated with such a type or whose
every known call passes one, an attribute every assignment of which gives one. A method name alone
never makes a receiver anything. A loop or future made inside thread code belongs to that thread's
own loop (if any), so it is never taken for the loop the thread must not touch.

The types themselves are the semantic model's (``asyncmend.semantic.types``): what an annotation
names, what a function or method returns, which values a class's methods assign to an attribute of
their instance, which name is a method's ``self``. What is this module's own is which of those types
matter here (the kinds below), where the value is made (in thread code or not), and what the call
sites in view pass to a parameter.
"""
from __future__ import annotations

import ast
from typing import Optional, Protocol, Sequence, Union

from asyncmend.semantic import ANNOTATION, ASSIGNMENT, PARAMETER, WALRUS, WITH, Binding, SemanticModel

from asyncmend.semantic.types import PROPERTIES as _PROPERTIES

from ..asyncio_api import LOOP_FACTORIES

LOOP = "loop"
FUTURE = "future"  # asyncio.Future
TASK = "task"  # asyncio.Task (an asyncio future too)
CFUTURE = "cfuture"  # concurrent.futures.Future
EXECUTOR = "executor"  # runs its work in threads
PEXECUTOR = "process-executor"
EVENT = "event"  # asyncio.Event
QUEUE = "queue"  # asyncio.Queue and its LIFO and priority kinds
CONDITION = "condition"  # asyncio.Condition

ASYNCIO_FUTURES = (FUTURE, TASK)

_CALL_KINDS = {
    "asyncio.Future": FUTURE,
    "asyncio.futures.Future": FUTURE,
    "asyncio.create_task": TASK,
    "asyncio.tasks.create_task": TASK,
    "asyncio.ensure_future": TASK,
    "asyncio.tasks.ensure_future": TASK,
    "asyncio.wrap_future": FUTURE,
    "asyncio.futures.wrap_future": FUTURE,
    "asyncio.gather": FUTURE,
    "asyncio.run_coroutine_threadsafe": CFUTURE,
    "asyncio.tasks.run_coroutine_threadsafe": CFUTURE,
    "concurrent.futures.Future": CFUTURE,
    "concurrent.futures._base.Future": CFUTURE,
    "concurrent.futures.ThreadPoolExecutor": EXECUTOR,
    "concurrent.futures.thread.ThreadPoolExecutor": EXECUTOR,
    "concurrent.futures.ProcessPoolExecutor": PEXECUTOR,
    "concurrent.futures.process.ProcessPoolExecutor": PEXECUTOR,
}
# The loop-bound primitives (bound to a loop at their first use, or at creation before Python 3.10).
_PRIMITIVES = {
    **{f"asyncio.{name}": EVENT for name in ("Event", "locks.Event")},
    **{f"asyncio.{name}": CONDITION for name in ("Condition", "locks.Condition")},
    **{f"asyncio.{mod}{name}": QUEUE for mod in ("", "queues.") for name in ("Queue", "LifoQueue", "PriorityQueue")},
}
_CALL_KINDS.update(_PRIMITIVES)
# Calls that bind to the calling thread's current loop: inside thread code that is not our loop (a
# primitive made there is the thread's own too).
_CURRENT_LOOP_KINDS = {FUTURE, TASK, LOOP, EVENT, QUEUE, CONDITION}
_ANNOTATION_KINDS = {
    "asyncio.AbstractEventLoop": LOOP,
    "asyncio.BaseEventLoop": LOOP,
    "asyncio.events.AbstractEventLoop": LOOP,
    "asyncio.base_events.BaseEventLoop": LOOP,
    "asyncio.Future": FUTURE,
    "asyncio.futures.Future": FUTURE,
    "asyncio.Task": TASK,
    "asyncio.tasks.Task": TASK,
    "concurrent.futures.Future": CFUTURE,
    "concurrent.futures._base.Future": CFUTURE,
    "concurrent.futures.Executor": EXECUTOR,
    "concurrent.futures._base.Executor": EXECUTOR,
    "concurrent.futures.ThreadPoolExecutor": EXECUTOR,
    "concurrent.futures.thread.ThreadPoolExecutor": EXECUTOR,
    "concurrent.futures.ProcessPoolExecutor": PEXECUTOR,
    **_PRIMITIVES,
}
_METHOD_KINDS = {
    (LOOP, "create_future"): FUTURE,
    (LOOP, "create_task"): TASK,
    (LOOP, "run_in_executor"): FUTURE,
    (FUTURE, "get_loop"): LOOP,
    (TASK, "get_loop"): LOOP,
    (EXECUTOR, "submit"): CFUTURE,
    (PEXECUTOR, "submit"): CFUTURE,
}
_MAX_DEPTH = 24


class CallArguments(Protocol):
    """One call site of a function (``threadflow.Invocation``)."""

    def argument(self, func: ast.AST, name: str) -> Optional[ast.expr]: ...


class ThreadFacts(Protocol):
    """What ``Kinds`` asks of the analysis of which code runs in worker threads: ``threadflow.ThreadFlow``,
    which is built on ``Kinds`` itself (to find executors), so this module does not import it."""

    def in_thread(self, node: ast.AST) -> bool: ...

    def invocations(self, func: ast.AST) -> Optional[Sequence[CallArguments]]: ...


# What an expression is: a kind (a string above), an instance of the module's own class (its
# ClassDef), "none" (the constant, which no method call runs on), or None (unknown).
What = Union[str, ast.ClassDef, None]


class Kinds:
    """Answers ``of(expr)`` and ``class_of(expr)``; with a ThreadFlow it also knows which code runs
    in worker threads."""

    def __init__(self, semantic: SemanticModel, flow: Optional[ThreadFacts] = None):
        self.semantic = semantic
        self.types = semantic.typing
        self.flow = flow
        self._active: set[int] = set()
        self._attr_cache: dict[tuple[int, str], What] = {}
        self._writes: dict[int, dict] = {}
        self._own: Optional[dict[str, ast.AST]] = None

    def of(self, expr: ast.expr) -> Optional[str]:
        """The kind of asyncio object ``expr`` is, when the code shows it."""
        found = self.what(expr)
        return found if isinstance(found, str) and found != "none" else None

    def class_of(self, expr: ast.expr) -> Optional[ast.ClassDef]:
        """The module's own class ``expr`` is an instance of, when the code shows it: ``self``,
        ``C(...)``, a parameter annotated ``C``, a name or attribute every assignment of which gives
        one, a function or method that returns one."""
        found = self.what(expr)
        return found if isinstance(found, ast.ClassDef) else None

    def what(self, expr: ast.expr) -> What:
        key = id(expr)
        if key in self._active or len(self._active) > _MAX_DEPTH:
            return None
        self._active.add(key)
        try:
            return self._what(expr)
        finally:
            self._active.discard(key)

    def annotation(self, expr: Optional[ast.expr], scope=None) -> What:
        """What an annotation promises (``Optional[X]`` and ``X | None`` count as X), as the semantic
        model reads it."""
        if expr is None:
            return None
        return self._term(self.types.annotation(expr, scope), None)

    # -- the cases ---------------------------------------------------------------------------------

    def _what(self, expr: ast.expr) -> What:
        if isinstance(expr, ast.Call):
            return self._call(expr)
        if isinstance(expr, ast.Name):
            me = instance_class(self.semantic, expr)
            if me is not None:
                return me
            found = [b for b in self.semantic.bindings_of(expr) if not b.fallback]
            # ``def f(loop=None): if loop is None: loop = asyncio.get_event_loop()``: the parameter's
            # default stands for "pick the usual one", which another binding of the name does
            return self._agree(["none" if len(found) > 1 and _optional_param(b) else self._binding(b) for b in found])
        if isinstance(expr, ast.Attribute):
            owner = self.class_of(expr.value)
            return self.attribute(owner, expr.attr) if owner is not None else None
        if isinstance(expr, ast.NamedExpr):
            return self.what(expr.value)
        if isinstance(expr, ast.BoolOp) and isinstance(expr.op, ast.Or):  # ``loop or asyncio.get_event_loop()``
            return self._agree([self._or_operand(v) for v in expr.values])
        return None

    def _or_operand(self, expr: ast.expr) -> What:
        if isinstance(expr, ast.Name):
            found = [b for b in self.semantic.bindings_of(expr) if not b.fallback]
            if len(found) == 1 and _optional_param(found[0]):
                return "none"
        return self._value(expr)

    def _in_thread(self, node: Optional[ast.AST]) -> bool:
        return node is not None and self.flow is not None and self.flow.in_thread(node)

    def _call(self, call: ast.Call) -> What:
        qual = self.semantic.qualname(call.func)
        if qual in _CALL_KINDS or qual in LOOP_FACTORIES:
            return self._made(qual, call, any(k.arg == "loop" for k in call.keywords))
        if isinstance(call.func, ast.Attribute):
            receiver = self.what(call.func.value)
            if isinstance(receiver, ast.ClassDef):
                return self._method_returns(receiver, call.func.attr, call)
            return _METHOD_KINDS.get((receiver, call.func.attr)) if isinstance(receiver, str) else None
        if isinstance(call.func, ast.Name):
            return self._called(self.types.qual(call.func), call)
        return None

    def _made(self, qual: str, site: Optional[ast.AST], explicit_loop: bool = False) -> What:
        """What calling asyncio's or concurrent.futures' ``qual`` makes at ``site``: a loop or a
        loop-bound object made in thread code is that thread's own (unless the loop is given)."""
        if qual in LOOP_FACTORIES:
            return None if self._in_thread(site) else LOOP
        kind = _CALL_KINDS.get(qual)
        if kind in _CURRENT_LOOP_KINDS and self._in_thread(site) and not explicit_loop:
            return None
        return kind

    def _called(self, qual: Optional[str], site: Optional[ast.AST]) -> What:
        """What calling the module's own class or function ``qual`` (a qualified name) gives."""
        target = self._own_defs().get(qual) if qual else None
        if isinstance(target, ast.ClassDef):
            return target
        if isinstance(target, ast.FunctionDef):
            return self._returned(target, None, site)
        return None

    def _method_returns(self, owner: ast.ClassDef, name: str, site: Optional[ast.AST]) -> What:
        found = [m for m in owner.body if isinstance(m, ast.FunctionDef) and m.name == name]
        if len(found) != 1 or any(self.types.decorator(d) in _PROPERTIES for d in found[0].decorator_list):
            return None
        return self._returned(found[0], owner, site)

    def _returned(self, func: ast.FunctionDef, owner: Optional[ast.ClassDef], site: Optional[ast.AST]) -> What:
        """What a plain function's call at ``site`` gives, from what the semantic model says it returns."""
        found = self.types.returns(func, self.types.def_qual(owner) if owner is not None else None)
        return self._term(found[1], site) if found is not None and not found[0] else None

    def _term(self, term, site: Optional[ast.AST], depth: int = 0) -> What:
        """What a type term of the semantic model (``semantic.types``) is here; ``site`` is where the
        value is made (a function's return value is made at its call)."""
        if term is None or depth > _MAX_DEPTH:
            return None
        kind = term[0]
        if kind in ("inst", "self"):
            own = self._own_defs().get(term[1])
            if isinstance(own, ast.ClassDef):
                return own
            return _ANNOTATION_KINDS.get(term[1]) if kind == "inst" else None
        if kind == "call":
            if term[1] in _CALL_KINDS or term[1] in LOOP_FACTORIES:
                return self._made(term[1], site)
            return self._called(term[1], site)
        if kind in ("attr", "mcall"):
            base = self._term(term[1], site, depth + 1)
            if isinstance(base, ast.ClassDef):
                return self.attribute(base, term[2]) if kind == "attr" else self._method_returns(base, term[2], site)
            return _METHOD_KINDS.get((base, term[2])) if kind == "mcall" and isinstance(base, str) else None
        if kind == "enter" and not term[2]:  # only an executor's __enter__ is known to return itself
            inner = self._term(term[1], site, depth + 1)
            return inner if inner in (EXECUTOR, PEXECUTOR) else None
        return None

    def _own_defs(self) -> dict[str, ast.AST]:
        """The module's classes and functions by their qualified names (the model's), each defined once."""
        if self._own is None:
            seen: dict[str, list[ast.AST]] = {}
            for cls in (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef):
                for node in self.semantic.nodes(cls):
                    qual = self.types.def_qual(node)
                    if qual is not None:
                        seen.setdefault(qual, []).append(node)
            self._own = {qual: nodes[0] for qual, nodes in seen.items() if len(nodes) == 1}
        return self._own

    def _binding(self, binding: Binding) -> What:
        if binding.kind in (ASSIGNMENT, WALRUS) and binding.value is not None:
            return self._value(binding.value)
        if binding.kind == WITH and binding.value is not None:
            kind = self.what(binding.value)  # only an executor's __enter__ is known to return itself
            return kind if kind in (EXECUTOR, PEXECUTOR) else None
        if binding.kind == ANNOTATION:
            return self.annotation(binding.annotation, binding.scope) or "none"  # gives no value itself
        if binding.kind == PARAMETER:
            return self._param(binding)
        return None

    def _param(self, param: Binding) -> What:
        declared = self.annotation(param.annotation, param.scope.parent)
        if declared is not None or self.flow is None:
            return declared
        func = param.stmt  # the def or lambda
        calls = self.flow.invocations(func) if func is not None else None
        if not calls:
            return None
        return self._agree([self._value(invocation.argument(func, param.name)) for invocation in calls])

    def _value(self, expr: Optional[ast.expr]) -> What:
        if expr is None:
            return None
        return "none" if _is_none(expr) else self.what(expr)

    def _attribute(self, owner: ast.ClassDef, name: str) -> What:
        found = []
        for stmt in owner.body:
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.target.id == name:
                found.append(self.annotation(stmt.annotation, self.semantic.scope_for(owner)))
        for value, annotation, scope in self._attribute_writes(owner).get(name, ()):
            here = self._value(value)  # None for a write the code does not see through
            if here is None and value is not None and annotation is not None:
                here = self.annotation(annotation, scope)
            found.append(here)
        return self._agree(found)

    def _attribute_writes(self, owner: ast.ClassDef) -> dict:
        if id(owner) not in self._writes:
            self._writes[id(owner)] = self.types.attribute_writes(owner)
        return self._writes[id(owner)]

    def bindings_kind(self, bindings: list[Binding]) -> Optional[str]:
        """The one kind a name's bindings in a scope give."""
        found = self._agree([self._binding(b) for b in bindings if not b.fallback])
        return found if isinstance(found, str) else None

    def attributes(self, owner: ast.ClassDef) -> list[str]:
        """The attributes the class's methods assign on their instance, in order of first assignment."""
        return list(self._attribute_writes(owner))

    def attribute(self, owner: ast.ClassDef, name: str) -> What:
        """What the attribute ``name`` of the class's instances is, when every assignment agrees."""
        key = (id(owner), name)
        if key not in self._attr_cache:
            self._attr_cache[key] = None  # a cycle through this attribute knows nothing
            self._attr_cache[key] = self._attribute(owner, name)
        return self._attr_cache[key]

    def attribute_kind(self, owner: ast.ClassDef, name: str) -> Optional[str]:
        found = self.attribute(owner, name)
        return found if isinstance(found, str) else None

    @staticmethod
    def _agree(found: list[What]) -> What:
        """The one thing all bindings give (``None`` constants aside), else unknown."""
        real = [k for k in found if k != "none"]
        if not real or any(k is None for k in real) or len({id(k) if isinstance(k, ast.AST) else k for k in real}) != 1:
            return None
        return real[0]


def instance_class(semantic: SemanticModel, expr: ast.expr) -> Optional[ast.ClassDef]:
    """The class whose instance ``expr`` is, when it is a method's ``self`` (the semantic model's
    ``self_class``)."""
    if not isinstance(expr, ast.Name):
        return None
    if semantic.typing.self_class(expr) is None:
        return None
    owner = semantic.bindings_of(expr)[0].scope.parent.node
    return owner if isinstance(owner, ast.ClassDef) else None


def _optional_param(binding: Binding) -> bool:
    """An unannotated parameter whose default is ``None``."""
    func = binding.stmt
    if binding.kind != PARAMETER or binding.annotation is not None or not isinstance(
        func, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
    ):
        return False
    a = func.args
    positional = [*a.posonlyargs, *a.args]
    pairs = [*zip(positional[len(positional) - len(a.defaults):], a.defaults), *zip(a.kwonlyargs, a.kw_defaults)]
    return any(p is binding.node and d is not None and _is_none(d) for p, d in pairs)


def _is_none(expr: ast.expr) -> bool:
    return isinstance(expr, ast.Constant) and expr.value is None
