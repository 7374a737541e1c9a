"""AM203 loop-closed-with-pending-tasks: a loop run by hand and closed while tasks may be pending."""
from __future__ import annotations

import ast

from asyncmend.model import Finding, Rule
from asyncmend.semantic import dotted

from ..astwalk import is_name, walk_own
from .drainfile import SHUTDOWNS, DrainFile, method_call, same
from .flow import Scope, end, start
from .spawns import Spawns

RULE = Rule(
    code="AM203",
    name="loop-closed-with-pending-tasks",
    summary="`{loop}.close()` while tasks may still be pending: {reason}",
    fix_safety="sometimes",
    doc="""\
## What it does
Finds an event loop that the code runs by hand (`loop.run_until_complete(...)`, `loop.run_forever()`,
or another thread's `run_forever()` ended with `loop.call_soon_threadsafe(loop.stop)`) and then
closes with `loop.close()` while the code shows that a task may still be pending, and nothing
cancels and drains the tasks in between. A task may be pending when:

- a task that keeps running is started in what the loop runs and never waited for:
  `asyncio.create_task(...)`, `asyncio.ensure_future(...)`, `loop.create_task(...)` or
  `asyncio.run_coroutine_threadsafe(...)` whose result is thrown away, or kept and only cancelled
  (in the function that runs the loop, or in a coroutine of this file that the loop runs: the one
  given to `run_until_complete`, those it awaits or starts, and those handed to a call by name, such
  as a server's connection handler). "Keeps running": the task's coroutine is a function of this
  file that awaits in a loop (a poller, a heartbeat, a reader) and does not stop the loop itself;
- `run_until_complete(...)` is interrupted by a `KeyboardInterrupt` the code catches before
  `close()`: the coroutine it ran is left pending.

## Why is this bad?
`loop.close()` does not cancel or wait for anything: tasks still pending are simply dropped. Their
`except CancelledError:` and `finally:` blocks never run (connections stay open, buffers are not
flushed), and Python reports `Task was destroyed but it is pending!` when they are collected.
`asyncio.run()` avoids this by cancelling every remaining task and running the loop until they
finish before it closes the loop.

## Example
```python
async def heartbeat():
    while True:
        await asyncio.sleep(1)

async def main():
    asyncio.create_task(heartbeat())
    await serve()

loop = asyncio.new_event_loop()
try:
    loop.run_until_complete(main())
except KeyboardInterrupt:
    pass
finally:
    loop.close()
```

## Use instead
```python
loop = asyncio.new_event_loop()
try:
    loop.run_until_complete(main())
except KeyboardInterrupt:
    pass
finally:
    pending = asyncio.all_tasks(loop)
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.run_until_complete(loop.shutdown_asyncgens())
    if hasattr(loop, "shutdown_default_executor"):  # Python 3.9+
        loop.run_until_complete(loop.shutdown_default_executor())
    loop.close()
```
which is what `asyncio.run(main())` does; where the whole block is "new loop, run one coroutine,
close" (`loop` used nowhere else), the message says that `asyncio.run(main())` is the shorter way. The shutdown calls the code already makes are not
added again; `shutdown_default_executor()` is guarded because Python 3.8 and older lack it.

The rule stays silent when it cannot tell: the loop runs only coroutines it cannot see (another
module's), a task left behind runs a coroutine it cannot see or one that does not loop (it may
well have finished before `close()`), every task started is awaited, gathered, handed to a `TaskGroup`, passed on, returned or
waited for through `.result()` anywhere in the file, the code runs the loop again (or hands it to a
helper) between the last run and `close()`, or the file calls anything named `all_tasks` (cancelling and
draining every task is AM201's business).

## Fix safety
Unsafe: before `close()` the fix cancels every task still pending and runs their cleanup, on every
path that reaches `close()`; that is what `asyncio.run()` does, but it is new behaviour (cleanup code
that never ran now runs, and a task that ignores its cancellation keeps `close()` waiting). A loop
stopped from another thread gets the fix only when the thread is joined before `close()` and no
other code closes the loop; otherwise it is reported without a fix.

## References
- [asyncio.run() source: `_cancel_all_tasks`](https://github.com/python/cpython/blob/main/Lib/asyncio/runners.py)
- [loop.close()](https://docs.python.org/3/library/asyncio-eventloop.html#asyncio.loop.close)
- [loop.shutdown_asyncgens()](https://docs.python.org/3/library/asyncio-eventloop.html#asyncio.loop.shutdown_asyncgens)
""",
)

