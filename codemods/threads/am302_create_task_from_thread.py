"""AM302 create-task-from-thread: ``loop.create_task()``, ``ensure_future(loop=...)``, or ``asyncio.create_task()``
and ``ensure_future()`` on the current loop, from a worker thread."""
from __future__ import annotations

import ast
from typing import Optional

from asyncmend.model import Finding, Fix, Rule

from ..index import ProjectIndex
from ..summary import ModuleSummary
from .asynckinds import LOOP
from .checker import THREAD_CODE, THREAD_FIX_SAFETY, ThreadChecker, plain_args, repeatable, safety, short
from .threadflow import ThreadCode

RULE = Rule(
    code="AM302",
    name="create-task-from-thread",
    summary="`{recv}.{method}()` called from a worker thread ({how}); use `asyncio.run_coroutine_threadsafe()`",
    fix_safety="sometimes",
    doc=f"""\
## What it does
Finds `loop.create_task(coro)`, `asyncio.ensure_future(coro, loop=loop)`, and `asyncio.create_task(coro)`
or `asyncio.ensure_future(coro)` (on the thread's current loop), called from code that runs in a
worker thread.

{THREAD_CODE}

## Why is this bad?
Creating a task schedules its first step with the non-thread-safe `loop.call_soon()`: the task may
start late or never, and in debug mode asyncio raises `RuntimeError: Non-thread-safe operation
invoked on an event loop other than the current one`.

## Example
```python
def worker(loop):
    loop.create_task(notify("done"))


async def main():
    await asyncio.to_thread(worker, asyncio.get_running_loop())
```

## Use instead
```python
def worker(loop):
    asyncio.run_coroutine_threadsafe(notify("done"), loop)


async def main():
    await asyncio.to_thread(worker, asyncio.get_running_loop())
```
Only rewritten when the task object is not used (`run_coroutine_threadsafe` returns a
`concurrent.futures.Future`, not a task), when no `name=`/`context=` is passed and, for
`ensure_future`, when the argument is a call of the module's own `async def`. Without a loop in
the call (`asyncio.create_task(coro)` raises "no running event loop" in a thread that runs none;
`asyncio.ensure_future(coro)` schedules on the loop `asyncio.set_event_loop` made current there),
the loop is the one loop in reach of the thread code: the loop the thread's function made current,
uses, or sees in the function around it, or an attribute of its `self`; no fix when there is not
exactly one. An exception the
coroutine raises then ends up in that dropped future instead of being logged as "Task exception was
never retrieved"; keep the future and check it if that log mattered.

{THREAD_FIX_SAFETY}

## References
- [`asyncio.run_coroutine_threadsafe`](https://docs.python.org/3/library/asyncio-task.html#asyncio.run_coroutine_threadsafe)
- [Concurrency and multithreading](https://docs.python.org/3/library/asyncio-dev.html#concurrency-and-multithreading)
""",
)

_ENSURE_FUTURE = ("asyncio.ensure_future", "asyncio.tasks.ensure_future")
_CREATE_TASK = ("asyncio.create_task", "asyncio.tasks.create_task")


def in_thread(checker: ThreadChecker, call: ast.Call, code: ThreadCode) -> Optional[Finding]:
    func = call.func
    statement = checker.is_statement(call)
    qual = checker.semantic.qualname(func)
    if qual in _ENSURE_FUTURE or qual in _CREATE_TASK:
        create = qual in _CREATE_TASK
        method = "create_task" if create else "ensure_future"
        loop = None if create else next((k.value for k in call.keywords if k.arg == "loop"), None)
        if loop is not None:
            if checker.receiver(loop, code) != LOOP:
                return None
            ok = statement and checker.asyncio and len(call.args) == 1 and len(call.keywords) == 1
            ok = ok and repeatable(loop) and checker.calls_coroutine_function(call.args[0])
            fix = Fix("run_coroutine_threadsafe", safety(code), checker.asyncio_params()) if ok else None
            return checker.finding(call, RULE, fix, code, short(loop), method)
        if code.restricted or any(k.arg == "loop" for k in call.keywords):
            return None  # off one loop only: the thread may well run a loop of its own
        # on the thread's current loop: none runs there
        reach = checker.loop_in_reach(code)
        ok = statement and checker.asyncio and reach and len(call.args) == 1 and not call.keywords
        ok = ok and (create or checker.calls_coroutine_function(call.args[0]))
        fix = Fix("run_coroutine_threadsafe", safety(code), {**checker.asyncio_params(), "loop": reach}) if ok else None
        return checker.finding(call, RULE, fix, code, "asyncio", method)
    if not isinstance(func, ast.Attribute) or func.attr != "create_task" or checker.receiver(func.value, code) != LOOP:
        return None
    fix = None
    if statement and plain_args(call) and len(call.args) == 1 and checker.asyncio:
        fix = Fix("run_coroutine_threadsafe", safety(code), checker.asyncio_params())
    return checker.finding(call, RULE, fix, code)


def on_loop(checker: ThreadChecker) -> list[Finding]:
    return []


def in_project(summary: ModuleSummary, index: ProjectIndex) -> list[Finding]:
    return []
