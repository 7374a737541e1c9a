"""asyncio across threads: loop, future and task methods called from worker threads (AM301-AM303,
AM305), the loop's events, queues and conditions touched from them (AM306), and ``concurrent.futures``
futures awaited on the loop (AM304).

Detection rests on two analyses: ``threadflow`` (which code runs in a worker thread) and
``asynckinds`` (which receivers are an asyncio loop, future or task, or a concurrent future). The
rewriter only carries out the plans made here.
"""
from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING, Optional

from asyncmend.model import Finding, Fix, Rule
from asyncmend.source import SourceFile

from .asynckinds import ASYNCIO_FUTURES, CFUTURE, CONDITION, EVENT, LOOP, QUEUE, TASK, Kinds, instance_class
from .threadflow import ThreadCode, ThreadFlow

# LibCST is imported inside the functions that rewrite, never at the top: `asyncmend check` loads
# this module and must not pay for LibCST (its import alone takes about 0.85 s).
if TYPE_CHECKING:
    import libcst as cst
    from libcst.codemod import CodemodContext

    from asyncmend.locate import Locator

_THREAD_CODE = """\
Thread code is a function or lambda handed to `threading.Thread(target=...)`, `threading.Timer`,
`loop.run_in_executor`, `asyncio.to_thread`, `executor.submit`/`map` (directly, through
`functools.partial` or a lambda) or to `add_done_callback` of a thread pool's future, the `run`
method of a `threading.Thread` subclass, and the module's own functions they call (one level deep) —
never an `async def`, nor a function the module also calls elsewhere or schedules with
`call_soon_threadsafe`, nor code that creates or runs its own loop (`asyncio.set_event_loop(loop)`
alone runs none). Thread code is also what the code declares to be: a plain function that hands
work to a loop with `loop.call_soon_threadsafe()` or `asyncio.run_coroutine_threadsafe(..., loop)`
runs off *that* loop (its other calls on that loop, and on asyncio objects when that is the one loop
in sight, count; not in a branch that excludes the hand-off, nor in a function that checks which
thread or loop it runs in, nor in a signal handler or where the hand-off only wakes the loop up with
`call_soon_threadsafe(lambda: None)`), and so do the `self` methods only it calls; a function whose name or
docstring says another thread calls it (`*_threadsafe`, `*_from_thread`, "called from another
thread") is reported without a fix. The receiver must be one the code shows to be asyncio's (from
`asyncio.get_running_loop()`, `loop.create_future()`, ...; a parameter annotated so or given one at
every call in view; a function's return annotation; `loop or asyncio.get_event_loop()` with
`loop=None`; an attribute every assignment of which gives one, of `self` or of an instance of the
module's own class); a method name alone is never enough."""

_THREAD_FIX_SAFETY = """\
## Fix safety
Safe when the thread entry is explicit in the same function body: a lambda handed straight to the
thread starter, or a function defined in the body that starts it (the start may sit in a lambda
nested there) and used nowhere else, so every caller is in view. Otherwise unsafe: a module-level
function, a method or a helper one call below the entry might also be called from the loop's thread
by code outside the module, and its loop or future is known only from the call sites in view; so is
code known to be off the loop only by its hand-offs. No fix where only a name or docstring says the
code runs in another thread."""

AM301 = Rule(
    code="AM301",
    name="call-soon-from-thread",
    summary="`{recv}.{method}()` called from a worker thread ({how}); use `call_soon_threadsafe()`",
    fix_safety="sometimes",
    doc=f"""\
## What it does
Finds `loop.call_soon()`, `loop.call_later()` and `loop.call_at()` called from code that runs in a
worker thread, on a loop that runs in another thread.

{_THREAD_CODE}

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

{_THREAD_FIX_SAFETY}

## References
- [Concurrency and multithreading](https://docs.python.org/3/library/asyncio-dev.html#concurrency-and-multithreading)
- [`loop.call_soon_threadsafe`](https://docs.python.org/3/library/asyncio-eventloop.html#asyncio.loop.call_soon_threadsafe)
""",
)

