"""Recognising asyncio task expressions in the ``ast``: "every task", "the current task", event loops,
and statements that cancel every task.

A *cancel-all* statement is ``for t in <tasks>: t.cancel()`` (or ``[t.cancel() for t in <tasks>]``)
where ``<tasks>`` is ``asyncio.all_tasks(...)`` (or the removed ``asyncio.Task.all_tasks(...)``),
possibly wrapped in ``list``/``set``/``tuple``, filtered in a comprehension, minus the current task, or
a variable bound once to such an expression. Filters are understood only when they leave out the
current task or tasks already done; any other filter makes the cancel *incomplete* (some tasks are
not cancelled, so draining the whole set could wait forever).
"""
from __future__ import annotations

import ast
from dataclasses import dataclass

from asyncmend.semantic import SemanticModel

from .flow import Scope, start

ALL_TASKS = {"asyncio.all_tasks", "asyncio.tasks.all_tasks"}
CURRENT_TASK = {"asyncio.current_task", "asyncio.tasks.current_task"}
REMOVED = {
    "asyncio.Task.all_tasks": "all_tasks",
    "asyncio.tasks.Task.all_tasks": "all_tasks",
    "asyncio.Task.current_task": "current_task",
    "asyncio.tasks.Task.current_task": "current_task",
}
LOOP_FACTORIES = {
    f"asyncio.{module}{name}"
    for module in ("", "events.")
    for name in ("get_event_loop", "new_event_loop", "get_running_loop")
}
_WRAPPERS = {"list": "list", "set": "set", "tuple": "tuple"}


@dataclass
class TaskSet:
    """An expression for "every task" (of ``loop``, or of the default loop when ``loop`` is None)."""

    expr: ast.expr
    call: ast.Call  # the all_tasks call inside
    loop: ast.expr | None
    kind: str  # "set", "list", "tuple" or "generator": what iterating it twice gives
    excludes_current: bool
    inner: ast.expr  # ``expr`` without a list/set/tuple wrapper


@dataclass
class CancelAll:
    stmt: ast.stmt
    target: str
    iter: ast.expr
    tasks: TaskSet
    via: str | None  # the variable iterated, when not the expression itself
    assign: ast.Assign | None
    excludes_current: bool  # the current task is left out, by the set or by the loop's condition
    complete: bool  # every task of the set (but the current one) is cancelled
    helper: str | None = None  # the function of this file that does the cancel, when ``stmt`` calls it


