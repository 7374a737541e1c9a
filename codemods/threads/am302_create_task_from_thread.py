"""AM302 create-task-from-thread: ``loop.create_task()`` or ``ensure_future(loop=...)`` from a worker thread."""
from __future__ import annotations

import ast
from typing import Optional

from asyncmend.model import Finding, Fix, Rule

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
Finds `loop.create_task(coro)` and `asyncio.ensure_future(coro, loop=loop)` called from code that
runs in a worker thread.

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
`ensure_future`, when the argument is a call of the module's own `async def`. An exception the
coroutine raises then ends up in that dropped future instead of being logged as "Task exception was
never retrieved"; keep the future and check it if that log mattered.

{THREAD_FIX_SAFETY}

## References
- [`asyncio.run_coroutine_threadsafe`](https://docs.python.org/3/library/asyncio-task.html#asyncio.run_coroutine_threadsafe)
- [Concurrency and multithreading](https://docs.python.org/3/library/asyncio-dev.html#concurrency-and-multithreading)
""",
)

_ENSURE_FUTURE = ("asyncio.ensure_future", "asyncio.tasks.ensure_future")


def in_thread(checker: ThreadChecker, call: ast.Call, code: ThreadCode) -> Optional[Finding]:
    func = call.func
    statement = checker.is_statement(call)
    if checker.semantic.qualname(func) in _ENSURE_FUTURE:
        loop = next((k.value for k in call.keywords if k.arg == "loop"), None)
        if loop is None or checker.kinds.of(loop) != LOOP:
            return None
        ok = statement and checker.asyncio and len(call.args) == 1 and len(call.keywords) == 1
        ok = ok and repeatable(loop) and checker.calls_coroutine_function(call.args[0])
        fix = Fix("run_coroutine_threadsafe", safety(code), checker.asyncio_params()) if ok else None
        return checker.finding(call, RULE, fix, code, short(loop), "ensure_future")
    if not isinstance(func, ast.Attribute) or func.attr != "create_task" or checker.kinds.of(func.value) != LOOP:
        return None
    fix = None
    if statement and plain_args(call) and len(call.args) == 1 and checker.asyncio:
        fix = Fix("run_coroutine_threadsafe", safety(code), checker.asyncio_params())
    return checker.finding(call, RULE, fix, code)


def on_loop(checker: ThreadChecker) -> list[Finding]:
    return []