AM302 = Rule(
    code="AM302",
    name="create-task-from-thread",
    summary="`{recv}.{method}()` called from a worker thread ({how}); use `asyncio.run_coroutine_threadsafe()`",
    fix_safety="sometimes",
    doc=f"""\
## What it does
Finds `loop.create_task(coro)`, `asyncio.ensure_future(coro, loop=loop)`, and `asyncio.create_task(coro)`
or `asyncio.ensure_future(coro)` (on the thread's current loop), called from code that runs in a
worker thread.

{_THREAD_CODE}

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

{_THREAD_FIX_SAFETY}

## References
- [`asyncio.run_coroutine_threadsafe`](https://docs.python.org/3/library/asyncio-task.html#asyncio.run_coroutine_threadsafe)
- [Concurrency and multithreading](https://docs.python.org/3/library/asyncio-dev.html#concurrency-and-multithreading)
""",
)

AM303 = Rule(
    code="AM303",
    name="future-set-from-thread",
    summary="`{recv}.{method}()` on an asyncio future from a worker thread ({how}); do it on the future's loop",
    fix_safety="sometimes",
    doc=f"""\
## What it does
Finds `set_result()`, `set_exception()` and `cancel()` called on an asyncio `Future` (or `cancel()`
on a `Task`) from code that runs in a worker thread.

{_THREAD_CODE}

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

{_THREAD_FIX_SAFETY}

## References
- [Concurrency and multithreading](https://docs.python.org/3/library/asyncio-dev.html#concurrency-and-multithreading)
- [Futures](https://docs.python.org/3/library/asyncio-future.html)
""",
)

AM304 = Rule(
    code="AM304",
    name="await-concurrent-future",
    summary="`await` on a `concurrent.futures.Future`; wrap it with `asyncio.wrap_future()`",
    fix_safety="safe",
    doc="""\
## What it does
Finds `await` on a `concurrent.futures.Future`: the result of `executor.submit(...)` (on a
`ThreadPoolExecutor`/`ProcessPoolExecutor` the code shows), `asyncio.run_coroutine_threadsafe(...)`
or `concurrent.futures.Future()`, directly or through a name bound only to such values.

## Why is this bad?
A `concurrent.futures.Future` is not awaitable: the `await` raises `TypeError: object Future can't
be used in 'await' expression`.

## Example
```python
from concurrent.futures import ThreadPoolExecutor


async def main(data):
    with ThreadPoolExecutor() as executor:
        fut = executor.submit(crunch, data)
        return await fut
```

## Use instead
```python
from concurrent.futures import ThreadPoolExecutor


async def main(data):
    with ThreadPoolExecutor() as executor:
        fut = executor.submit(crunch, data)
        return await asyncio.wrap_future(fut)
```

## Fix safety
Safe: the code as written always raises `TypeError` at the `await`, and the receiver is known to be
a concurrent future, which `asyncio.wrap_future` accepts. It does not rest on the thread analysis.

## References
- [`asyncio.wrap_future`](https://docs.python.org/3/library/asyncio-future.html#asyncio.wrap_future)
""",
)

AM305 = Rule(
    code="AM305",
    name="task-result-in-thread",
    summary="`{recv}.{method}()` on an asyncio future from a worker thread ({how})",
    fix_safety="sometimes",
    doc=f"""\
## What it does
Finds thread code that calls `.result()`, `.exception()` or `.add_done_callback()` on an asyncio
`Future` or `Task` it was handed.

{_THREAD_CODE}

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

{_THREAD_FIX_SAFETY} A wrong guess would be worse here than elsewhere: waiting on the adapter from
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

AM306 = Rule(
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

{_THREAD_CODE}

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

{_THREAD_FIX_SAFETY}

## References
- [Concurrency and multithreading](https://docs.python.org/3/library/asyncio-dev.html#concurrency-and-multithreading)
- [Synchronization primitives](https://docs.python.org/3/library/asyncio-sync.html)
- [`loop.call_soon_threadsafe`](https://docs.python.org/3/library/asyncio-eventloop.html#asyncio.loop.call_soon_threadsafe)
""",
)