class TaskExprs:
    """Questions about one file's asyncio expressions, answered within a scope."""

    def __init__(self, semantic: SemanticModel):
        self.semantic = semantic

    def qual(self, expr: ast.expr) -> str | None:
        return self.semantic.qualname(expr)

    def is_call_to(self, expr: ast.AST, quals) -> bool:
        return isinstance(expr, ast.Call) and self.qual(expr.func) in quals

    def is_all_tasks(self, call: ast.AST) -> bool:
        return self.is_call_to(call, ALL_TASKS) or (
            self.is_call_to(call, REMOVED) and REMOVED[self.qual(call.func)] == "all_tasks"
        )

    def is_current_task(self, expr: ast.AST, scope: Scope) -> bool:
        if isinstance(expr, ast.Call):
            qual = self.qual(expr.func)
            return qual in CURRENT_TASK or REMOVED.get(qual or "") == "current_task"
        if isinstance(expr, ast.Name):
            value = single_assignment(scope, expr.id)
            return value is not None and self.is_current_task(value, scope)
        return False

    def is_loop(self, expr: ast.expr, scope: Scope) -> bool:
        """A plausible event loop: named ``*loop*``, or got from asyncio's loop functions."""
        if isinstance(expr, ast.Attribute):
            return "loop" in expr.attr.lower()
        if isinstance(expr, ast.Call):
            return self.is_call_to(expr, LOOP_FACTORIES)
        if isinstance(expr, ast.Name):
            if "loop" in expr.id.lower():
                return True
            value = single_assignment(scope, expr.id)
            return value is not None and self.is_call_to(value, LOOP_FACTORIES)
        return False

    def loop_in_reach(self, scope: Scope, module: Scope, at: ast.AST) -> str | None:
        """A name holding the event loop where ``at`` runs: a ``loop`` parameter, or a variable set
        (before ``at``) only from ``asyncio.get_event_loop()``/``new_event_loop()``/``get_running_loop()``
        in this scope or, when this scope does not bind it, at module level."""
        if "loop" in scope.params:
            return "loop"
        attribute = self._loop_attribute(scope, at)
        if attribute is not None:
            return attribute
        for owner in (scope, module):
            for name, stores in sorted(owner.stores.items(), key=lambda kv: "loop" not in kv[0]):
                if owner is module and scope is not module and name in scope.stores:
                    continue
                if all(
                    isinstance(s, ast.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name)
                    and self.is_call_to(s.value, LOOP_FACTORIES)
                    for s in stores
                ) and (owner is not scope or start(stores[0]) < start(at)):
                    return name
        return None

    def _loop_attribute(self, scope: Scope, at: ast.AST) -> str | None:
        """``self.loop`` when this scope sets it, before ``at`` and only there, from a loop function."""
        found: dict[str, list[ast.Assign]] = {}
        for stmt in scope.statements:
            if isinstance(stmt, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
                for target in getattr(stmt, "targets", None) or [stmt.target]:
                    if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
                        found.setdefault(f"{target.value.id}.{target.attr}", []).append(stmt)
        for dotted, stmts in found.items():
            only = stmts[0]
            if len(stmts) == 1 and isinstance(only, ast.Assign) and len(only.targets) == 1:
                if self.is_call_to(only.value, LOOP_FACTORIES) and start(only) < start(at):
                    return dotted
        return None

    def task_set(self, expr: ast.expr, scope: Scope) -> TaskSet | None:
        if isinstance(expr, ast.Call):
            if self.is_all_tasks(expr):
                loop = expr.args[0] if expr.args else next(
                    (k.value for k in expr.keywords if k.arg == "loop"), None
                )
                return TaskSet(expr, expr, loop, "set", False, expr)
            for name, kind in _WRAPPERS.items():
                if self.semantic.is_builtin(expr.func, name) and len(expr.args) == 1 and not expr.keywords:
                    inner = self.task_set(expr.args[0], scope)
                    if inner is not None:
                        return TaskSet(expr, inner.call, inner.loop, kind, inner.excludes_current, inner.expr)
            return None
        if isinstance(expr, (ast.ListComp, ast.SetComp, ast.GeneratorExp)) and len(expr.generators) == 1:
            gen = expr.generators[0]
            if gen.is_async or not isinstance(gen.target, ast.Name):
                return None
            if not (isinstance(expr.elt, ast.Name) and expr.elt.id == gen.target.id):
                return None
            inner = self.task_set(gen.iter, scope)
            filters = [self.condition(c, gen.target.id, scope) for c in gen.ifs]
            if inner is None or None in filters:
                return None
            kind = {ast.ListComp: "list", ast.SetComp: "set", ast.GeneratorExp: "generator"}[type(expr)]
            excludes = inner.excludes_current or any("current" in f for f in filters)
            return TaskSet(expr, inner.call, inner.loop, kind, excludes, expr)
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Sub):
            inner = self.task_set(expr.left, scope)
            right = expr.right
            if inner is not None and isinstance(right, ast.Set) and len(right.elts) == 1:
                if self.is_current_task(right.elts[0], scope):
                    return TaskSet(expr, inner.call, inner.loop, "set", True, expr)
        return None

    def condition(self, test: ast.expr, target: str, scope: Scope) -> set[str] | None:
        """What a filter on ``target`` leaves out: {"current"}, {"done"}, both, or None if unknown."""
        if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
            parts = [self.condition(v, target, scope) for v in test.values]
            return None if None in parts else set().union(*parts)
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) and _is_method_call(test.operand, target, "done"):
            return {"done"}
        if self._compares_to_current(test, target, scope, (ast.IsNot, ast.NotEq)):
            return {"current"}
        return None

    def cancel_all(self, stmt: ast.stmt, scope: Scope) -> CancelAll | None:
        if isinstance(stmt, ast.For) and isinstance(stmt.target, ast.Name) and not stmt.orelse:
            target, iter_ = stmt.target.id, stmt.iter
            if not any(_is_method_call(n, target, "cancel") for n in ast.walk(stmt)):
                return None
            left_out = self._cancel_body(stmt.body, target, scope)
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, (ast.ListComp, ast.SetComp)):
            comp = stmt.value
            gen = comp.generators[0]
            if len(comp.generators) != 1 or gen.is_async or not isinstance(gen.target, ast.Name):
                return None
            target, iter_ = gen.target.id, gen.iter
            if not _is_method_call(comp.elt, target, "cancel"):
                return None
            parts = [self.condition(c, target, scope) for c in gen.ifs]
            left_out = None if None in parts else set().union(set(), *parts)
        else:
            return None
        via, assign, tasks = None, None, self.task_set(iter_, scope)
        if tasks is None and isinstance(iter_, ast.Name):
            assign = _single_assign_stmt(scope, iter_.id)
            if assign is not None and start(assign) < start(stmt):
                tasks = self.task_set(assign.value, scope)
                via = iter_.id
        if tasks is None:
            return None
        excludes = tasks.excludes_current or (left_out is not None and "current" in left_out)
        return CancelAll(stmt, target, iter_, tasks, via, assign, excludes, left_out is not None)

    def _cancel_body(self, body: list[ast.stmt], target: str, scope: Scope) -> set[str] | None:
        """What a for-loop body leaves uncancelled, if it has one of the plain shapes; else None."""
        left_out: set[str] = set()
        cancelled = False
        for stmt in body:
            if isinstance(stmt, ast.Expr) and _is_method_call(stmt.value, target, "cancel"):
                cancelled = True
            elif isinstance(stmt, ast.If) and not stmt.orelse and _skips(stmt.body):
                skip = self._skip_condition(stmt.test, target, scope)
                if skip is None or cancelled:
                    return None
                left_out |= skip
            elif isinstance(stmt, ast.If) and not stmt.orelse:
                cond = self.condition(stmt.test, target, scope)
                inner = self._cancel_body(stmt.body, target, scope)
                if cond is None or inner is None:
                    return None
                left_out |= cond | inner
                cancelled = True
            elif isinstance(stmt, ast.With) and all(self._is_suppress(item.context_expr) for item in stmt.items):
                inner = self._cancel_body(stmt.body, target, scope)
                if inner is None:
                    return None
                left_out |= inner
                cancelled = True
            elif not _is_plain_call(stmt, target):
                return None
        return left_out if cancelled else None

    def _is_suppress(self, expr: ast.expr) -> bool:
        return isinstance(expr, ast.Call) and self.qual(expr.func) == "contextlib.suppress"

    def _skip_condition(self, test: ast.expr, target: str, scope: Scope) -> set[str] | None:
        if _is_method_call(test, target, "done"):
            return {"done"}
        if self._compares_to_current(test, target, scope, (ast.Is, ast.Eq)):
            return {"current"}
        return None

    def _compares_to_current(self, test: ast.expr, target: str, scope: Scope, ops: tuple[type, ...]) -> bool:
        """``target <op> asyncio.current_task()`` (either way round) with one of ``ops``."""
        if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ops)):
            return False
        left, right = test.left, test.comparators[0]
        if isinstance(right, ast.Name) and right.id == target:
            left, right = right, left
        return isinstance(left, ast.Name) and left.id == target and self.is_current_task(right, scope)


