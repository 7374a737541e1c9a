"""AM201 cancel-without-drain: every task cancelled, then the loop stopped or closed before they ran."""
from __future__ import annotations

import ast
import re

from asyncmend.model import Finding, Rule
from asyncmend.semantic import dotted

from ..astwalk import yields
from .cancels import REMOVED, CancelAll, TaskSet
from .drainfile import SHUTDOWNS, DrainFile, method_call, same
from .flow import Scope, end, start


RULE = Rule(
    code="AM201",
    name="cancel-without-drain",
    summary="Tasks are cancelled but not given a turn to finish before `{action}`",
    fix_safety="sometimes",
    doc="""\
## What it does
Finds code that cancels every task and then stops or closes the event loop without running it until
the cancelled tasks have finished:

1. a callback cancels every task (and calls `loop.stop()`), and after `loop.run_forever()` or
   `loop.run_until_complete(...)` returns the loop is closed; a callback is a plain function that
   stops the loop after cancelling, or one handed to `add_signal_handler`, `call_soon`,
   `call_later`, `call_at` or `signal.signal`;
2. code that ran the loop (or a helper that closes it) cancels every task and then closes the loop;
3. an `except KeyboardInterrupt:` (or any handler or code after the loop ran) cancels every task and
   calls `loop.stop()` on a loop that is no longer running;
4. a coroutine cancels every task, itself included, and then calls `loop.stop()`.

"Every task" is `asyncio.all_tasks(...)` (or the removed `asyncio.Task.all_tasks(...)`), directly, in
`list`/`set`/`tuple`, filtered in a comprehension, or through a variable bound once to it. A call of a
function of the same file that cancels every task (and neither waits nor stops afterwards), or of a
function that calls such a helper, counts as the cancel itself, with the helper's `loop` parameter
standing for the argument the call passes. In a coroutine (shape 4) such a call gets a fix only when
the helper is a plain function that leaves the current task out: the fix takes the set just before
the call and awaits it before `stop()`.

## Why is this bad?
`task.cancel()` only *asks* a task to stop: the `CancelledError` is raised inside the task the next
time the loop runs it. Stopped or closed before that, the loop never runs the tasks' `except
CancelledError:` and `finally:` blocks: connections are not closed, buffers are not flushed, and
Python reports `Task was destroyed but it is pending!`.

## Example
```python
def shutdown(loop):
    for task in asyncio.all_tasks(loop):
        task.cancel()
    loop.stop()

loop.add_signal_handler(signal.SIGTERM, shutdown, loop)
try:
    loop.run_forever()
finally:
    loop.close()
```

## Use instead
```python
try:
    loop.run_forever()
finally:
    pending = asyncio.all_tasks(loop)
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.close()
```
Straight-line code keeps the set it cancelled and drains it before `close()` (replacing a useless
`stop()` on a loop that is not running); a shutdown coroutine leaves `asyncio.current_task()` out of
the set and awaits `asyncio.gather(*tasks, return_exceptions=True)` before `loop.stop()`. Where the
file has async generators, `loop.run_until_complete(loop.shutdown_asyncgens())` is added before
`close()` unless the code already calls it, as `asyncio.run` does. New variable names are free in
their scope: not used there, nor by functions nested in it (at module level: not read as a global
anywhere).

Code that already runs the loop (or awaits) after cancelling is not reported: `gather` with
`return_exceptions`, `asyncio.wait`, awaiting or `run_until_complete` on each task, or a helper that
is handed the loop. Cancelling one task and awaiting it is never reported.

## Fix safety
Safe for shapes 2, 3 and 4: the fix drains exactly the tasks the code itself cancelled, at the point
where it cancelled them, so the only change is that their cleanup now runs (a task that swallows
`CancelledError` and keeps running is waited for, as `asyncio.run` would). Unsafe for shape 1 (when
the callback stops the loop right after cancelling, so no task has had its turn yet): before
`close()` the fix cancels and drains whatever is still pending, which also happens on paths that
never ran the cancelling callback (a `KeyboardInterrupt`, another `stop()`, the main coroutine
returning), where tasks used to be abandoned; that is what `asyncio.run` does, but it is new
behaviour there. A callback that cancels without stopping the loop is reported without a fix: its
tasks may be half-way through their cleanup when the loop is closed, and cancelling them again would
cut it short. Cancels that filter the set in other ways (some tasks are left running) are
reported without a fix, since draining the whole set could wait forever.

## References
- [asyncio: Task Cancellation](https://docs.python.org/3/library/asyncio-task.html#task-cancellation)
- [asyncio.run() source: `_cancel_all_tasks`](https://github.com/python/cpython/blob/main/Lib/asyncio/runners.py)
- [loop.shutdown_asyncgens()](https://docs.python.org/3/library/asyncio-eventloop.html#asyncio.loop.shutdown_asyncgens)
""",
)