RULES = (AM301, AM302, AM303, AM304, AM305, AM306)

ADAPTER_BASE = "_mirror_asyncio_future"
ADAPTER_DOC = "Wait for an asyncio future from any thread: a concurrent.futures.Future mirroring it."
ADAPTER = '''\
def {name}(future):
    """{doc}

    Inserted by asyncmend (AM305). The done-callback is added on the future's own loop through
    call_soon_threadsafe; result, exception and cancellation are copied to the mirror.
    """
    mirror = concurrent.futures.Future()

    def copy(done):
        if done.cancelled():
            mirror.cancel()
        if not mirror.set_running_or_notify_cancel():
            return
        error = done.exception()
        if error is not None:
            mirror.set_exception(error)
        else:
            mirror.set_result(done.result())

    if future.done():
        copy(future)
    else:
        future.get_loop().call_soon_threadsafe(future.add_done_callback, copy)
    return mirror
'''

# Cheap text tests before any analysis: thread rules need a thread starter and asyncio (every loop or
# future the rules can tie comes through an asyncio name); AM304 needs a concurrent future's source.
_THREAD_HINT = re.compile(r"(?i)thread|Timer|run_in_executor|Executor")
_CFUTURE_HINT = re.compile(r"Executor|run_coroutine_threadsafe|concurrent")
_READ = ("result", "exception")
_RULE_FOR_METHOD = {
    "call_soon": AM301,
    "call_later": AM301,
    "call_at": AM301,
    "create_task": AM302,
    "set_result": AM303,
    "set_exception": AM303,
    "cancel": AM303,
    "result": AM305,
    "exception": AM305,
    "add_done_callback": AM305,
}
_RECEIVERS = {"AM301": (LOOP,), "AM302": (LOOP,), "AM303": ASYNCIO_FUTURES, "AM305": ASYNCIO_FUTURES}
# AM306: the loop's primitives and the methods that wake their waiters (or race with them)
_PRIMITIVE_METHODS = {
    EVENT: ("set", "clear"),
    QUEUE: ("put_nowait", "get_nowait"),
    CONDITION: ("notify", "notify_all"),
}
_CREATE_TASK = ("asyncio.create_task", "asyncio.tasks.create_task")
_ENSURE_FUTURE = ("asyncio.ensure_future", "asyncio.tasks.ensure_future")


def check(src: SourceFile) -> list[Finding]:
    text = src.text
    if not ("asyncio" in text and _THREAD_HINT.search(text)) and not (
        "await" in text and _CFUTURE_HINT.search(text)
    ):
        return []
    return _Checker(src).run()


