"""What an expression is, as far as asyncio is concerned: a loop, an asyncio future or task, a
``concurrent.futures`` future or executor — or unknown.

Only what the code shows counts: a value from ``asyncio.get_running_loop()`` and friends, from
``loop.create_future()``, ``executor.submit()``..., a parameter annotated with such a type or whose
every known call passes one, an attribute every assignment of which gives one. A method name alone
never makes a receiver anything. A loop or future made inside thread code belongs to that thread's
own loop (if any), so it is never taken for the loop the thread must not touch.
"""
from __future__ import annotations

import ast
from typing import Optional, Protocol, Sequence

from asyncmend.semantic import ANNOTATION, ASSIGNMENT, PARAMETER, WALRUS, WITH, Binding, SemanticModel

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


class Kinds:
    """Answers ``of(expr)``; with a ThreadFlow it also knows which code runs in worker threads."""

    def __init__(self, semantic: SemanticModel, flow: Optional[ThreadFacts] = None):
        self.semantic = semantic
        self.flow = flow
        self._active: set[int] = set()
        self._attr_cache: dict[tuple[int, str], Optional[str]] = {}

    def of(self, expr: ast.expr) -> Optional[str]:
        key = id(expr)
        if key in self._active or len(self._active) > _MAX_DEPTH:
            return None
        self._active.add(key)
        try:
            return self._of(expr)
        finally:
            self._active.discard(key)

    def annotation(self, expr: Optional[ast.expr]) -> Optional[str]:
        """The kind an annotation promises (``Optional[X]`` and ``X | None`` count as X)."""
        if expr is None:
            return None
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):  # "asyncio.Future"
            try:
                expr = ast.parse(expr.value, mode="eval").body  # names resolve at module level
            except SyntaxError:
                return None
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.BitOr):
            sides = [s for s in (expr.left, expr.right) if not _is_none(s)]
            return self.annotation(sides[0]) if len(sides) == 1 else None
        if isinstance(expr, ast.Subscript) and self.semantic.qualname(expr.value) in (
            "typing.Optional",
            "typing_extensions.Optional",
        ):
            return self.annotation(expr.slice)
        if isinstance(expr, ast.Subscript):  # asyncio.Future[int]
            expr = expr.value
        return _ANNOTATION_KINDS.get(self.semantic.qualname(expr))

    # -- the cases ---------------------------------------------------------------------------------

    def _of(self, expr: ast.expr) -> Optional[str]:
        if isinstance(expr, ast.Call):
            return self._call(expr)
        if isinstance(expr, ast.Name):
            found = [b for b in self.semantic.bindings_of(expr) if not b.fallback]
            # ``def f(loop=None): if loop is None: loop = asyncio.get_event_loop()``: the parameter's
            # default stands for "pick the usual one", which another binding of the name does
            return self._agree(["none" if len(found) > 1 and _optional_param(b) else self._binding(b) for b in found])
        if isinstance(expr, ast.Attribute):
            return self._attribute(expr)
        if isinstance(expr, ast.NamedExpr):
            return self.of(expr.value)
        if isinstance(expr, ast.BoolOp) and isinstance(expr.op, ast.Or):  # ``loop or asyncio.get_event_loop()``
            return self._agree([self._or_operand(v) for v in expr.values])
        return None

    def _or_operand(self, expr: ast.expr) -> Optional[str]:
        if isinstance(expr, ast.Name):
            found = [b for b in self.semantic.bindings_of(expr) if not b.fallback]
            if len(found) == 1 and _optional_param(found[0]):
                return "none"
        return self._value(expr)

    def _in_thread(self, node: ast.AST) -> bool:
        return self.flow is not None and self.flow.in_thread(node)

    def _call(self, call: ast.Call) -> Optional[str]:
        qual = self.semantic.qualname(call.func)
        if qual in LOOP_FACTORIES:
            return None if self._in_thread(call) else LOOP
        kind = _CALL_KINDS.get(qual)
        if kind is not None:
            explicit_loop = any(k.arg == "loop" for k in call.keywords)
            if kind in _CURRENT_LOOP_KINDS and self._in_thread(call) and not explicit_loop:
                return None
            return kind
        returns = self._returns(call.func)
        if returns is not None:
            return returns
        if isinstance(call.func, ast.Attribute):
            receiver = self.of(call.func.value)
            return _METHOD_KINDS.get((receiver, call.func.attr)) if receiver else None
        return None

    def _returns(self, func: ast.expr) -> Optional[str]:
        """The kind the return annotation of the module's own function or ``self`` method promises."""
        if isinstance(func, ast.Name):
            target = self.semantic.definition(func)
        elif isinstance(func, ast.Attribute):
            owner = instance_class(self.semantic, func.value) or self.class_of(func.value)
            target = _method(owner, func.attr) if owner is not None else None
        else:
            return None
        if isinstance(target, ast.FunctionDef) and not target.decorator_list:
            return self.annotation(target.returns)
        return None

    def _binding(self, binding: Binding) -> Optional[str]:
        if binding.kind in (ASSIGNMENT, WALRUS) and binding.value is not None:
            return self._value(binding.value)
        if binding.kind == WITH and binding.value is not None:
            kind = self.of(binding.value)  # only an executor's __enter__ is known to return itself
            return kind if kind in (EXECUTOR, PEXECUTOR) else None
        if binding.kind == ANNOTATION:
            return self.annotation(binding.annotation) or "none"  # gives no value itself
        if binding.kind == PARAMETER:
            return self._param(binding)
        return None

    def _param(self, param: Binding) -> Optional[str]:
        declared = self.annotation(param.annotation)
        if declared is not None or self.flow is None:
            return declared
        func = param.stmt  # the def or lambda
        calls = self.flow.invocations(func) if func is not None else None
        if not calls:
            return None
        return self._agree([self._value(invocation.argument(func, param.name)) for invocation in calls])

    def _value(self, expr: Optional[ast.expr]) -> Optional[str]:
        if expr is None:
            return None
        return "none" if _is_none(expr) else self.of(expr)

    def _attribute(self, attr: ast.Attribute) -> Optional[str]:
        owner = instance_class(self.semantic, attr.value) or self.class_of(attr.value)
        return self.attribute_kind(owner, attr.attr) if owner is not None else None

    def _attribute_kind(self, owner: ast.ClassDef, name: str) -> Optional[str]:
        kinds = []
        for stmt in owner.body:
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.target.id == name:
                kinds.append(self.annotation(stmt.annotation))
        for method in _methods(owner):
            me = _self_name(method)
            for node in ast.walk(method):
                for target, value in _attribute_writes(node):
                    if isinstance(target.value, ast.Name) and target.value.id == me and target.attr == name:
                        kinds.append(self._value(value))
        return self._agree(kinds)

    def bindings_kind(self, bindings: list[Binding]) -> Optional[str]:
        """The one kind a name's bindings in a scope give."""
        return self._agree([self._binding(b) for b in bindings if not b.fallback])

    def attributes(self, owner: ast.ClassDef) -> list[str]:
        """The attributes the class's methods assign on their instance, in order of first assignment."""
        names: dict[str, None] = {}
        for method in _methods(owner):
            me = _self_name(method)
            for node in ast.walk(method):
                for target, _ in _attribute_writes(node):
                    if isinstance(target.value, ast.Name) and target.value.id == me:
                        names[target.attr] = None
        return list(names)

    def attribute_kind(self, owner: ast.ClassDef, name: str) -> Optional[str]:
        key = (id(owner), name)
        if key not in self._attr_cache:
            self._attr_cache[key] = None  # a cycle through this attribute knows nothing
            self._attr_cache[key] = self._attribute_kind(owner, name)
        return self._attr_cache[key]

    def class_of(self, expr: ast.expr) -> Optional[ast.ClassDef]:
        """The module's own class ``expr`` is an instance of, when the code shows it: ``C(...)``, a
        parameter annotated ``C``, a name or ``self`` attribute every assignment of which gives one.
        (A small part of what the semantic model's ``types`` will hold; kept here until it does.)"""
        key = id(expr)
        if key in self._active or len(self._active) > _MAX_DEPTH:
            return None
        self._active.add(key)
        try:
            return self._class_of(expr)
        finally:
            self._active.discard(key)

    def _class_of(self, expr: ast.expr) -> Optional[ast.ClassDef]:
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name):
            found = self.semantic.definition(expr.func)
            return found if isinstance(found, ast.ClassDef) else None
        values: list[Optional[ast.expr]] = []
        if isinstance(expr, ast.Name):
            for b in self.semantic.bindings_of(expr):
                if b.kind == PARAMETER and b.annotation is not None:
                    return self._annotated_class(b.annotation)
                values.append(b.value if b.kind in (ASSIGNMENT, WALRUS) else None)
        elif isinstance(expr, ast.Attribute):
            owner = instance_class(self.semantic, expr.value)
            if owner is None:
                return None
            values = [value for method in _methods(owner) for node in ast.walk(method)
                      for target, value in _attribute_writes(node)
                      if isinstance(target.value, ast.Name) and target.value.id == _self_name(method)
                      and target.attr == expr.attr and not _is_none(value or ast.Constant(0))]
        classes = [self.class_of(v) if v is not None else None for v in values]
        if not classes or any(c is None for c in classes) or len({id(c) for c in classes}) != 1:
            return None
        return classes[0]

    def _annotated_class(self, ann: ast.expr) -> Optional[ast.ClassDef]:
        if isinstance(ann, ast.Constant) and isinstance(ann.value, str):  # "Connection": a module-level class
            found = [c for c in self.semantic.nodes(ast.ClassDef)
                     if c.name == ann.value and isinstance(self.semantic.parent(c), ast.Module)]
            return found[0] if len(found) == 1 else None
        found = self.semantic.definition(ann) if isinstance(ann, ast.Name) else None
        return found if isinstance(found, ast.ClassDef) else None

    @staticmethod
    def _agree(kinds: list[Optional[str]]) -> Optional[str]:
        """The one kind all bindings give (``None`` constants aside), else unknown."""
        real = [k for k in kinds if k != "none"]
        if not real or any(k is None for k in real) or len(set(real)) != 1:
            return None
        return real[0]


