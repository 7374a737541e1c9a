"""AM306 loop-primitive-from-thread: an asyncio ``Event``, ``Queue`` or ``Condition`` (or the module's own
method that only wakes one) touched from a worker thread."""
from __future__ import annotations

import ast
from typing import Optional

from asyncmend.model import Finding, Fix, Rule

from ..index import ProjectIndex
from ..summary import ModuleSummary
from .asynckinds import CONDITION, EVENT, QUEUE, instance_class
from .checker import THREAD_CODE, THREAD_FIX_SAFETY, ThreadChecker, plain_args, repeatable, safety
from .threadflow import ThreadCode

RULE = Rule(
    code="AM306",
    name="loop-primitive-from-thread",
    summary="`{recv}.{method}()` on an asyncio {what} from a worker thread ({how}); call it on the loop's thread",
    fix_safety="sometimes",
    doc=f"""\
## What it does
Finds `set()`/`clear()` on an `asyncio.Event`, `put_nowait()`/`get_nowait()` on an `asyncio.Queue`
(and its LIFO and priority kinds) and `notify()`/`notify_all()` on an `asyncio.Condition` called
from code that runs in a worker thread, and calls of the module's own methods that do only such
calls (a `Flag.raise_flag()` whose body is `self._event.set()`).

{THREAD_CODE}

## Why is this bad?
asyncio's primitives belong to the loop that runs the coroutines waiting on them and are not
thread-safe: waking a waiter completes its future with the non-thread-safe `loop.call_soon()`, so
the waiting coroutine may never wake up (in debug mode the call raises `RuntimeError: Non-thread-safe
operation invoked on an event loop other than the current one`), and the object's state races with
the loop. `notify()` also needs the condition's lock, which a thread cannot hold.

## Example
```python
import threading


async def main():
    loop = asyncio.get_running_loop()
    finished = asyncio.Event()

    def work():
        crunch()
        finished.set()

    threading.Thread(target=work).start()
    await finished.wait()
```

## Use instead
```python
import threading


async def main():
    loop = asyncio.get_running_loop()
    finished = asyncio.Event()

    def work():
        crunch()
        loop.call_soon_threadsafe(finished.set)

    threading.Thread(target=work).start()
    await finished.wait()
```
The fix goes through the loop in reach of the thread code: the loop declared code hands work to,
or else the one loop the function uses, sees in the function around it or holds in an attribute of
its `self` — no fix when there is not exactly one, since the object's own loop is not known
otherwise. Only rewritten when the call's value is not used and the object can be repeated; never
for a condition (`notify` must run under `async with cond:` on the loop, in a coroutine of its own).
`put_nowait` on a full bounded queue then raises `QueueFull` on the loop (logged by its exception
handler) instead of in the thread.

{THREAD_FIX_SAFETY}

## References
- [Concurrency and multithreading](https://docs.python.org/3/library/asyncio-dev.html#concurrency-and-multithreading)
- [Synchronization primitives](https://docs.python.org/3/library/asyncio-sync.html)
- [`loop.call_soon_threadsafe`](https://docs.python.org/3/library/asyncio-eventloop.html#asyncio.loop.call_soon_threadsafe)
""",
)

# The loop's primitives and the methods that wake their waiters (or race with them).
_METHODS = {
    EVENT: ("set", "clear"),
    QUEUE: ("put_nowait", "get_nowait"),
    CONDITION: ("notify", "notify_all"),
}


def in_thread(checker: ThreadChecker, call: ast.Call, code: ThreadCode) -> Optional[Finding]:
    func = call.func
    if not isinstance(func, ast.Attribute):
        return None
    kind = checker.receiver(func.value, code) if any(func.attr in m for m in _METHODS.values()) else None
    primitive = kind if func.attr in _METHODS.get(kind, ()) else None
    wrapped = None if primitive else _wrapper(checker, func, code)
    if not (primitive or wrapped):
        return None
    statement = checker.is_statement(call)
    loop = checker.loop_in_reach(code)
    fix, note = None, ""
    if primitive == CONDITION:
        note = "; no fix: `notify` needs the lock, held on the loop"
    elif statement and plain_args(call) and repeatable(func.value):
        if loop:
            fix = Fix("defer", safety(code), {"loop": "given", "expr": loop})
        else:
            note = "; no fix: no one loop in reach owns it"
    what = primitive or f"{wrapped} (through `{func.attr}()`)"
    return checker.finding(call, RULE, fix, code, what=what, note=note)


def _wrapper(checker: ThreadChecker, func: ast.Attribute, code: ThreadCode) -> Optional[str]:
    """What primitive ``obj.method`` touches when it is a plain method of the module's own class
    whose body only sets, clears or feeds asyncio events and queues of its instance (and that is
    not thread code itself, where its own calls are reported)."""
    owner = checker.kinds.class_of(func.value)
    if owner is None or (code.restricted and len(checker.loops_of(code)) != 1):
        return None
    found = [m for m in owner.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)) and m.name == func.attr]
    if len(found) != 1 or not isinstance(found[0], ast.FunctionDef) or found[0].decorator_list:
        return None
    method = found[0]
    body = method.body[1:] if ast.get_docstring(method) is not None else method.body
    if not body or id(method) in checker.flow.code:
        return None
    kinds = set()
    for stmt in body:
        call = stmt.value if isinstance(stmt, ast.Expr) else None
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                and isinstance(call.func.value, ast.Attribute)
                and instance_class(checker.semantic, call.func.value.value) is not None):
            return None
        kind = checker.kinds.of(call.func.value)
        if kind not in (EVENT, QUEUE) or call.func.attr not in _METHODS[kind]:
            return None
        kinds.add(kind)
    return " and ".join(sorted(kinds))


def on_loop(checker: ThreadChecker) -> list[Finding]:
    return []


def in_project(summary: ModuleSummary, index: ProjectIndex) -> list[Finding]:
    return []
