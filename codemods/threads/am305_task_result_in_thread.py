"""AM305 task-result-in-thread: an asyncio future or task read or watched from a worker thread."""
from __future__ import annotations

import ast
from typing import Optional

from asyncmend.model import Finding, Fix, Rule

from ..index import ProjectIndex
from ..summary import ModuleSummary
from .asynckinds import ASYNCIO_FUTURES
from .checker import THREAD_CODE, THREAD_FIX_SAFETY, ThreadChecker, plain_args, repeatable, safety
from .threadflow import ThreadCode

RULE = Rule(
    code="AM305",
    name="task-result-in-thread",
    summary="`{recv}.{method}()` on an asyncio future from a worker thread ({how})",
    fix_safety="sometimes",
    doc=f"""\
## What it does
Finds thread code that calls `.result()`, `.exception()` or `.add_done_callback()` on an asyncio
`Future` or `Task` it was handed.

{THREAD_CODE}

## Why is this bad?
An asyncio future does not block: `.result()` on a pending one raises `InvalidStateError` at once,
and reading it while the loop completes it races. `add_done_callback()` from another thread is not
thread-safe (the same non-thread-safe `call_soon()` as AM301). The standard library has
`run_coroutine_threadsafe` for the other direction, but no helper to wait on an asyncio future
from a thread.

## Example
```python
import threading


def worker(task):
    print(task.result())
    task.add_done_callback(report)


async def main():
    threading.Thread(target=worker, args=(asyncio.create_task(job()),)).start()
```

## Use instead
```python
import threading


def _mirror_asyncio_future(future):
    ...  # inserted once per module by the fix


def worker(task):
    print(_mirror_asyncio_future(task).result())
    task.get_loop().call_soon_threadsafe(task.add_done_callback, report)


async def main():
    threading.Thread(target=worker, args=(asyncio.create_task(job()),)).start()
```
The inserted adapter returns a `concurrent.futures.Future` that mirrors the asyncio future: its
done-callback is added on the future's loop through `call_soon_threadsafe` (so the adapter is
itself thread-safe), and result, exception and cancellation are copied (a cancelled future raises
`concurrent.futures.CancelledError`, as with `run_coroutine_threadsafe`). The thread then waits for
the result instead of failing. The adapter is named so that it clashes with no name of the module,
and found again on the next run, so it is inserted once. The callback keeps receiving the asyncio
future, now on the loop's thread.

{THREAD_FIX_SAFETY} A wrong guess would be worse here than elsewhere: waiting on the adapter from
the loop's own thread would block the loop. And where the code raised `InvalidStateError` at once
(the future was still pending), the thread now waits for the loop to complete the future: if the
loop's side waits for that thread, neither ends. So no fix is offered where code outside the worker
waits for it: `thread.join()` (also of a `Thread` subclass), `.result()`/`.exception()` of the
future its start returns, `concurrent.futures.wait`/`as_completed`, `await` of the start itself
(`await loop.run_in_executor(...)`, `await asyncio.to_thread(...)`) or of its future, the executor's
`shutdown()` (unless `wait=False`) or the end of its `with` block. A wait through some other object
(an event the worker sets) is not seen.

## References
- [Concurrency and multithreading](https://docs.python.org/3/library/asyncio-dev.html#concurrency-and-multithreading)
- [`concurrent.futures.Future`](https://docs.python.org/3/library/concurrent.futures.html#future-objects)
""",
)

_READ = ("result", "exception")


def in_thread(checker: ThreadChecker, call: ast.Call, code: ThreadCode) -> Optional[Finding]:
    func = call.func
    if not isinstance(func, ast.Attribute) or func.attr not in (*_READ, "add_done_callback"):
        return None
    if func.attr in _READ and (call.args or call.keywords):
        return None
    if checker.receiver(func.value, code) not in ASYNCIO_FUTURES:
        return None
    fix = None
    if func.attr in _READ:
        waited = checker.waited_for(code)
        if waited is not None:
            return checker.finding(call, RULE, None, code, note=f"; no fix: {waited}, so a worker waiting for the loop "
                                   "would wait forever (where the code failed at once)")
        adapter = checker.adapter_plan()
        fix = Fix("mirror", safety(code), adapter) if adapter else None
    elif checker.is_statement(call) and plain_args(call) and repeatable(func.value) and len(call.args) == 1:
        fix = Fix("defer", safety(code), {"loop": "get_loop"})  # through the future's loop
    return checker.finding(call, RULE, fix, code)


def on_loop(checker: ThreadChecker) -> list[Finding]:
    return []


def in_project(summary: ModuleSummary, index: ProjectIndex) -> list[Finding]:
    return []
