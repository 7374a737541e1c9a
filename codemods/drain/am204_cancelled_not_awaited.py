"""AM204 cancelled-not-awaited: a coroutine cancels tasks it started and returns without awaiting them."""
from __future__ import annotations

import ast

from asyncmend.model import Finding, Rule

from ..astwalk import is_name, yields
from .drainfile import DrainFile, method_call
from .flow import Scope, end, start
from .spawns import Spawns

RULE = Rule(
    code="AM204",
    name="cancelled-not-awaited",
    summary="`{tasks}` is cancelled but never awaited",
    fix_safety="sometimes",
    doc="""\
## What it does
Finds a coroutine that cancels tasks and then returns (or raises) without awaiting them: in
`finally:`, in an `async def close()`/`stop()`, or after
`done, pending = await asyncio.wait(..., return_when=FIRST_COMPLETED)`. The tasks are ones the code
shows to be tasks: a variable bound only to `asyncio.create_task(...)`/`ensure_future(...)`/
`loop.create_task(...)` (or to a list of them), an attribute that every assignment in the file sets to
such a task (or `None`), or the `pending` set that `asyncio.wait` returns.

## Why is this bad?
`task.cancel()` only asks the task to stop; its `except CancelledError:` and `finally:` blocks run the
next time the loop runs it. Returning right away means nobody waits for that cleanup: an exception it
raises is never retrieved, the caller goes on while the connection is still open, and when the loop
shuts down soon after (`asyncio.run` ends, the program exits) the cleanup is cancelled a second time
or dropped with `Task was destroyed but it is pending!`.

## Example
```python
async def first_answer(urls):
    tasks = [asyncio.create_task(fetch(url)) for url in urls]
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    return done.pop().result()
```

## Use instead
```python
async def first_answer(urls):
    tasks = [asyncio.create_task(fetch(url)) for url in urls]
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    return done.pop().result()
```
The fix awaits exactly the tasks that were cancelled (never the current task), right after the
cancel, with `return_exceptions=True` so their `CancelledError` (or a cleanup error) does not
replace what the coroutine returns or raises.

The rule stays silent when the code may wait for the tasks some other way: any `await` after the
cancel, an enclosing `async with` whose exit may wait (anything but an asyncio lock, semaphore,
condition or timeout), a cancel inside a loop that awaits, a later use of the task or the set
(returned, stored, passed on), an attribute that is awaited, gathered or passed on anywhere in the
file, a task whose outcome a done callback takes (`add_done_callback`: fire-and-forget by design), or
a value that is not shown to be a task (a timer handle, a future, a parameter).

## Fix safety
Safe for tasks the coroutine started itself (a variable, or the `pending` set of tasks it built):
nothing else can be waiting for them. Unsafe for a task held in an attribute: other code may expect
`close()` to return at once, and a task that ignores its cancellation would now keep it waiting.
Unsafe in an async generator (an `@asynccontextmanager`, say): its `finally:` may run while the
generator is being closed, where a new `await` is refused.
No fix where the coroutine stops or closes the event loop right after the cancel: abandoning work in
flight may be the point (a test of closing a busy loop), and a drain of every task is AM201's.

## References
- [asyncio: Task Cancellation](https://docs.python.org/3/library/asyncio-task.html#task-cancellation)
- [asyncio.wait()](https://docs.python.org/3/library/asyncio-task.html#asyncio.wait)
""",
)


def wanted(text: str) -> bool:
    """A quick test of the file's text: whether ``find`` may report anything."""
    return ".cancel(" in text and "async def" in text and any(
        start in text for start in ("create_task", "ensure_future", "wait(")
    )


def find(file: DrainFile) -> list[Finding]:
    spawns = Spawns(file)
    found = []
    for scope in file.scopes:
        if not scope.is_async:
            continue
        for stmt in scope.statements:
            finding = _cancelled(file, spawns, scope, stmt)
            if finding is not None:
                found.append(finding)
    return found


def _cancelled(file: DrainFile, spawns: Spawns, scope: Scope, stmt: ast.stmt) -> Finding | None:
    held = _cancelled_tasks(stmt)
    if held is None:
        return None
    tasks, many = held
    if isinstance(tasks, ast.Name):
        kind = _local_tasks(file, spawns, scope, tasks.id, many)
    elif isinstance(tasks, ast.Attribute) and isinstance(tasks.value, ast.Name) and not many:
        kind = "attribute" if _attribute_task(file, spawns, scope, tasks) else None
    else:
        kind = None
    if kind is None or not _returns_without_waiting(scope, stmt, tasks):
        return None
    if kind == "local" and not _only_waited_on_by_wait(file, spawns, scope, stmt, tasks.id):
        return None  # awaited (or handed to wait_for, which waits for the cancellation) before
    if kind == "attribute" and _may_be_current(file, spawns, scope, tasks.attr):
        return None
    if _has_done_callback(file, spawns, scope, tasks) or _exit_may_wait(file, spawns, scope, stmt):
        return None
    text = file.text(tasks)
    message = RULE.summary.format(tasks=text)
    if _stops_loop_after(file, scope, stmt):
        message += "; no fix: the coroutine stops the loop right after, which may mean to abandon the task"
        return file.finding(RULE, stmt, stmt, message, None)
    if file.asyncio is None:
        return file.finding(RULE, stmt, stmt, message, None)
    aio = file.asyncio[0]
    code = f"await {aio}.gather({'*' if many else ''}{text}, return_exceptions=True)"
    # an async generator's ``finally:`` may run while it is being closed, where awaiting is refused
    safety = "unsafe" if kind == "attribute" or yields(scope.node) else "safe"
    return file.finding(RULE, stmt, stmt, message, file.fix(safety, [file.statement_edit("after", stmt, [code])]))


