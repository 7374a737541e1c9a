"""AM303 future-set-from-thread: an asyncio future completed or cancelled from a worker thread."""
from __future__ import annotations

import ast
from typing import Optional

from asyncmend.model import Finding, Fix, Rule

from ..index import ProjectIndex
from ..summary import ModuleSummary
from .asynckinds import ASYNCIO_FUTURES, TASK
from .checker import THREAD_CODE, THREAD_FIX_SAFETY, ThreadChecker, plain_args, repeatable, safety
from .threadflow import ThreadCode

RULE = Rule(
    code="AM303",
    name="future-set-from-thread",
    summary="`{recv}.{method}()` on an asyncio future from a worker thread ({how}); do it on the future's loop",
    fix_safety="sometimes",
    doc=f"""\
## What it does
Finds `set_result()`, `set_exception()` and `cancel()` called on an asyncio `Future` (or `cancel()`
on a `Task`) from code that runs in a worker thread.

{THREAD_CODE}

## Why is this bad?
Completing a future schedules its done-callbacks (the coroutines awaiting it) with the
non-thread-safe `loop.call_soon()`: the awaiting coroutine may never wake up, and in debug mode the
call raises `RuntimeError: Non-thread-safe operation invoked on an event loop other than the current
one` after the future is already marked done.

## Example
```python
def worker(fut):
    fut.set_result(compute())


async def main():
    fut = asyncio.get_running_loop().create_future()
    await asyncio.to_thread(worker, fut)
```

## Use instead
```python
def worker(fut):
    fut.get_loop().call_soon_threadsafe(fut.set_result, compute())


async def main():
    fut = asyncio.get_running_loop().create_future()
    await asyncio.to_thread(worker, fut)
```
The value is still computed in the thread; only the completion moves to the loop. Only rewritten
when the call's return value is not used and the future expression can be repeated. If the future
can be cancelled meanwhile, `set_result` then fails on the loop (logged by the loop's exception
handler) instead of in the thread.

{THREAD_FIX_SAFETY}

## References
- [Concurrency and multithreading](https://docs.python.org/3/library/asyncio-dev.html#concurrency-and-multithreading)
- [Futures](https://docs.python.org/3/library/asyncio-future.html)
""",
)

_METHODS = ("set_result", "set_exception", "cancel")


def in_thread(checker: ThreadChecker, call: ast.Call, code: ThreadCode) -> Optional[Finding]:
    func = call.func
    if not isinstance(func, ast.Attribute) or func.attr not in _METHODS:
        return None
    kind = checker.receiver(func.value, code)
    if kind not in ASYNCIO_FUTURES or (kind == TASK and func.attr in ("set_result", "set_exception")):
        return None
    fix = None
    if checker.is_statement(call) and plain_args(call) and repeatable(func.value):
        fix = Fix("defer", safety(code), {"loop": "get_loop"})  # through the future's loop
    return checker.finding(call, RULE, fix, code)


def on_loop(checker: ThreadChecker) -> list[Finding]:
    return []


def in_project(summary: ModuleSummary, index: ProjectIndex) -> list[Finding]:
    return []