_RUNS = ("run_until_complete", "run_forever")
_INTERRUPTS = ("KeyboardInterrupt", "BaseException")
_REACH = 40  # coroutine functions followed from one run, at most


def wanted(text: str) -> bool:
    """A quick test of the file's text: whether ``find`` may report anything."""
    return ".close(" in text and any(run in text for run in ("run_until_complete", "run_forever", "call_soon_threadsafe"))


def find(file: DrainFile) -> list[Finding]:
    if _uses_all_tasks(file):
        return []
    spawns = Spawns(file)
    found = []
    for scope in file.scopes:
        if scope.is_async or isinstance(scope.node, ast.ClassDef):
            continue
        for stmt in scope.statements:
            if isinstance(stmt, ast.Expr) and method_call(stmt.value, "close") and not stmt.value.args:
                loop = stmt.value.func.value
                if dotted(loop) is not None:
                    finding = _closed(file, spawns, scope, stmt, loop)
                    if finding is not None:
                        found.append(finding)
    return found


def _uses_all_tasks(file: DrainFile) -> bool:
    """Any call of something named ``all_tasks`` (by name: compatibility imports bind it twice)."""
    return any(
        getattr(call.func, "attr", getattr(call.func, "id", None)) == "all_tasks"
        for scope in file.scopes for call in scope.calls
    )


def _closed(file: DrainFile, spawns: Spawns, scope: Scope, close: ast.Expr, loop: ast.expr) -> Finding | None:
    """The reason tasks may be pending at ``close``, as a finding, or None."""
    ends = [
        c for c in scope.calls
        if id(c) not in scope.in_lambda and _ends_a_run(c, loop) and scope.follows(scope.owner[id(c)], close)
    ]
    # only the last runs count: one that runs the loop again (or a helper) before close() may drain
    last = [c for c in ends if not file.drains(scope, end(c), start(close), loop)]
    if not last:
        return None
    reason = _reason(file, spawns, scope, close, loop, last)
    if reason is None:
        return None
    loop_text = file.text(loop)
    plain = _plain_run(file, scope, close, loop)
    if plain is not None:
        reason += f" (this block is `{file.asyncio[0] if file.asyncio else 'asyncio'}.run({_short(file, plain)})` written out)"
    message = RULE.summary.format(loop=loop_text, reason=reason)
    fixable = file.asyncio is not None and (
        any(method_call(c, *_RUNS) for c in last) or _joined_and_owned(file, scope, close, loop, last)
    )
    if not fixable:
        return file.finding(RULE, close, close, message, None)
    return file.finding(RULE, close, close, message, _drain_before(file, scope, close, loop))


def _ends_a_run(call: ast.Call, loop: ast.expr) -> bool:
    """A run of ``loop`` (not a shutdown), or ``loop.call_soon_threadsafe(loop.stop)``."""
    if method_call(call, *_RUNS) and same(call.func.value, loop):
        return not (call.args and method_call(call.args[0], *SHUTDOWNS))
    return (
        method_call(call, "call_soon_threadsafe") and same(call.func.value, loop) and bool(call.args)
        and _is_stop_of(call.args[0], loop)
    )


def _is_stop_of(expr: ast.expr, loop: ast.expr) -> bool:
    return isinstance(expr, ast.Attribute) and expr.attr == "stop" and same(expr.value, loop)