def _is_method_call(node: ast.AST, target: str, method: str) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == method
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == target
    )


def _skips(body: list[ast.stmt]) -> bool:
    return len(body) == 1 and isinstance(body[0], ast.Continue)


def _is_plain_call(stmt: ast.stmt, target: str) -> bool:
    """A call statement beside the cancel (logging, print) that does not await or cancel."""
    if not isinstance(stmt, ast.Expr) or not isinstance(stmt.value, ast.Call):
        return False
    func = stmt.value.func
    if isinstance(func, ast.Attribute) and func.attr in ("cancel", "stop", "close", "uncancel"):
        return False
    return not any(isinstance(n, (ast.Await, ast.Yield, ast.YieldFrom, ast.NamedExpr)) for n in ast.walk(stmt))


def _single_assign_stmt(scope: Scope, name: str) -> ast.Assign | None:
    stores = scope.stores.get(name, [])
    if len(stores) != 1 or not isinstance(stores[0], ast.Assign):
        return None
    stmt = stores[0]
    if len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Name):
        return None
    return stmt


def single_assignment(scope: Scope, name: str) -> ast.expr | None:
    """The value of the one plain assignment that binds ``name`` in ``scope``, if that is all."""
    stmt = _single_assign_stmt(scope, name)
    return stmt.value if stmt is not None else None