def _cancelled_tasks(stmt: ast.stmt) -> tuple[ast.expr, bool] | None:
    """``(x, False)`` for ``x.cancel()``; ``(xs, True)`` for ``for t in xs: t.cancel()`` (with only
    calls on ``t`` beside the cancel)."""
    if isinstance(stmt, ast.Expr) and method_call(stmt.value, "cancel"):
        return stmt.value.func.value, False
    if isinstance(stmt, ast.For) and isinstance(stmt.target, ast.Name) and not stmt.orelse:
        name = stmt.target.id
        calls = [s.value for s in stmt.body if isinstance(s, ast.Expr) and isinstance(s.value, ast.Call)]
        if len(calls) != len(stmt.body):
            return None
        on_target = all(
            isinstance(c.func, ast.Attribute) and isinstance(c.func.value, ast.Name) and c.func.value.id == name
            for c in calls
        )
        if on_target and any(c.func.attr == "cancel" for c in calls):
            return stmt.iter, True
    return None


def _local_tasks(file: DrainFile, spawns: Spawns, scope: Scope, name: str, many: bool) -> str | None:
    """"local" when every binding of ``name`` in this coroutine is a task it starts (or ``None``),
    or, with ``many``, a list/set of them or the pending set of ``asyncio.wait``."""
    stores = scope.stores.get(name, [])
    if not stores:
        return None
    for stmt in stores:
        if not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1:
            return None
        target, value = stmt.targets[0], stmt.value
        if isinstance(target, ast.Tuple) and many:
            if not (_is_wait(file, value) and len(target.elts) == 2 and is_name(target.elts[1], name)):
                return None
        elif not (isinstance(target, ast.Name) and _holds_tasks(spawns, scope, value, many)):
            return None
    return "local"


def _is_wait(file: DrainFile, expr: ast.expr) -> bool:
    if isinstance(expr, ast.Await):
        expr = expr.value
    return isinstance(expr, ast.Call) and file.exprs.qual(expr.func) in ("asyncio.wait", "asyncio.tasks.wait")


def _holds_tasks(spawns: Spawns, scope: Scope, value: ast.expr, many: bool) -> bool:
    if isinstance(value, ast.Constant) and value.value is None:
        return True
    if not many:
        return spawns.spawn(value, scope) is not None
    if isinstance(value, (ast.ListComp, ast.SetComp)):
        return spawns.spawn(value.elt, scope) is not None
    if isinstance(value, (ast.List, ast.Set, ast.Tuple)):
        return bool(value.elts) and all(spawns.spawn(e, scope) is not None for e in value.elts)
    return False


def _attribute_task(file: DrainFile, spawns: Spawns, scope: Scope, tasks: ast.Attribute) -> bool:
    """Every assignment to ``.<attr>`` in the file is a task start (or ``None``), at least one is,
    and nothing reads the attribute but to cancel it or ask about it."""
    started = False
    for other, stmt in spawns.attribute_stores(tasks.attr):
        if not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1:
            return False
        if isinstance(stmt.value, ast.Constant) and stmt.value.value is None:
            continue
        if spawns.spawn(stmt.value, other) is None:
            return False
        started = True
    return started and all(spawns.idle_use(use) for use in spawns.attribute_loads(tasks.attr))


def _only_waited_on_by_wait(file: DrainFile, spawns: Spawns, scope: Scope, cancel: ast.stmt, name: str) -> bool:
    """Whether every read of ``name`` before the cancel only asks about the task, takes its result,
    or hands it to ``asyncio.wait(...)`` (which never cancels nor finishes it)."""
    for node in ast.walk(scope.node):
        if not (is_name(node, name) and isinstance(node.ctx, ast.Load)):
            continue
        if start(node) >= start(cancel) or spawns.idle_use(node, also=("result", "exception")):
            continue
        if not _in_wait(file, spawns, node):
            return False
    return True


def _in_wait(file: DrainFile, spawns: Spawns, node: ast.expr) -> bool:
    parent = spawns.parent(node)
    if isinstance(parent, (ast.List, ast.Set, ast.Tuple)):
        node, parent = parent, spawns.parent(parent)
    return isinstance(parent, ast.Call) and parent.args[:1] == [node] and _is_wait(file, parent)