def _reason(file, spawns: Spawns, scope: Scope, close: ast.stmt, loop: ast.expr, last: list[ast.Call]) -> str | None:
    for run in last:
        if method_call(run, "run_until_complete") and run.args and _interrupted(scope, run, close):
            return f"`{_short(file, run.args[0])}` is left pending when a KeyboardInterrupt stops the loop"
    # tasks started here, on this loop, before close()
    roots: list[ast.expr] = []
    for spawn in spawns.in_scope(scope):
        if start(spawn.call) > start(close) or not spawns.on_loop(spawn, loop):
            continue
        if spawn.coro is not None:
            roots.append(spawn.coro)
        if spawns.left(spawn) and _keeps_running(file, spawn.coro, scope):
            return f"the task of `{_short(file, spawn.coro)}` is never awaited"
    for run in last:
        roots.extend(run.args[:1])
        if method_call(run, "run_forever", "call_soon_threadsafe"):
            # a run_forever() runs whatever was handed over: connection handlers and the like
            roots.extend(a for c in scope.calls if start(c) < start(close) for a in c.args if isinstance(a, ast.Name))
    return _reason_in_coroutines(file, spawns, scope, roots)


def _reason_in_coroutines(file: DrainFile, spawns: Spawns, scope: Scope, roots: list[ast.expr]) -> str | None:
    """A task left pending by a coroutine function of this file reachable from ``roots``."""
    todo = [s for r in roots for s in _coroutines_of(file, r, scope)]
    seen: set[int] = set()
    while todo and len(seen) < _REACH:
        coro = todo.pop(0)
        if id(coro) in seen:
            continue
        seen.add(id(coro))
        for call in coro.calls:
            spawn = spawns.spawn(call, coro)
            if spawn is not None and not (file.exprs.qual(call.func) or "").endswith("run_coroutine_threadsafe"):
                if spawns.left(spawn) and _keeps_running(file, spawn.coro, coro):
                    return f"the task of `{_short(file, spawn.coro)}` started in `{coro.node.name}()` is never awaited"
            inner = file.callee(call, coro)
            if inner is not None and inner.is_async:
                todo.append(inner)
    return None


def _coroutines_of(file: DrainFile, expr: ast.expr, scope: Scope) -> list[Scope]:
    """The coroutine functions of this file that ``expr`` runs: a call of one, a name of one, or
    any of those inside an asyncio call (``gather``, ``wait_for``, ``ensure_future``) or a
    ``create_task``."""
    if isinstance(expr, ast.Name):
        expr = ast.Call(func=expr, args=[], keywords=[])
    if not isinstance(expr, ast.Call):
        return []
    found = file.callee(expr, scope)
    if found is not None:
        return [found] if found.is_async else []
    if method_call(expr, "create_task") or (file.exprs.qual(expr.func) or "").startswith("asyncio."):
        return [s for arg in expr.args for s in _coroutines_of(file, arg, scope)]
    return []


def _keeps_running(file: DrainFile, coro: ast.expr | None, scope: Scope) -> bool:
    """Whether the task's coroutine is a function of this file that keeps running: it awaits in a
    loop (a poller, a heartbeat, a reader). A one-shot coroutine, or one the file does not show, may
    well have finished before ``close()``; one that stops the loop itself ends with it."""
    targets = _coroutines_of(file, coro, scope) if coro is not None else []
    if not targets or any(method_call(c, "stop") and not c.args for t in targets for c in t.calls):
        return False
    return any(
        isinstance(outer, (ast.While, ast.For, ast.AsyncFor)) and (
            isinstance(outer, ast.AsyncFor) or any(start(outer) < start(a) <= end(outer) for a in t.awaits)
        )
        for t in targets for outer in t.statements
    )


def _interrupted(scope: Scope, run: ast.Call, close: ast.stmt) -> bool:
    """Whether ``run`` sits in the body of a ``try`` that catches ``KeyboardInterrupt`` and
    ``close`` runs after that handler (in it, in ``finally:`` or after the ``try``)."""
    close_steps = {id(parent): (field, index) for parent, field, index in scope.path(close)}
    for outer, field, _ in scope.path(scope.owner[id(run)]):
        if isinstance(outer, ast.Try) and field == "body":
            where, at = close_steps.get(id(outer), (None, None))
            for index, handler in enumerate(outer.handlers):
                if not _catches_interrupt(handler) or where in ("body", "orelse"):
                    continue
                if where == "finalbody" or (where == "handlers" and at == index):
                    return True
                # after the try, close() is reached only if the handler goes on
                if where is None and not isinstance(handler.body[-1], (ast.Raise, ast.Return)):
                    return True
    return False


