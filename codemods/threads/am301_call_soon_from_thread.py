"""AM301 call-soon-from-thread: ``loop.call_soon()``, ``call_later()``, ``call_at()`` from a worker thread."""
from __future__ import annotations

import ast
from typing import Optional

from asyncmend.model import Finding, Fix, Rule

from ..index import ProjectIndex
from ..summary import ModuleSummary
from .asynckinds import LOOP
from .checker import THREAD_CODE, THREAD_FIX_SAFETY, ThreadChecker, plain_args, repeatable, safety
from .threadflow import ThreadCode

RULE = Rule(
    code="AM301",
    name="call-soon-from-thread",
    summary="`{recv}.{method}()` called from a worker thread ({how}); use `call_soon_threadsafe()`",
    fix_safety="sometimes",
    doc=f"""\
## What it does
Finds `loop.call_soon()`, `loop.call_later()` and `loop.call_at()` called from code that runs in a
worker thread, on a loop that runs in another thread.

{THREAD_CODE}

## Why is this bad?
These methods are not thread-safe: they append to the loop's queues without waking the loop up, so
the callback may run late or never, and concurrent appends can corrupt the loop's state. In debug
mode asyncio raises `RuntimeError: Non-thread-safe operation invoked on an event loop other than the
current one`.

## Example
```python
import threading


def worker(loop, results):
    loop.call_soon(results.append, 42)
    loop.call_later(0.5, print, "later")


async def main(results):
    threading.Thread(target=worker, args=(asyncio.get_running_loop(), results)).start()
```

## Use instead
```python
import threading


def worker(loop, results):
    loop.call_soon_threadsafe(results.append, 42)
    loop.call_soon_threadsafe(loop.call_later, 0.5, print, "later")


async def main(results):
    threading.Thread(target=worker, args=(asyncio.get_running_loop(), results)).start()
```
`call_later`/`call_at` are only rewritten when their handle is not used (the handle returned then
belongs to the scheduling call, not to the timer) and when the loop expression can be repeated.

{THREAD_FIX_SAFETY}

## References
- [Concurrency and multithreading](https://docs.python.org/3/library/asyncio-dev.html#concurrency-and-multithreading)
- [`loop.call_soon_threadsafe`](https://docs.python.org/3/library/asyncio-eventloop.html#asyncio.loop.call_soon_threadsafe)
""",
)

_METHODS = ("call_soon", "call_later", "call_at")


def in_thread(checker: ThreadChecker, call: ast.Call, code: ThreadCode) -> Optional[Finding]:
    func = call.func
    if not isinstance(func, ast.Attribute) or func.attr not in _METHODS or checker.receiver(func.value, code) != LOOP:
        return None
    if func.attr == "call_soon":
        fix = Fix("rename", safety(code), {"attr": "call_soon_threadsafe"})
    elif checker.is_statement(call) and plain_args(call) and repeatable(func.value):
        fix = Fix("defer", safety(code), {"loop": "receiver"})  # through the loop itself
    else:
        fix = None
    return checker.finding(call, RULE, fix, code)


def on_loop(checker: ThreadChecker) -> list[Finding]:
    return []


def in_project(summary: ModuleSummary, index: ProjectIndex) -> list[Finding]:
    return []