_SCHEDULERS = ("add_signal_handler", "call_soon", "call_soon_threadsafe", "call_later", "call_at")


def wanted(text: str) -> bool:
    """A quick test of the file's text: whether ``find`` may report anything."""
    return "all_tasks" in text and ".cancel(" in text and (".stop(" in text or ".close(" in text)


def find(file: DrainFile) -> list[Finding]:
    return _Shapes(file).find()


class _Shapes:
    """The four shapes, judged one cancel-all statement at a time."""

    def __init__(self, file: DrainFile):
        self.file = file
        self.claimed: set[int] = set()  # stop() statements a fix already drains before
        self.helpers = _cancel_helpers(file)

    def _cancel_at(self, stmt: ast.stmt, scope: Scope) -> CancelAll | None:
        """A cancel-all statement, or a call of a helper of this file that cancels every task."""
        return self.file.exprs.cancel_all(stmt, scope) or _helper_call(self.file, self.helpers, stmt, scope)

    def find(self) -> list[Finding]:
        found: list[Finding] = []
        callbacks: set[str] = set()  # "stop" and/or "registered": how the cancelling callbacks look
        for scope in self.file.scopes:
            for stmt in scope.statements:
                cancel = self._cancel_at(stmt, scope)
                if cancel is None:
                    continue
                if scope.is_async:
                    finding = self._stopping_coroutine(scope, cancel)
                else:
                    finding = self._after_run(scope, cancel)
                    if finding is None:
                        callbacks.add(self._cancelling_callback(scope, cancel))
                if finding is not None:
                    found.append(finding)
        callbacks.discard(None)
        if callbacks:
            found.extend(self._closed_after_run(callbacks))
        return found

    def _cancel_span(self, cancel: CancelAll) -> ast.AST:
        return cancel.iter if isinstance(cancel.stmt, ast.For) else cancel.stmt

    def _stop_after(self, scope: Scope, stmt: ast.stmt, is_loop) -> ast.Expr | None:
        """The first ``<loop>.stop()`` statement after ``stmt`` in the same block."""
        block, index = scope.block_of(stmt)
        for later in block[index + 1:]:
            if isinstance(later, ast.Expr) and method_call(later.value, "stop") and not later.value.args:
                if is_loop(later.value.func.value):
                    return later
        return None

    def _effective_loop(self, scope: Scope, cancel: CancelAll) -> ast.expr | None:
        """The loop whose tasks a synchronous cancel-all takes."""
        if cancel.tasks.loop is not None:
            return cancel.tasks.loop
        if REMOVED.get(self.file.exprs.qual(cancel.tasks.call.func) or ""):
            name = self.file.exprs.loop_in_reach(scope, self.file.module, cancel.tasks.call)
            return ast.parse(name, mode="eval").body if name else None
        return None

    def _cancelling_callback(self, scope: Scope, cancel: CancelAll) -> str | None:
        """Shape 1: a plain function, run by the loop, that cancels every task.

        "stop" when it then calls ``<loop>.stop()``: the loop stops before any cancelled task had a
        turn. "registered" when it does not stop the loop but is handed to ``add_signal_handler``,
        ``call_soon``, ``call_later``, ``call_at`` or ``signal.signal``: the tasks may be in the middle
        of their cleanup when the loop is closed, and no fix can tell them from tasks never cancelled.
        """
        if not isinstance(scope.node, ast.FunctionDef):
            return None
        if any(method_call(c, "run_forever", "run_until_complete") for c in scope.calls):
            return None
        stop = self._stop_after(scope, cancel.stmt, lambda e: self.file.exprs.is_loop(e, scope))
        if self.file.drains(scope, start(cancel.stmt), start(stop) if stop else None, None):
            return None
        if stop is not None:
            return "stop"
        return "registered" if self._is_registered(scope.node.name) else None

    def _is_registered(self, name: str) -> bool:
        for scope in self.file.scopes:
            for call in scope.calls:
                if not (method_call(call, *_SCHEDULERS) or self.file.exprs.qual(call.func) == "signal.signal"):
                    continue
                for arg in call.args:
                    if isinstance(arg, ast.Lambda) and isinstance(arg.body, ast.Call):
                        arg = arg.body.func
                    if isinstance(arg, ast.Name) and arg.id == name:
                        return True
        return False

    def _after_run(self, scope: Scope, cancel: CancelAll) -> Finding | None:
        """Shapes 2 and 3: a cancel-all on a loop that is not running, then ``close()`` or a useless
        ``stop()``. Not running: the code ran it before (it has returned), or closes it afterwards
        with no run in between (``close()`` refuses a running loop)."""
        loop = self._effective_loop(scope, cancel)
        if loop is None or dotted(loop) is None:
            return None
        runs = [
            c for c in scope.calls
            if method_call(c, "run_forever", "run_until_complete") and same(c.func.value, loop)
        ]
        for outer in scope.enclosing(cancel.stmt):
            if isinstance(outer, (ast.For, ast.While)) and any(
                outer in scope.enclosing(scope.owner[id(c)]) for c in runs
            ):
                return None  # the next round runs the loop again
        if self.file.drains(scope, start(cancel.stmt), None, loop):
            return None
        close = next(
            (
                s for s in scope.statements
                if isinstance(s, ast.Expr) and method_call(s.value, "close") and not s.value.args
                and same(s.value.func.value, loop) and scope.follows(cancel.stmt, s)
            ),
            None,
        )
        ran = any(scope.follows(scope.owner[id(c)], cancel.stmt) for c in runs)
        if not ran and close is None:
            return None
        stop = self._stop_after(scope, cancel.stmt, lambda e: same(e, loop))
        loop_text = self.file.text(loop) if cancel.tasks.loop is not None else ast.unparse(loop)
        action = f"{loop_text}.stop()" if stop is not None else f"{loop_text}.close()"
        message = RULE.summary.format(action=action)
        span = self._cancel_span(cancel)
        if not cancel.complete or self.file.asyncio is None or not self._claim(stop):
            return self.file.finding(RULE, cancel.stmt, span, message, None)
        aio = self.file.asyncio[0]
        code = []
        if cancel.via and cancel.tasks.kind != "generator":
            tasks = cancel.via
        else:
            tasks = self.file.semantic.free("pending", "pending_tasks", scope=scope.node)
            code.append(f"{tasks} = {aio}.all_tasks({loop_text})")
        code.append(
            f"if {tasks}:\n    {loop_text}.run_until_complete({aio}.gather(*{tasks}, return_exceptions=True))"
        )
        if close is not None and self._wants_asyncgens(scope):
            code.append(f"{loop_text}.run_until_complete({loop_text}.shutdown_asyncgens())")
        if stop is not None:
            edit = self.file.statement_edit("replace", stop, code)
        else:
            edit = self.file.statement_edit("after", cancel.stmt, code)
        return self.file.finding(RULE, cancel.stmt, span, message, self.file.fix("safe", [edit]))

    def _claim(self, stop: ast.stmt | None) -> bool:
        """Whether no other fix drains before this ``stop()`` yet (two cancels, one stop: one fix)."""
        if stop is None:
            return True
        if id(stop) in self.claimed:
            return False
        self.claimed.add(id(stop))
        return True

    def _wants_asyncgens(self, scope: Scope) -> bool:
        """The file has async generators and this scope never shuts them down."""
        if not _has_async_generators(self.file.src.tree):
            return False
        return not any(method_call(c, "shutdown_asyncgens") for c in scope.calls)

    def _closed_after_run(self, callbacks: set[str]) -> list[Finding]:
        """Shape 1: the loop ran while a callback cancelled every task, then ``close()`` with no drain.

        A callback that stops the loop ends ``run_forever()``: those runs get a fix. A callback that
        only cancels may fire during any run: such runs are reported without one.
        """
        found = []
        for scope in self.file.scopes:
            if scope.is_async:
                continue
            for stmt in scope.statements:
                if not (isinstance(stmt, ast.Expr) and method_call(stmt.value, "close") and not stmt.value.args):
                    continue
                loop = stmt.value.func.value
                if dotted(loop) is None:
                    continue
                runs = [
                    c for c in scope.calls
                    if method_call(c, "run_forever", "run_until_complete") and same(c.func.value, loop)
                    and not (c.args and method_call(c.args[0], *SHUTDOWNS))
                    and scope.follows(scope.owner[id(c)], stmt)
                ]
                if not runs:
                    continue
                # the callback fires during run_forever(); without one, during the first run (a later
                # run_until_complete() already drains what it cancelled)
                forever = [c for c in runs if method_call(c, "run_forever")]
                if not forever and "registered" not in callbacks:
                    continue
                run = max(forever, key=start) if forever else min(runs, key=start)
                if self.file.drains(scope, end(run), start(stmt), loop):
                    continue
                if any(
                    end(run) < start(s) < start(stmt) and self._cancel_at(s, scope) is not None
                    for s in scope.statements
                ):
                    continue  # a cancel between them is judged on its own (shapes 2 and 3)
                fixable = bool(forever) and "stop" in callbacks
                found.append(self._drain_before_close(scope, stmt, loop, fixable))
        return found

    def _drain_before_close(self, scope: Scope, close: ast.Expr, loop: ast.expr, fixable: bool) -> Finding:
        loop_text = self.file.text(loop)
        message = RULE.summary.format(action=f"{loop_text}.close()")
        if self.file.asyncio is None or not fixable:
            return self.file.finding(RULE, close, close, message, None)
        then = []
        if self._wants_asyncgens(scope):
            then.append(f"{loop_text}.run_until_complete({loop_text}.shutdown_asyncgens())")
        fix = self.file.fix("unsafe", [self.file.drain_before_close(scope, close, loop, then)])
        return self.file.finding(RULE, close, close, message, fix)

    def _stopping_coroutine(self, scope: Scope, cancel: CancelAll) -> Finding | None:
        """Shape 4: a coroutine cancels every task (itself too) and stops the loop without waiting."""
        stop = self._stop_after(scope, cancel.stmt, lambda e: self.file.exprs.is_loop(e, scope))
        if stop is None or scope.awaits_between(start(cancel.stmt), start(stop)):
            return None
        block, index = scope.block_of(stop)
        if any(scope.awaits_between(start(s), end(s)) for s in block[index + 1:]):
            return None  # awaits after stop(): not a shape we understand
        message = RULE.summary.format(action=f"{self.file.text(stop.value.func.value)}.stop()")
        span = self._cancel_span(cancel)
        tasks = cancel.tasks
        # a helper's cancel cannot be narrowed: it must leave this task out itself, and run at once
        # (a helper coroutine might await before it cancels, and tasks started then are not taken)
        helper_unclear = cancel.helper is not None and (
            not cancel.excludes_current or isinstance(cancel.stmt.value, ast.Await)
        )
        unclear = not cancel.complete or (cancel.via and tasks.kind == "generator") or helper_unclear
        # another cancel might hit this very task, which must live on to await the gather
        unclear = unclear or any(method_call(c, "cancel") for c in scope.calls_between(end(cancel.stmt), start(stop)))
        unclear = unclear or any(
            other is not cancel.stmt and start(other) < start(stop) and self._cancel_at(other, scope)
            for other in scope.statements
        )
        if unclear or self.file.asyncio is None or not self._claim(stop):
            return self.file.finding(RULE, cancel.stmt, span, message, None)
        aio = self.file.asyncio[0]
        edits = []
        if cancel.helper is not None:
            # the set the helper is about to cancel, taken just before it runs
            name = self.file.semantic.free("tasks", "cancelled_tasks", "pending_tasks", scope=scope.node)
            loop = self.file.text(tasks.loop) if tasks.loop is not None else ""
            var = next(v for v in ("t", "task") if v != aio and v not in loop)
            value = f"[{var} for {var} in {aio}.all_tasks({loop}) if {var} is not {aio}.current_task()]"
            edits.append(self.file.statement_edit("before", cancel.stmt, [f"{name} = {value}"]))
        elif cancel.via:
            name = cancel.via
            if not tasks.excludes_current:
                edits.append(self.file.expression_edit(cancel.assign.value, self._without_current(tasks, tasks.kind)))
        else:
            name = self.file.semantic.free("tasks", "cancelled_tasks", "pending_tasks", scope=scope.node)
            if not tasks.excludes_current:
                value = self._without_current(tasks, "list")
            elif tasks.kind == "generator":
                value = f"list({self.file.text(tasks.expr, fixed=True)})"
            else:
                value = self.file.text(tasks.expr, fixed=True)
            edits.append(self.file.statement_edit("before", cancel.stmt, [f"{name} = {value}"]))
            edits.append(self.file.expression_edit(cancel.iter, name))
        edits.append(self.file.statement_edit("before", stop, [f"await {aio}.gather(*{name}, return_exceptions=True)"]))
        return self.file.finding(RULE, cancel.stmt, span, message, self.file.fix("safe", edits))

    def _without_current(self, tasks, kind: str) -> str:
        aio = self.file.asyncio[0]
        source = self.file.text(tasks.inner, fixed=True)
        var = next(v for v in ("t", "task", "t_", "task_") if not re.search(rf"\b{v}\b", source) and v != aio)
        body = f"{var} for {var} in {source} if {var} is not {aio}.current_task()"
        return {"set": f"{{{body}}}", "list": f"[{body}]", "tuple": f"tuple({body})"}.get(kind, f"[{body}]")