def _catches_interrupt(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    return any(isinstance(n, ast.Name) and n.id in _INTERRUPTS for n in ast.walk(handler.type))


def _plain_run(file: DrainFile, scope: Scope, close: ast.stmt, loop: ast.expr) -> ast.expr | None:
    """The coroutine of a block that only makes a new loop, runs one coroutine and closes the loop,
    which ``asyncio.run()`` says in one line: ``loop = asyncio.new_event_loop()``, perhaps
    ``asyncio.set_event_loop(loop)``, then ``loop.run_until_complete(<coro>)`` and ``loop.close()``,
    one after the other or as ``try:``/``finally:``, with ``loop`` used nowhere else."""
    if not isinstance(loop, ast.Name):
        return None
    block, index = scope.block_of(close)
    parent, field, _ = scope.path(close)[-1]
    if isinstance(parent, ast.Try) and field == "finalbody":
        if parent.handlers or parent.orelse or len(block) != 1:
            return None
        outer, outer_index = scope.block_of(parent)
        before = outer[:outer_index] + parent.body
    else:
        before = block[:index]
    if len(before) < 2:
        return None
    run, rest = before[-1], before[:-1]
    if not (isinstance(run, ast.Expr) and method_call(run.value, "run_until_complete") and len(run.value.args) == 1):
        return None
    sets = _sets_loop(file, rest[-1], loop.id)
    made = rest[-2] if sets and len(rest) > 1 else rest[-1]
    if not (
        isinstance(made, ast.Assign) and len(made.targets) == 1 and is_name(made.targets[0], loop.id)
        and file.exprs.is_call_to(made.value, {"asyncio.new_event_loop", "asyncio.events.new_event_loop"})
    ):
        return None
    if isinstance(scope.node, ast.Module):
        # functions that read the module's loop (not one of their own) use it too
        uses = sum(is_name(n, loop.id) for n in walk_own(scope.node.body))
        if any(
            loop.id not in other.stores and any(is_name(n, loop.id) for n in walk_own(other.node.body))
            for other in file.scopes if other is not scope
        ):
            return None
    else:
        uses = sum(is_name(n, loop.id) for n in ast.walk(scope.node))
    return run.value.args[0] if uses == 3 + sets else None


def _sets_loop(file: DrainFile, stmt: ast.stmt, name: str) -> bool:
    return (
        isinstance(stmt, ast.Expr) and file.exprs.is_call_to(stmt.value, {"asyncio.set_event_loop"})
        and len(stmt.value.args) == 1 and is_name(stmt.value.args[0], name)
    )


def _joined_and_owned(file: DrainFile, scope: Scope, close: ast.stmt, loop: ast.expr, last: list[ast.Call]) -> bool:
    """A loop stopped from this thread: fixable when the thread that ran it is joined before
    ``close()`` (the loop no longer runs) and no other code closes it (the drain needs it open)."""
    stop = min(last, key=start)
    if not any(method_call(c, "join") for c in scope.calls_between(end(stop), start(close))):
        return False
    for other in file.scopes:
        if other is not scope and any(method_call(c, "close") and not c.args for c in other.calls):
            if any(method_call(c, "run_forever") for c in other.calls):
                return False
    return True


def _drain_before(file: DrainFile, scope: Scope, close: ast.Expr, loop: ast.expr):
    loop_text = file.text(loop)
    then = []
    called = {c.func.attr for c in scope.calls if method_call(c, *SHUTDOWNS)}
    if "shutdown_asyncgens" not in called:
        then.append(f"{loop_text}.run_until_complete({loop_text}.shutdown_asyncgens())")
    if "shutdown_default_executor" not in called:
        then.append(
            f"if hasattr({loop_text}, \"shutdown_default_executor\"):  # Python 3.9+\n"
            f"    {loop_text}.run_until_complete({loop_text}.shutdown_default_executor())"
        )
    return file.fix("unsafe", [file.drain_before_close(scope, close, loop, then)])


def _short(file: DrainFile, expr: ast.expr) -> str:
    text = " ".join(file.text(expr).split())
    return text if len(text) <= 40 else text[:37] + "..."