def _may_be_current(file: DrainFile, spawns: Spawns, cancelling: Scope, attr: str) -> bool:
    """Whether the function that cancels ``self.<attr>`` may run inside that very task: it is
    reached, through calls the file shows (not through tasks started on the way), from the coroutine
    the task runs, or that coroutine dispatches through ``getattr(self, <computed name>)``."""
    todo: list[Scope] = []
    for scope, stmt in spawns.attribute_stores(attr):
        spawn = spawns.spawn(getattr(stmt, "value", None), scope)
        if spawn is not None and isinstance(spawn.coro, ast.Call):
            callee = file.callee(spawn.coro, scope)
            if callee is not None:
                todo.append(callee)
    seen: set[int] = set()
    while todo:
        scope = todo.pop()
        if scope is cancelling:
            return True
        if id(scope) in seen or len(seen) > 60:
            continue
        seen.add(id(scope))
        for call in scope.calls:
            if _dynamic_dispatch(call):
                return True
            if any(spawns.spawn(outer, scope) for outer in spawns.ancestors(call)):
                continue  # runs in a task of its own
            callee = file.callee(call, scope)
            if callee is not None:
                todo.append(callee)
    return False


def _dynamic_dispatch(call: ast.Call) -> bool:
    return (
        isinstance(call.func, ast.Name) and call.func.id == "getattr" and len(call.args) >= 2
        and isinstance(call.args[0], ast.Name) and call.args[0].id == "self"
        and not isinstance(call.args[1], ast.Constant)
    )


def _has_done_callback(file: DrainFile, spawns: Spawns, scope: Scope, tasks: ast.expr) -> bool:
    """Whether the code hands the task's end to a done callback (``t.add_done_callback(...)``): it
    chose to handle the outcome when it comes, not to wait for it."""
    if isinstance(tasks, ast.Name):
        uses = [n for n in ast.walk(scope.node) if is_name(n, tasks.id)]
    elif isinstance(tasks, ast.Attribute):
        uses = spawns.attribute_loads(tasks.attr)
    else:
        return False
    return any(method_call(spawns.parent(spawns.parent(use)), "add_done_callback") for use in uses)


# Context managers whose ``__aexit__`` never suspends, so leaving them gives no task a turn.
_NO_WAIT_EXIT = {
    f"asyncio.{name}"
    for name in ("Lock", "Semaphore", "BoundedSemaphore", "Condition", "timeout", "timeout_at")
}


def _exit_may_wait(file: DrainFile, spawns: Spawns, scope: Scope, stmt: ast.stmt) -> bool:
    """Whether an ``async with`` around the cancel awaits its exit after it: an ``__aexit__`` (a
    service's stop, a task group's join) may wait for the cancelled tasks, and at least gives them a
    turn. Locks, semaphores, conditions and timeouts never suspend on exit."""
    for outer in scope.enclosing(stmt):
        if isinstance(outer, ast.AsyncWith) and not all(
            _never_suspends_on_exit(file, spawns, scope, item.context_expr) for item in outer.items
        ):
            return True
    return False


def _never_suspends_on_exit(file: DrainFile, spawns: Spawns, scope: Scope, manager: ast.expr) -> bool:
    if isinstance(manager, ast.Call):
        return file.exprs.qual(manager.func) in _NO_WAIT_EXIT
    if isinstance(manager, ast.Name):
        stores = scope.stores.get(manager.id, [])
    elif isinstance(manager, ast.Attribute):
        stores = [stmt for _, stmt in spawns.attribute_stores(manager.attr)]
    else:
        return False
    return bool(stores) and all(
        isinstance(s, ast.Assign) and isinstance(s.value, ast.Call)
        and file.exprs.qual(s.value.func) in _NO_WAIT_EXIT
        for s in stores
    )


def _stops_loop_after(file: DrainFile, scope: Scope, stmt: ast.stmt) -> bool:
    """Whether the coroutine stops or closes an event loop after the cancel (a test of a loop closed
    with work in flight, or a shutdown that abandons everything): whether the task should finish
    first is the program's choice, so AM204 reports without a fix (AM201 handles "every task")."""
    return any(
        method_call(call, "stop", "close") and file.exprs.is_loop(call.func.value, scope)
        for call in scope.calls_between(end(stmt), None)
    )


def _returns_without_waiting(scope: Scope, stmt: ast.stmt, tasks: ast.expr) -> bool:
    """Nothing that runs after the cancel awaits (the tasks get no turn, or could be awaited there),
    the cancel is not in a loop that awaits, and the tasks are not used again."""
    if any(start(a) > end(stmt) for a in scope.awaits):
        return False
    for outer in scope.enclosing(stmt):
        if isinstance(outer, (ast.For, ast.While, ast.AsyncFor)) and any(
            start(outer) <= start(a) <= end(outer) for a in scope.awaits
        ):
            return False
    name = tasks.id if isinstance(tasks, ast.Name) else None
    if name is not None:
        root = scope.node
        for node in ast.walk(root):
            if is_name(node, name) and start(node) > end(stmt):
                return False
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) and node is not root:
                if any(is_name(n, name) for n in ast.walk(node)):
                    return False
    return True