def _cancel_helpers(file: DrainFile) -> dict[int, CancelAll]:
    """Functions of this file that cancel every task and return without waiting, stopping or closing
    (by the id of their ``def``), with the cancel they make; helpers that call helpers too."""
    helpers: dict[int, CancelAll] = {}
    functions = [s for s in file.scopes if isinstance(s.node, (ast.FunctionDef, ast.AsyncFunctionDef))]
    for _ in range(3):  # a helper of a helper of a helper
        grown = False
        for scope in functions:
            if id(scope.node) in helpers:
                continue
            for stmt in scope.statements:
                cancel = file.exprs.cancel_all(stmt, scope) or _helper_call(file, helpers, stmt, scope)
                if cancel is None or not cancel.complete or scope.enclosing(stmt):
                    continue
                after = [c for c in scope.calls_between(end(stmt), None) if method_call(c, "stop", "close", "cancel")]
                if after or scope.awaits_between(end(stmt), None) or file.drains(scope, end(stmt), None, cancel.tasks.loop):
                    continue
                helpers[id(scope.node)] = cancel
                grown = True
                break
        if not grown:
            break
    return helpers


def _helper_call(file: DrainFile, helpers: dict[int, CancelAll], stmt: ast.stmt, scope: Scope) -> CancelAll | None:
    """``helper(...)`` (or ``await helper(...)``) as a statement, for a helper that cancels every task:
    the cancel it makes, seen from here (its ``loop`` parameter replaced by the argument given)."""
    if not helpers or not isinstance(stmt, ast.Expr):
        return None
    call = stmt.value.value if isinstance(stmt.value, ast.Await) else stmt.value
    if not isinstance(call, ast.Call):
        return None
    callee = file.callee(call, scope)
    inner = helpers.get(id(callee.node)) if callee is not None else None
    if inner is None or isinstance(stmt.value, ast.Await) != callee.is_async:
        return None
    loop = _argument_for(inner.tasks.loop, callee, call)
    if inner.tasks.loop is not None and loop is None:
        return None
    tasks = TaskSet(call, inner.tasks.call, loop, "set", inner.tasks.excludes_current, call)
    return CancelAll(stmt, "", call, tasks, None, None, inner.excludes_current, True, callee.node.name)


def _argument_for(expr: ast.expr | None, callee: Scope, call: ast.Call) -> ast.expr | None:
    """What ``expr`` of the callee (a parameter, or ``self.<attr>`` seen from a method of the same
    object) is at this call; None when the call does not show it."""
    if expr is None:
        return None
    if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name) and expr.value.id == "self":
        bound = isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name) and call.func.value.id == "self"
        return expr if bound else None
    if not isinstance(expr, ast.Name) or expr.id not in callee.params:
        return None
    for keyword in call.keywords:
        if keyword.arg == expr.id:
            return keyword.value
    a = callee.node.args
    positional = [p.arg for p in (*a.posonlyargs, *a.args)]
    if isinstance(call.func, ast.Attribute) and positional and positional[0] in ("self", "cls"):
        positional = positional[1:]
    if expr.id in positional and not any(isinstance(arg, ast.Starred) for arg in call.args):
        index = positional.index(expr.id)
        if index < len(call.args):
            return call.args[index]
    return None


def _has_async_generators(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.AsyncFor) or (isinstance(node, ast.comprehension) and node.is_async):
            return True
        if isinstance(node, ast.AsyncFunctionDef) and yields(node):
            return True
    return False
