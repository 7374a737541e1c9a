"""asyncio across threads: loop, future and task methods called from worker threads (AM301-AM303,
AM305) and ``concurrent.futures`` futures awaited on the loop (AM304).

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

from .asynckinds import ASYNCIO_FUTURES, CFUTURE, LOOP, TASK, Kinds
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
`functools.partial` or a lambda), the `run` method of a `threading.Thread` subclass, and the
module's own functions they call (one level deep) — never an `async def`, nor a function the module
also calls elsewhere or schedules with `call_soon_threadsafe`, nor code that runs its own loop. The
receiver must be one the code shows to be asyncio's (from `asyncio.get_running_loop()`,
`loop.create_future()`, ...; a parameter annotated so or given one at every call in view; an
attribute every assignment of which gives one); a method name alone is never enough."""

_THREAD_FIX_SAFETY = """\
## Fix safety
Safe when the thread entry is explicit in the same function body: a lambda handed straight to the
thread starter, or a function defined in the body that starts it (the start may sit in a lambda
nested there) and used nowhere else, so every caller is in view. Otherwise unsafe: a module-level
function, a method or a helper one call below the entry might also be called from the loop's thread
by code outside the module, and its loop or future is known only from the call sites in view."""

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
Finds `loop.create_task(coro)` and `asyncio.ensure_future(coro, loop=loop)` called from code that
runs in a worker thread.

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
`ensure_future`, when the argument is a call of the module's own `async def`. An exception the
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

RULES = (AM301, AM302, AM303, AM304, AM305)

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
_THREAD_HINT = re.compile(r"Thread|Timer|to_thread|run_in_executor|start_new|Executor")
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

    def run(self) -> list[Finding]:
        for code in self.flow.code.values():
            for call in self.flow.calls_in.get(id(code.node), ()):
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
        if self.semantic.qualname(func) in ("asyncio.ensure_future", "asyncio.tasks.ensure_future"):
            loop = next((k.value for k in call.keywords if k.arg == "loop"), None)
            if loop is not None and self.kinds.of(loop) == LOOP:
                ok = statement and self.asyncio and len(call.args) == 1 and len(call.keywords) == 1
                ok = ok and _repeatable(loop) and self._calls_coroutine_function(call.args[0])
                fix = Fix("run_coroutine_threadsafe", safety, self._asyncio_params()) if ok else None
                self._report(call, AM302, fix, code, _short(loop), "ensure_future")
            return
        if not isinstance(func, ast.Attribute):
            return
        method, recv = func.attr, func.value
        rule = _RULE_FOR_METHOD.get(method)
        if rule is None or (method in _READ and (call.args or call.keywords)):
            return
        kind = self.kinds.of(recv)
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
                recv: Optional[str] = None, method: Optional[str] = None, note: str = "") -> None:
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            recv = recv or _short(node.func.value)
            method = method or node.func.attr
        message = rule.summary.format(recv=recv, method=method, how=code.how if code else "") + note
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
        loop = named["loop"] if "loop" in named else func.value  # ensure_future(c, loop=l) / l.create_task(c)
        return cst.Call(
            func=_attr(cst.Name(fix.params["asyncio"]), "run_coroutine_threadsafe"),
            args=[cst.Arg(positional[0], comma=comma), cst.Arg(loop)],
        )
    assert isinstance(func, cst.Attribute)
    if fix.action == "rename":
        return call.with_changes(func=func.with_changes(attr=cst.Name(fix.params["attr"])))
    if fix.action == "defer":
        recv = func.value
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