class _Checker:
    def __init__(self, src: SourceFile):
        self.src = src
        self.semantic = src.semantic
        self.flow = ThreadFlow(src.tree, self.semantic)
        self.kinds = Kinds(self.semantic, self.flow)
        self.asyncio = self._module("asyncio")
        self.findings: list[Finding] = []
        self._adapter: Optional[tuple[str, bool]] = None
        self._loops: dict[int, list[str]] = {}

    def run(self) -> list[Finding]:
        for code in self.flow.code.values():
            for call in self.flow.calls_in.get(id(code.node), ()):
                if self.flow.off_loop(call, code):
                    self._thread_call(call, code)
        for node in self.semantic.nodes(ast.Await):
            if self.kinds.of(node.value) == CFUTURE:
                fix = Fix("wrap_future", "safe", self._asyncio_params()) if self.asyncio else None
                self._report(node, AM304, fix)
        return self.findings

    def _thread_call(self, call: ast.Call, code: ThreadCode) -> None:
        func = call.func
        safety = "safe" if code.explicit else "unsafe"
        statement = isinstance(self.semantic.parent(call), ast.Expr)
        plain = _plain_args(call)
        qual = self.semantic.qualname(func)
        if qual in _ENSURE_FUTURE or qual in _CREATE_TASK:
            self._module_task(call, code, qual in _CREATE_TASK, safety, statement)
            return
        if not isinstance(func, ast.Attribute):
            return
        method, recv = func.attr, func.value
        kind = self._receiver(recv, code)
        primitive = kind if method in _PRIMITIVE_METHODS.get(kind, ()) else None
        wrapped = None if primitive else self._wrapper(func, code)
        if primitive or wrapped:
            what = primitive or f"{wrapped} (through `{method}()`)"
            loop = self._loop_in_reach(code)
            fix = None
            if statement and plain and _repeatable(recv) and loop and primitive != CONDITION:
                fix = Fix("defer", safety, {"loop": "given", "expr": loop})
            note = "; no fix: `notify` needs the lock, held on the loop" if primitive == CONDITION else (
                "" if fix or not statement or not plain or not _repeatable(recv) else
                "; no fix: no one loop in reach owns it")
            self._report(call, AM306, fix, code, what=what, note=note)
            return
        rule = _RULE_FOR_METHOD.get(method)
        if rule is None or (method in _READ and (call.args or call.keywords)):
            return
        if kind not in _RECEIVERS[rule.code] or (kind == TASK and method in ("set_result", "set_exception")):
            return
        fix = None
        if method == "call_soon":
            fix = Fix("rename", safety, {"attr": "call_soon_threadsafe"})
        elif method == "create_task":
            if statement and plain and len(call.args) == 1 and self.asyncio:
                fix = Fix("run_coroutine_threadsafe", safety, self._asyncio_params())
        elif method in _READ:
            waited = self._waited_for(code)
            if waited is not None:
                self._report(call, rule, None, code, note=f"; no fix: {waited}, so a worker waiting for the loop would "
                             "wait forever (where the code failed at once)")
                return
            adapter = self._adapter_plan()
            fix = Fix("mirror", safety, adapter) if adapter else None
        elif statement and plain and _repeatable(recv) and (method != "add_done_callback" or len(call.args) == 1):
            # call_later/call_at through the loop itself; the rest through the future's loop
            fix = Fix("defer", safety, {"loop": "receiver" if rule is AM301 else "get_loop"})
        self._report(call, rule, fix, code)

    def _module_task(self, call: ast.Call, code: ThreadCode, create: bool, safety: str, statement: bool) -> None:
        """``asyncio.ensure_future(coro, loop=loop)`` on a loop of the code's; ``asyncio.create_task(coro)``
        and ``asyncio.ensure_future(coro)`` on the current loop of a thread that runs none."""
        method = "create_task" if create else "ensure_future"
        loop = None if create else next((k.value for k in call.keywords if k.arg == "loop"), None)
        if loop is not None:
            if self._receiver(loop, code) == LOOP:
                ok = statement and self.asyncio and len(call.args) == 1 and len(call.keywords) == 1
                ok = ok and _repeatable(loop) and self._calls_coroutine_function(call.args[0])
                fix = Fix("run_coroutine_threadsafe", safety, self._asyncio_params()) if ok else None
                self._report(call, AM302, fix, code, _short(loop), method)
            return
        if code.restricted or any(k.arg == "loop" for k in call.keywords):
            return  # off one loop only: the thread may well run a loop of its own
        reach = self._loop_in_reach(code)
        ok = statement and self.asyncio and reach and len(call.args) == 1 and not call.keywords
        ok = ok and (create or self._calls_coroutine_function(call.args[0]))
        fix = Fix("run_coroutine_threadsafe", safety, {**self._asyncio_params(), "loop": reach}) if ok else None
        self._report(call, AM302, fix, code, "asyncio", method)

    def _receiver(self, recv: ast.expr, code: ThreadCode) -> Optional[str]:
        """The kind of a receiver in thread code. Declared thread code is off its declared loops only:
        one of them is the loop; another loop may be the thread's own, and so may an asyncio object
        unless the declared loop is the one loop in sight."""
        if not code.restricted:
            return self.kinds.of(recv)
        if self.flow.is_declared(recv, code):
            return LOOP
        kind = self.kinds.of(recv)
        return kind if kind not in (None, LOOP) and len(self._loops_of(code)) == 1 else None

    def _loops_of(self, code: ThreadCode) -> list[str]:
        """The loops thread code has in reach, by their text: for declared code its declared loops and
        any other loop its body uses; else the loops its body uses, those of the functions around it
        (names it does not rebind) and the loop attributes of its ``self``."""
        key = id(code.node)
        if key not in self._loops:
            found = {ast.unparse(d): None for d in code.declared}
            for node in ast.walk(code.node):
                if (isinstance(node, (ast.Name, ast.Attribute)) and type(node.ctx) is ast.Load and _repeatable(node)
                        and self.flow.region(node) is code.node and self.kinds.of(node) == LOOP):
                    found[ast.unparse(node)] = None
            if not code.restricted:
                found.update(dict.fromkeys(self._outer_loops(code.node)))
            self._loops[key] = list(found)
        return self._loops[key]

    def _outer_loops(self, func: ast.AST) -> list[str]:
        own = self.semantic.scope_for(func)
        if own is None:
            return []
        found = []
        scope = own.parent
        while scope is not None and scope.is_function:
            for name, bindings in scope.bindings.items():
                if name not in own.bindings and self.kinds.bindings_kind(bindings) == LOOP:
                    found.append(name)
            scope = scope.parent
        params = [*func.args.posonlyargs, *func.args.args] if isinstance(func, ast.FunctionDef) else []
        owner = self.semantic.parent(func)
        if params and isinstance(owner, ast.ClassDef) and not func.decorator_list:
            me = params[0].arg
            found += [f"{me}.{name}" for name in self.kinds.attributes(owner) if self.kinds.attribute_kind(owner, name) == LOOP]
        return found

    def _loop_in_reach(self, code: ThreadCode) -> Optional[str]:
        """The one loop thread code has in reach (its text), if there is exactly one."""
        loops = self._loops_of(code)
        return loops[0] if len(loops) == 1 else None

    def _wrapper(self, func: ast.Attribute, code: ThreadCode) -> Optional[str]:
        """What primitive ``obj.method`` touches when it is a plain method of the module's own class
        whose body only sets, clears or feeds asyncio events and queues of its instance (and that is
        not thread code itself, where its own calls are reported)."""
        owner = instance_class(self.semantic, func.value) or self.kinds.class_of(func.value)
        if owner is None or (code.restricted and len(self._loops_of(code)) != 1):
            return None
        found = [m for m in owner.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)) and m.name == func.attr]
        if len(found) != 1 or not isinstance(found[0], ast.FunctionDef) or found[0].decorator_list:
            return None
        method = found[0]
        body = method.body[1:] if ast.get_docstring(method) is not None else method.body
        if not body or id(method) in self.flow.code:
            return None
        kinds = set()
        for stmt in body:
            call = stmt.value if isinstance(stmt, ast.Expr) else None
            if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                    and isinstance(call.func.value, ast.Attribute) and instance_class(self.semantic, call.func.value.value)):
                return None
            kind = self.kinds.of(call.func.value)
            if kind not in (EVENT, QUEUE) or call.func.attr not in _PRIMITIVE_METHODS[kind]:
                return None
            kinds.add(kind)
        return " and ".join(sorted(kinds))

    def _module(self, module: str) -> Optional[tuple[str, bool]]:
        """(name, already imported) to reach ``module`` at module level; None when no name is safe."""
        ref = self.semantic.module_ref(module)
        return (ref[0], not ref[1]) if ref is not None else None

    def _calls_coroutine_function(self, expr: ast.expr) -> bool:
        if not isinstance(expr, ast.Call) or not isinstance(expr.func, ast.Name):
            return False
        return isinstance(self.semantic.definition(expr.func), ast.AsyncFunctionDef)

    def _asyncio_params(self) -> dict:
        assert self.asyncio is not None
        name, present = self.asyncio
        return {"asyncio": name, "import": not present}

    def _adapter_plan(self) -> Optional[dict]:
        """Where the adapter is (or will be): its name and whether it must be inserted."""
        if self._adapter is None:
            existing = _existing_adapter(self.src.tree)
            if existing:
                self._adapter = (existing, False)
            else:
                self._adapter = (self.semantic.free(ADAPTER_BASE), True)
        name, insert = self._adapter
        concurrent = self._module("concurrent")
        if concurrent is None or concurrent[0] != "concurrent":
            return None
        return {"adapter": name, "insert": insert, "import": insert}

    def _waited_for(self, code: ThreadCode) -> Optional[str]:
        """Where the code that starts this worker waits for it to end, if anywhere: ``thread.join()``,
        ``future.result()`` or ``await`` of what the starter returns, the shutdown of its executor
        (``shutdown()``, the end of ``with executor:``). The mirror adapter makes the worker wait for
        the loop; a loop that waits for the worker then never wakes."""
        if code.helper_of:  # a helper: the worker of every entry that calls it
            entries = [e for node in code.helper_of for e in self.flow.code[id(node)].entries]
        else:
            entries = code.entries
        if not entries:
            return "the worker's start is not in view"
        for entry in entries:
            starter = entry.starter
            if isinstance(starter, ast.ClassDef):
                joins = [c for c in self.semantic.nodes(ast.Call) if _is_join(c)]
                if joins:
                    return f"`{_short(joins[0].func)}()` at line {joins[0].lineno} may wait for this thread"
                continue
            waited = self._handle_waited(starter)
            if waited is None and isinstance(starter.func, ast.Attribute) and entry.how != "asyncio.to_thread":
                executor = starter.args[0] if entry.how == "loop.run_in_executor" else starter.func.value
                waited = self._executor_waited(executor)
            if waited is not None:
                return waited
        return None

    def _handle_waited(self, starter: ast.Call) -> Optional[str]:
        """How the code waits for the thread or future a thread starter gives, if it does: blocking
        (``join()``, ``result()``, ``exception()``, ``concurrent.futures.wait``) outside thread code,
        or ``await`` of the starter itself (that coroutine cannot go on to complete the future)."""
        node = starter
        parent = self.semantic.parent(node)
        while isinstance(parent, (ast.List, ast.Tuple, ast.Set, ast.ListComp, ast.comprehension, ast.Starred)):
            node, parent = parent, self.semantic.parent(parent)
        if isinstance(parent, ast.Call) and isinstance(self.semantic.parent(parent), ast.Await):
            parent = self.semantic.parent(parent)  # ``await asyncio.gather(run_in_executor(...))``
        if isinstance(parent, ast.Await):
            return f"the coroutine at line {parent.lineno} awaits this worker"
        uses = [node]
        if isinstance(parent, ast.Assign) and len(parent.targets) == 1 and _repeatable(parent.targets[0]):
            target = parent.targets[0]
            handle = ast.dump(target).replace("Store()", "Load()")
            uses = [
                u for u in self.semantic.nodes(type(target))
                if type(u.ctx) is ast.Load and ast.dump(u) == handle and not self.flow.in_thread(u)
            ]
        for use in uses:
            how = self._blocking_wait(use)
            if how is not None:
                return how
        return None

    def _blocking_wait(self, use: ast.expr) -> Optional[str]:
        up = self.semantic.parent(use)
        if isinstance(up, ast.Attribute) and up.attr in ("join", "result", "exception"):
            call = self.semantic.parent(up)
            if isinstance(call, ast.Call) and call.func is up and not call.args and not call.keywords:
                return f"`{_short(up)}()` at line {call.lineno} waits for this worker"
        if isinstance(up, ast.Await):
            return f"the coroutine at line {up.lineno} awaits this worker"
        while isinstance(up, (ast.List, ast.Tuple, ast.Set, ast.Starred)):
            up = self.semantic.parent(up)
        if isinstance(up, ast.Call) and self.semantic.qualname(up.func) in _CF_WAITS:
            return f"`{_short(up.func)}()` at line {up.lineno} waits for this worker"
        return None

    def _executor_waited(self, executor: ast.expr) -> Optional[str]:
        if isinstance(executor, ast.Constant) or not _repeatable(executor):
            return None  # the loop's default executor: shut down by ``asyncio.run`` after the tasks
        want = ast.dump(executor).replace("Store()", "Load()")
        for node in ast.walk(self.src.tree):
            if self.flow.in_thread(node):
                continue
            if isinstance(node, (ast.With, ast.AsyncWith)):
                for item in node.items:
                    if item.optional_vars is not None and ast.dump(item.optional_vars).replace("Store()", "Load()") == want:
                        return f"the executor's `with` block (line {node.lineno}) waits for its workers at its end"
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "shutdown":
                if ast.dump(node.func.value) == want and not _no_wait(node):
                    return f"`{_short(node.func)}()` at line {node.lineno} waits for the executor's workers"
        return None

    def _report(self, node: ast.expr, rule: Rule, fix: Optional[Fix], code: Optional[ThreadCode] = None,
                recv: Optional[str] = None, method: Optional[str] = None, note: str = "", what: str = "") -> None:
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            recv = recv or _short(node.func.value)
            method = method or node.func.attr
        if code is not None and code.named:
            fix, note = None, "; no fix: only its name or docstring says it runs in another thread"
        message = rule.summary.format(recv=recv, method=method, how=code.how if code else "", what=what) + note
        src = self.src
        self.findings.append(
            Finding(
                path=src.path,
                rule=rule.code,
                name=rule.name,
                message=message,
                line=node.lineno,
                col=src.char_col(node.lineno, node.col_offset) + 1,
                end_line=node.end_lineno or node.lineno,
                end_col=src.char_col(node.end_lineno or node.lineno, node.end_col_offset or 0) + 1,
                fix=fix,
            )
        )