def instance_class(semantic: SemanticModel, expr: ast.expr) -> Optional[ast.ClassDef]:
    """The class whose instance ``expr`` is, when it is a method's ``self``."""
    if not isinstance(expr, ast.Name):
        return None
    found = [b for b in semantic.bindings_of(expr) if not b.fallback]
    if len(found) != 1 or found[0].kind != PARAMETER:
        return None
    method = found[0].stmt
    if not isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)) or _self_name(method) != expr.id:
        return None
    owner = semantic.scope_of(method).node
    return owner if isinstance(owner, ast.ClassDef) else None


def _method(owner: ast.ClassDef, name: str) -> Optional[ast.FunctionDef | ast.AsyncFunctionDef]:
    """The class's method ``name``, when the class body defines it once."""
    found = [m for m in _methods(owner) if m.name == name]
    return found[0] if len(found) == 1 else None


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


def _methods(cls: ast.ClassDef) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    return [s for s in cls.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))]


def _self_name(method: ast.FunctionDef | ast.AsyncFunctionDef) -> Optional[str]:
    """The name of a method's instance parameter (None for static and class methods)."""
    for deco in method.decorator_list:
        if isinstance(deco, ast.Name) and deco.id in ("staticmethod", "classmethod"):
            return None
    params = [*method.args.posonlyargs, *method.args.args]
    return params[0].arg if params else None


def _attribute_writes(node: ast.AST):
    """(target, value) for each attribute a statement writes; value None when it is not one value."""
    if isinstance(node, ast.Assign):
        for target in node.targets:
            if isinstance(target, ast.Attribute):
                yield target, node.value
            elif isinstance(target, (ast.Tuple, ast.List)):
                for elt in ast.walk(target):
                    if isinstance(elt, ast.Attribute):
                        yield elt, None
    elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Attribute):
        if node.value is not None:
            yield node.target, node.value
    elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Attribute):
        yield node.target, None
    elif isinstance(node, (ast.For, ast.AsyncFor, ast.With, ast.AsyncWith, ast.Delete)):
        targets = [node.target] if isinstance(node, (ast.For, ast.AsyncFor)) else (
            node.targets if isinstance(node, ast.Delete) else [i.optional_vars for i in node.items if i.optional_vars]
        )
        for target in targets:
            for elt in ast.walk(target):
                if isinstance(elt, ast.Attribute):
                    yield elt, None