def _existing_adapter(tree: ast.Module) -> Optional[str]:
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef) and stmt.name.startswith(ADAPTER_BASE):
            doc = ast.get_docstring(stmt)
            if doc and doc.splitlines()[0] == ADAPTER_DOC:
                return stmt.name
    return None


_CF_WAITS = {"concurrent.futures.wait", "concurrent.futures.as_completed"}


def _is_join(call: ast.Call) -> bool:
    """``x.join()`` without a timeout (a string's ``join`` takes an argument)."""
    return isinstance(call.func, ast.Attribute) and call.func.attr == "join" and not call.args and not call.keywords


def _no_wait(call: ast.Call) -> bool:
    """``shutdown(wait=False)`` / ``shutdown(False)``."""
    given = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "wait"), None)
    return isinstance(given, ast.Constant) and given.value is False


def _plain_args(call: ast.Call) -> bool:
    return not call.keywords and not any(isinstance(a, ast.Starred) for a in call.args)


def _repeatable(expr: ast.expr) -> bool:
    """A name or a chain of attributes on a name: evaluating it twice gives the same object."""
    while isinstance(expr, ast.Attribute):
        expr = expr.value
    return isinstance(expr, ast.Name)


def _short(expr: ast.expr) -> str:
    text = ast.unparse(expr)
    return text if len(text) <= 40 else text[:37] + "..."


# -- rewriting -------------------------------------------------------------------------------------


def rewrite(module: "cst.Module", findings: list[Finding], locate: "Locator", context: "CodemodContext"):
    import libcst as cst
    from libcst.codemod.visitors import AddImportsVisitor

    wanted = {(f.line, f.col - 1, f.end_line, f.end_col - 1): f for f in findings if f.fix}
    targets: dict[int, Finding] = {}
    for node, where in locate.positions.items():
        if isinstance(node, (cst.Call, cst.Await)):
            key = (where.start.line, where.start.column, where.end.line, where.end.column)
            if key in wanted:
                targets[id(node)] = wanted[key]
    if not targets:
        return module
    adapter = next((f.fix.params for f in targets.values() if f.fix.action == "mirror"), None)
    for f in targets.values():
        if f.fix.params.get("import"):
            AddImportsVisitor.add_needed_import(context, _import_of(f.fix.action))

    class Mend(cst.CSTTransformer):
        def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
            found = targets.get(id(original_node))
            return _mend_call(updated_node, found.fix) if found else updated_node

        def leave_Await(self, original_node: cst.Await, updated_node: cst.Await) -> cst.Await:
            found = targets.get(id(original_node))
            if not found:
                return updated_node
            wrap = cst.Call(func=_attr(cst.Name(found.fix.params["asyncio"]), "wrap_future"),
                            args=[cst.Arg(updated_node.expression)])
            return updated_node.with_changes(expression=wrap)

    module = module.visit(Mend())
    if adapter and adapter["insert"]:
        module = _insert_adapter(module, adapter["adapter"])
    return module


def _import_of(action: str) -> str:
    return "concurrent.futures" if action == "mirror" else "asyncio"


def _attr(value: "cst.BaseExpression", name: str) -> "cst.Attribute":
    import libcst as cst

    return cst.Attribute(value=value, attr=cst.Name(name))


def _mend_call(call: "cst.Call", fix: Fix) -> "cst.BaseExpression":
    import libcst as cst

    func = call.func
    comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    if fix.action == "run_coroutine_threadsafe":
        positional = [a.value for a in call.args if a.keyword is None]
        named = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
        if "loop" in fix.params:  # asyncio.create_task(c): the loop in reach
            loop = cst.parse_expression(fix.params["loop"])
        else:  # ensure_future(c, loop=l) / l.create_task(c)
            loop = named["loop"] if "loop" in named else func.value
        return cst.Call(
            func=_attr(cst.Name(fix.params["asyncio"]), "run_coroutine_threadsafe"),
            args=[cst.Arg(positional[0], comma=comma), cst.Arg(loop)],
        )
    assert isinstance(func, cst.Attribute)
    if fix.action == "rename":
        return call.with_changes(func=func.with_changes(attr=cst.Name(fix.params["attr"])))
    if fix.action == "defer":
        recv = func.value
        if fix.params["loop"] == "given":
            loop = cst.parse_expression(fix.params["expr"])
        else:
            loop = recv if fix.params["loop"] == "receiver" else cst.Call(func=_attr(recv.deep_clone(), "get_loop"))
        first = cst.Arg(value=_attr(recv.deep_clone(), func.attr.value),
                        comma=comma if call.args else cst.MaybeSentinel.DEFAULT)
        return call.with_changes(func=_attr(loop, "call_soon_threadsafe"), args=[first, *call.args])
    if fix.action == "mirror":
        wrapped = cst.Call(func=cst.Name(fix.params["adapter"]), args=[cst.Arg(func.value)])
        return call.with_changes(func=func.with_changes(value=wrapped))
    return call


def _insert_adapter(module: "cst.Module", name: str) -> "cst.Module":
    """Put the adapter after the module's leading docstring and imports, with two blank lines around."""
    import libcst as cst

    body = list(module.body)
    at = 0
    for i, stmt in enumerate(body):
        if isinstance(stmt, cst.SimpleStatementLine) and all(
            isinstance(s, (cst.Import, cst.ImportFrom)) or (i == 0 and _is_docstring(s)) for s in stmt.body
        ):
            at = i + 1
        else:
            break
    blank = [cst.EmptyLine(), cst.EmptyLine()]
    adapter = cst.parse_statement(ADAPTER.format(name=name, doc=ADAPTER_DOC))
    adapter = adapter.with_changes(leading_lines=blank if at else [])
    if at < len(body):
        after = body[at]
        lines = list(after.leading_lines)
        empty = 0
        while empty < len(lines) and not lines[empty].comment:
            empty += 1
        body[at] = after.with_changes(leading_lines=[*blank[: max(0, 2 - empty)], *lines])
    body.insert(at, adapter)
    return module.with_changes(body=body)


def _is_docstring(stmt: "cst.BaseSmallStatement") -> bool:
    import libcst as cst

    return isinstance(stmt, cst.Expr) and isinstance(stmt.value, (cst.SimpleString, cst.ConcatenatedString))

