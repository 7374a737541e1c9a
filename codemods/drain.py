"""Cancel without drain (AM201) and the task API removed in Python 3.9 (AM202).

Detection reads the ``ast`` (scopes and statement order from ``flow``, asyncio names from ``cancels``);
every finding carries its fix as plain edits (``edits``), which ``rewrite`` applies with LibCST.
"""
from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING

from asyncmend.model import Finding, Fix, Rule

from . import edits as edit_plans
from .cancels import REMOVED, CancelAll, TaskExprs
from .flow import Scope, end, scopes, start
from .names import Names

if TYPE_CHECKING:
    import libcst as cst
    from libcst.codemod import CodemodContext

    from asyncmend.locate import Locator
    from asyncmend.source import SourceFile

AM201 = Rule(
    code="AM201",
    name="cancel-without-drain",
    summary="Tasks are cancelled but not given a turn to finish before `{action}`",
    fix_safety="safe (unsafe for a loop stopped by a callback)",
    doc="""\
## What it does
Finds code that cancels every task and then stops or closes the event loop without running it until
the cancelled tasks have finished:

1. a callback cancels every task (and calls `loop.stop()`), and after `loop.run_forever()` or
   `loop.run_until_complete(...)` returns the loop is closed; a callback is a plain function that
   stops the loop after cancelling, or one handed to `add_signal_handler`, `call_soon`,
   `call_later`, `call_at` or `signal.signal`;
2. code that ran the loop cancels every task and then closes the loop;
3. an `except KeyboardInterrupt:` (or any handler or code after the loop ran) cancels every task and
   calls `loop.stop()` on a loop that is no longer running;
4. a coroutine cancels every task, itself included, and then calls `loop.stop()`.

"Every task" is `asyncio.all_tasks(...)` (or the removed `asyncio.Task.all_tasks(...)`), directly, in
`list`/`set`/`tuple`, filtered in a comprehension, or through a variable bound once to it.

## Why is this bad?
`task.cancel()` only *asks* a task to stop: the `CancelledError` is raised inside the task the next
time the loop runs it. Stopped or closed before that, the loop never runs the tasks' `except
CancelledError:` and `finally:` blocks: connections are not closed, buffers are not flushed, and
Python reports `Task was destroyed but it is pending!`.

## Example
```python
def shutdown(loop):
    for task in asyncio.all_tasks(loop):
        task.cancel()
    loop.stop()

loop.add_signal_handler(signal.SIGTERM, shutdown, loop)
try:
    loop.run_forever()
finally:
    loop.close()
```

## Use instead
```python
try:
    loop.run_forever()
finally:
    pending = asyncio.all_tasks(loop)
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.close()
```
Straight-line code keeps the set it cancelled and drains it before `close()` (replacing a useless
`stop()` on a loop that is not running); a shutdown coroutine leaves `asyncio.current_task()` out of
the set and awaits `asyncio.gather(*tasks, return_exceptions=True)` before `loop.stop()`. Where the
file has async generators, `loop.run_until_complete(loop.shutdown_asyncgens())` is added before
`close()` unless the code already calls it, as `asyncio.run` does. New variable names are free in
their scope: not used there, nor by functions nested in it (at module level: not read as a global
anywhere).

Code that already runs the loop (or awaits) after cancelling is not reported: `gather` with
`return_exceptions`, `asyncio.wait`, awaiting or `run_until_complete` on each task, or a helper that
is handed the loop. Cancelling one task and awaiting it is never reported.

## Fix safety
Safe for shapes 2, 3 and 4: the fix drains exactly the tasks the code itself cancelled, at the point
where it cancelled them, so the only change is that their cleanup now runs (a task that swallows
`CancelledError` and keeps running is waited for, as `asyncio.run` would). Unsafe for shape 1 (when
the callback stops the loop right after cancelling, so no task has had its turn yet): before
`close()` the fix cancels and drains whatever is still pending, which also happens on paths that
never ran the cancelling callback (a `KeyboardInterrupt`, another `stop()`, the main coroutine
returning), where tasks used to be abandoned; that is what `asyncio.run` does, but it is new
behaviour there. A callback that cancels without stopping the loop is reported without a fix: its
tasks may be half-way through their cleanup when the loop is closed, and cancelling them again would
cut it short. Cancels that filter the set in other ways (some tasks are left running) are
reported without a fix, since draining the whole set could wait forever.

## References
- [asyncio: Task Cancellation](https://docs.python.org/3/library/asyncio-task.html#task-cancellation)
- [asyncio.run() source: `_cancel_all_tasks`](https://github.com/python/cpython/blob/main/Lib/asyncio/runners.py)
- [loop.shutdown_asyncgens()](https://docs.python.org/3/library/asyncio-eventloop.html#asyncio.loop.shutdown_asyncgens)
""",
)

AM202 = Rule(
    code="AM202",
    name="removed-task-api",
    summary="`{old}` was removed in Python 3.9; use `{new}`",
    fix_safety="safe (unsafe outside a coroutine when no loop is in reach)",
    doc="""\
## What it does
Finds `asyncio.Task.all_tasks()` and `asyncio.Task.current_task()`, through any import form (`import
asyncio as aio`, `from asyncio import Task`, `asyncio.tasks.Task`).

## Why is this bad?
Both class methods were deprecated in Python 3.7 and removed in 3.9: the call raises
`AttributeError` at run time. The module-level functions `asyncio.all_tasks()` and
`asyncio.current_task()` replace them.

## Example
```python
def shutdown(loop):
    for task in asyncio.Task.all_tasks():
        task.cancel()
```

## Use instead
```python
def shutdown(loop):
    for task in asyncio.all_tasks(loop):
        task.cancel()
```

## Fix safety
Safe when the call passes a loop (the new functions take the same argument), when it runs in a
coroutine (the running loop is the one the old methods used), or when a loop is in reach: a `loop`
parameter, a variable (or `self.<attribute>`) set only from `asyncio.get_event_loop()`,
`new_event_loop()` or `get_running_loop()`, which is then passed: the loop the code works with,
where the old methods took the current event loop (the same one unless the code juggles several
loops). Outside a coroutine with no loop in reach the fix is
unsafe: the new functions raise `RuntimeError` when no loop is running, where the old ones fell back
to `get_event_loop()`. Code that only runs on old Pythons (under `hasattr`/`getattr`, a
`sys.version_info` test or `except AttributeError`) is left alone, and a bare reference without a
call is reported without a fix.

## References
- [asyncio.all_tasks()](https://docs.python.org/3/library/asyncio-task.html#asyncio.all_tasks)
- [What's New in Python 3.9: removed `Task.all_tasks()`, `Task.current_task()`](https://docs.python.org/3/whatsnew/3.9.html#removed)
""",
)

RULES = (AM201, AM202)

_COMPAT_NAME = re.compile(r"^_?(version_info|PY_?\d\w*)$", re.I)
_SHUTDOWNS = ("shutdown_asyncgens", "shutdown_default_executor")
_SCHEDULERS = ("add_signal_handler", "call_soon", "call_soon_threadsafe", "call_later", "call_at")
_REMOVED_TEXT = re.compile(r"\.\s*(all_tasks|current_task)\b")  # after an alias of Task, too


def check(src: "SourceFile") -> list[Finding]:
    text = src.text
    removed = "Task" in text and _REMOVED_TEXT.search(text) is not None
    cancels = "all_tasks" in text and ".cancel(" in text and (".stop(" in text or ".close(" in text)
    if not removed and not cancels:
        return []
    analysis = _Analysis(src)
    found = analysis.removed_api() if removed else []
    return found + (analysis.cancel_without_drain() if cancels else [])


def rewrite(module: "cst.Module", findings: list[Finding], locate: "Locator", context: "CodemodContext"):
    from libcst.codemod.visitors import AddImportsVisitor

    plans = [edit for f in findings if f.fix for edit in f.fix.params["edits"]]
    new = edit_plans.apply(module, plans, locate)
    if new is not module:
        for f in findings:
            for name in f.fix.params.get("imports", ()) if f.fix else ():
                AddImportsVisitor.add_needed_import(context, name)
    return new


def _same(a: ast.AST | None, b: ast.AST | None) -> bool:
    return a is not None and b is not None and ast.dump(a) == ast.dump(b)


def _method(call: ast.AST, *names: str) -> bool:
    return isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr in names


def _is_dotted(expr: ast.expr) -> bool:
    while isinstance(expr, ast.Attribute):
        expr = expr.value
    return isinstance(expr, ast.Name)


class _Analysis:
    def __init__(self, src: "SourceFile"):
        self.src = src
        self.scopes = scopes(src.tree)
        self.names = Names(src.tree, src.text, self.scopes)
        self.exprs = TaskExprs(self.names)
        self.module = self.scopes[0]
        self.asyncio = self.names.module_ref("asyncio")
        self.scope_of = {key: s for s in self.scopes for key in s.owner}
        self.defined_in = {id(stmt): s for s in self.scopes for stmt in s.statements}
        self.runners = {
            s.node.name
            for s in self.scopes
            if isinstance(s.node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and any(_method(c, "run_until_complete", "run_forever") for c in s.calls)
        }
        self.fixed_funcs: dict[int, tuple[ast.expr, str]] = {}
        self.claimed: set[int] = set()  # stop() statements a fix already drains before
        self._crowded: list[dict] = []  # statement edits whose statement shares a line
        starts = [0]
        for line in src.lines:
            starts.append(starts[-1] + len(line))
        self._line_starts = starts

    # -- text and positions ---------------------------------------------------------------------

    def _offset(self, line: int, byte_col: int) -> int:
        return self._line_starts[line - 1] + self.src.char_col(line, byte_col)

    def text(self, node: ast.AST, fixed: bool = False) -> str:
        """The source of ``node``; with ``fixed``, with AM202's replacements inside it applied."""
        begin, stop = self._offset(node.lineno, node.col_offset), self._offset(node.end_lineno, node.end_col_offset)
        out = self.src.text[begin:stop]
        if fixed:
            inside = [
                (self._offset(f.lineno, f.col_offset) - begin, self._offset(f.end_lineno, f.end_col_offset) - begin, new)
                for f, new in self.fixed_funcs.values()
                if begin <= self._offset(f.lineno, f.col_offset) < stop
            ]
            for a, b, new in sorted(inside, reverse=True):
                out = out[:a] + new + out[b:]
        return out

    def _col(self, node: ast.AST) -> int:
        return self.src.char_col(node.lineno, node.col_offset)

    def _finding(self, rule: Rule, first: ast.AST, last: ast.AST, message: str, fix: Fix | None) -> Finding:
        return Finding(
            path=self.src.path, rule=rule.code, name=rule.name, message=message,
            line=first.lineno, col=self._col(first) + 1,
            end_line=last.end_lineno, end_col=self.src.char_col(last.end_lineno, last.end_col_offset) + 1,
            fix=fix,
        )

    def _statement_edit(self, op: str, stmt: ast.stmt, code: list[str]) -> dict:
        check = stmt.iter if isinstance(stmt, (ast.For, ast.AsyncFor)) else stmt
        edit = {"op": op, "line": stmt.lineno, "col": self._col(stmt), "check": self.text(check), "code": code}
        if not self._alone(stmt):
            self._crowded.append(edit)
        return edit

    def _alone(self, stmt: ast.stmt) -> bool:
        """Whether ``stmt`` has its lines to itself (no ``;`` neighbour, not the body of ``try: ...``),
        so that statements can be put before or after it, or in its place."""
        before = self.src.lines[stmt.lineno - 1][: self._col(stmt)]
        after = self.src.lines[stmt.end_lineno - 1][self.src.char_col(stmt.end_lineno, stmt.end_col_offset):]
        return not before.strip() and (not after.strip() or after.strip().startswith("#"))

    def _expression_edit(self, node: ast.expr, code: str) -> dict:
        return {
            "op": "expr", "line": node.lineno, "col": self._col(node), "end_line": node.end_lineno,
            "end_col": self.src.char_col(node.end_lineno, node.end_col_offset), "check": self.text(node),
            "code": code,
        }

    def _fix(self, safety: str, edits: list[dict]) -> Fix | None:
        if any(edit is crowded for edit in edits for crowded in self._crowded):
            return None
        imports = ["asyncio"] if self.asyncio and self.asyncio[1] else []
        return Fix("edit", safety, {"edits": edits, "imports": imports})

    # -- AM202 ----------------------------------------------------------------------------------

    def removed_api(self) -> list[Finding]:
        found = []
        for node in ast.walk(self.src.tree):
            if not (isinstance(node, ast.Attribute) and node.attr in ("all_tasks", "current_task")):
                continue
            scope = self.scope_of.get(id(node))
            if scope is None or self.exprs.qual(node) not in REMOVED:
                continue
            stmt = scope.owner[id(node)]
            parents = {id(c): p for p in ast.walk(stmt) for c in ast.iter_child_nodes(p)}
            if not self._compat(node, parents):
                found.append(self._removed_call(node, parents.get(id(node))))
        return found

    def _compat(self, node: ast.AST, parents: dict) -> bool:
        """Whether ``node`` sits in code meant for old Pythons only."""
        child, parent = node, parents.get(id(node))
        while parent is not None and not isinstance(parent, ast.stmt):
            if isinstance(parent, ast.IfExp) and child is not parent.test and _mentions_compat(parent.test):
                return True
            if isinstance(parent, ast.Call) and child is not parent.func and isinstance(parent.func, ast.Name):
                if parent.func.id in ("getattr", "hasattr"):
                    return True
            if isinstance(parent, ast.BoolOp) and any(_mentions_compat(v) for v in parent.values if v is not child):
                return True
            child, parent = parent, parents.get(id(parent))
        stmt, scope = parent, self.scope_of.get(id(node))
        while stmt is not None and scope is not None:
            for container, field, index in scope.path(stmt):
                if isinstance(container, (ast.If, ast.While)) and _mentions_compat(container.test):
                    return True
                if isinstance(container, (ast.With, ast.AsyncWith)) and any(
                    _expects_deprecation(item.context_expr) for item in container.items
                ):
                    return True
                if isinstance(container, ast.Try) and field in ("body", "handlers"):
                    if any(_catches_attribute_error(h) for h in container.handlers):
                        return True
                if any(_is_compat_exit(s) for s in getattr(container, field)[:index]):
                    return True  # after an early ``if hasattr(...): return ...``
            stmt, scope = scope.node, self.defined_in.get(id(scope.node))
        return False

    def _removed_call(self, node: ast.Attribute, parent: ast.AST | None) -> Finding:
        new_name = REMOVED[self.exprs.qual(node)]
        task_expr = node.value
        imports = False
        if isinstance(task_expr, ast.Attribute) and self.exprs.qual(task_expr.value) in ("asyncio", "asyncio.tasks"):
            prefix = self.text(task_expr.value)
        elif self.asyncio is not None:
            prefix, imports = self.asyncio
        else:
            prefix = None
        new_func = f"{prefix or 'asyncio'}.{new_name}"
        call = parent if isinstance(parent, ast.Call) and parent.func is node else None
        if call is None or prefix is None:
            message = AM202.summary.format(old=self.text(node), new=new_func)
            return self._finding(AM202, node, node, message, None)
        scope = self.scope_of.get(id(call))
        fix_edit, safety, shown = self._expression_edit(node, new_func), "safe", f"{new_func}(...)"
        if not call.args and not call.keywords:
            shown = f"{new_func}()"
            loop = None
            if scope is None or id(call) in scope.in_lambda:
                safety = "unsafe"  # in a lambda: whether a loop runs there is unknown
            elif not scope.is_async:
                loop = self.exprs.loop_in_reach(scope, self.module, call)
                safety = "safe" if loop else "unsafe"
            if loop:
                shown = f"{new_func}({loop})"
                fix_edit = self._expression_edit(call, shown)
            else:
                self.fixed_funcs[id(node)] = (node, new_func)
        else:
            self.fixed_funcs[id(node)] = (node, new_func)
        message = AM202.summary.format(old=f"{self.text(node)}()", new=shown)
        fix = Fix("edit", safety, {"edits": [fix_edit], "imports": ["asyncio"] if imports else []})
        return self._finding(AM202, call, call, message, fix)

    # -- AM201 ----------------------------------------------------------------------------------

    def cancel_without_drain(self) -> list[Finding]:
        found: list[Finding] = []
        callbacks: set[str] = set()  # "stop" and/or "registered": how the cancelling callbacks look
        for scope in self.scopes:
            for stmt in scope.statements:
                cancel = self.exprs.cancel_all(stmt, scope)
                if cancel is None:
                    continue
                if scope.is_async:
                    finding = self._stopping_coroutine(scope, cancel)
                else:
                    finding = self._after_run(scope, cancel)
                    if finding is None:
                        callbacks.add(self._cancelling_callback(scope, cancel))
                if finding is not None:
                    found.append(finding)
        callbacks.discard(None)
        if callbacks:
            found.extend(self._closed_after_run(callbacks))
        return found

    def _cancel_span(self, cancel: CancelAll) -> ast.AST:
        return cancel.iter if isinstance(cancel.stmt, ast.For) else cancel.stmt

    def _stop_after(self, scope: Scope, stmt: ast.stmt, is_loop) -> ast.Expr | None:
        """The first ``<loop>.stop()`` statement after ``stmt`` in the same block."""
        block, index = scope.block_of(stmt)
        for later in block[index + 1:]:
            if isinstance(later, ast.Expr) and _method(later.value, "stop") and not later.value.args:
                if is_loop(later.value.func.value):
                    return later
        return None

    def _drains(self, scope: Scope, after: tuple[int, int], before: tuple[int, int] | None, loop) -> bool:
        """Whether a call in the range may run the loop again (and so let cancelled tasks finish)."""
        for call in scope.calls_between(after, before):
            func = call.func
            if _method(call, "run_forever"):
                return True
            if _method(call, "run_until_complete"):
                arg = call.args[0] if call.args else None
                if not _method(arg, *_SHUTDOWNS):
                    return True
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name in self.runners:
                return True
            if loop is None or (self.exprs.qual(func) or "").startswith("asyncio."):
                continue
            if isinstance(func, ast.Attribute) and _same(func.value, loop):
                continue
            args = [a.value if isinstance(a, ast.Starred) else a for a in call.args]
            if any(_same(a, loop) for a in [*args, *(k.value for k in call.keywords)]):
                return True
        return False

    def _effective_loop(self, scope: Scope, cancel: CancelAll) -> ast.expr | None:
        """The loop whose tasks a synchronous cancel-all takes."""
        if cancel.tasks.loop is not None:
            return cancel.tasks.loop
        if REMOVED.get(self.exprs.qual(cancel.tasks.call.func) or ""):
            name = self.exprs.loop_in_reach(scope, self.module, cancel.tasks.call)
            return ast.parse(name, mode="eval").body if name else None
        return None

    def _cancelling_callback(self, scope: Scope, cancel: CancelAll) -> str | None:
        """Shape 1: a plain function, run by the loop, that cancels every task.

        "stop" when it then calls ``<loop>.stop()``: the loop stops before any cancelled task had a
        turn. "registered" when it does not stop the loop but is handed to ``add_signal_handler``,
        ``call_soon``, ``call_later``, ``call_at`` or ``signal.signal``: the tasks may be in the middle
        of their cleanup when the loop is closed, and no fix can tell them from tasks never cancelled.
        """
        if not isinstance(scope.node, ast.FunctionDef):
            return None
        if any(_method(c, "run_forever", "run_until_complete") for c in scope.calls):
            return None
        stop = self._stop_after(scope, cancel.stmt, lambda e: self.exprs.is_loop(e, scope))
        if self._drains(scope, start(cancel.stmt), start(stop) if stop else None, None):
            return None
        if stop is not None:
            return "stop"
        return "registered" if self._is_registered(scope.node.name) else None

    def _is_registered(self, name: str) -> bool:
        for scope in self.scopes:
            for call in scope.calls:
                if not (_method(call, *_SCHEDULERS) or self.exprs.qual(call.func) == "signal.signal"):
                    continue
                for arg in call.args:
                    if isinstance(arg, ast.Lambda) and isinstance(arg.body, ast.Call):
                        arg = arg.body.func
                    if isinstance(arg, ast.Name) and arg.id == name:
                        return True
        return False

    def _after_run(self, scope: Scope, cancel: CancelAll) -> Finding | None:
        """Shapes 2 and 3: a cancel-all after the loop ran, then ``close()`` or a useless ``stop()``."""
        loop = self._effective_loop(scope, cancel)
        if loop is None or not _is_dotted(loop):
            return None
        runs = [
            c for c in scope.calls
            if _method(c, "run_forever", "run_until_complete") and _same(c.func.value, loop)
        ]
        if not any(scope.follows(scope.owner[id(c)], cancel.stmt) for c in runs):
            return None
        for outer in scope.enclosing(cancel.stmt):
            if isinstance(outer, (ast.For, ast.While)) and any(
                outer in scope.enclosing(scope.owner[id(c)]) for c in runs
            ):
                return None  # the next round runs the loop again
        if self._drains(scope, start(cancel.stmt), None, loop):
            return None
        stop = self._stop_after(scope, cancel.stmt, lambda e: _same(e, loop))
        close = next(
            (
                s for s in scope.statements
                if isinstance(s, ast.Expr) and _method(s.value, "close") and not s.value.args
                and _same(s.value.func.value, loop) and scope.follows(cancel.stmt, s)
            ),
            None,
        )
        if stop is None and close is None:
            return None
        loop_text = self.text(loop) if cancel.tasks.loop is not None else ast.unparse(loop)
        action = f"{loop_text}.stop()" if stop is not None else f"{loop_text}.close()"
        message = AM201.summary.format(action=action)
        span = self._cancel_span(cancel)
        if not cancel.complete or self.asyncio is None or not self._claim(stop):
            return self._finding(AM201, cancel.stmt, span, message, None)
        aio = self.asyncio[0]
        code = []
        if cancel.via and cancel.tasks.kind != "generator":
            tasks = cancel.via
        else:
            tasks = self.names.free("pending", "pending_tasks", scope=scope.node)
            code.append(f"{tasks} = {aio}.all_tasks({loop_text})")
        code.append(
            f"if {tasks}:\n    {loop_text}.run_until_complete({aio}.gather(*{tasks}, return_exceptions=True))"
        )
        if close is not None and self._wants_asyncgens(scope):
            code.append(f"{loop_text}.run_until_complete({loop_text}.shutdown_asyncgens())")
        if stop is not None:
            edit = self._statement_edit("replace", stop, code)
        else:
            edit = self._statement_edit("after", cancel.stmt, code)
        return self._finding(AM201, cancel.stmt, span, message, self._fix("safe", [edit]))

    def _claim(self, stop: ast.stmt | None) -> bool:
        """Whether no other fix drains before this ``stop()`` yet (two cancels, one stop: one fix)."""
        if stop is None:
            return True
        if id(stop) in self.claimed:
            return False
        self.claimed.add(id(stop))
        return True

    def _wants_asyncgens(self, scope: Scope) -> bool:
        """The file has async generators and this scope never shuts them down."""
        if not _has_async_generators(self.src.tree):
            return False
        return not any(_method(c, "shutdown_asyncgens") for c in scope.calls)

    def _closed_after_run(self, callbacks: set[str]) -> list[Finding]:
        """Shape 1: the loop ran while a callback cancelled every task, then ``close()`` with no drain.

        A callback that stops the loop ends ``run_forever()``: those runs get a fix. A callback that
        only cancels may fire during any run: such runs are reported without one.
        """
        found = []
        for scope in self.scopes:
            if scope.is_async:
                continue
            for stmt in scope.statements:
                if not (isinstance(stmt, ast.Expr) and _method(stmt.value, "close") and not stmt.value.args):
                    continue
                loop = stmt.value.func.value
                if not _is_dotted(loop):
                    continue
                runs = [
                    c for c in scope.calls
                    if _method(c, "run_forever", "run_until_complete") and _same(c.func.value, loop)
                    and not (c.args and _method(c.args[0], *_SHUTDOWNS))
                    and scope.follows(scope.owner[id(c)], stmt)
                ]
                if not runs:
                    continue
                # the callback fires during run_forever(); without one, during the first run (a later
                # run_until_complete() already drains what it cancelled)
                forever = [c for c in runs if _method(c, "run_forever")]
                if not forever and "registered" not in callbacks:
                    continue
                run = max(forever, key=start) if forever else min(runs, key=start)
                if self._drains(scope, end(run), start(stmt), loop):
                    continue
                if any(
                    end(run) < start(s) < start(stmt) and self.exprs.cancel_all(s, scope) is not None
                    for s in scope.statements
                ):
                    continue  # a cancel between them is judged on its own (shapes 2 and 3)
                fixable = bool(forever) and "stop" in callbacks
                found.append(self._drain_before_close(scope, stmt, loop, fixable))
        return found

    def _drain_before_close(self, scope: Scope, close: ast.Expr, loop: ast.expr, fixable: bool) -> Finding:
        loop_text = self.text(loop)
        message = AM201.summary.format(action=f"{loop_text}.close()")
        if self.asyncio is None or not fixable:
            return self._finding(AM201, close, close, message, None)
        aio = self.asyncio[0]
        block, index = scope.block_of(close)
        anchor = close
        while index > 0 and isinstance(block[index - 1], ast.Expr) and _method(block[index - 1].value, "run_until_complete"):
            arg = block[index - 1].value.args[0] if block[index - 1].value.args else None
            if not _method(arg, *_SHUTDOWNS):
                break
            index -= 1
            anchor = block[index]
        pending = self.names.free("pending", "pending_tasks", scope=scope.node)
        task = self.names.free("task", "pending_task", scope=scope.node)
        code = [
            f"{pending} = {aio}.all_tasks({loop_text})",
            f"for {task} in {pending}:\n    {task}.cancel()",
            f"if {pending}:\n    {loop_text}.run_until_complete({aio}.gather(*{pending}, return_exceptions=True))",
        ]
        if self._wants_asyncgens(scope):
            code.append(f"{loop_text}.run_until_complete({loop_text}.shutdown_asyncgens())")
        fix = self._fix("unsafe", [self._statement_edit("before", anchor, code)])
        return self._finding(AM201, close, close, message, fix)

    def _stopping_coroutine(self, scope: Scope, cancel: CancelAll) -> Finding | None:
        """Shape 4: a coroutine cancels every task (itself too) and stops the loop without waiting."""
        stop = self._stop_after(scope, cancel.stmt, lambda e: self.exprs.is_loop(e, scope))
        if stop is None or scope.awaits_between(start(cancel.stmt), start(stop)):
            return None
        block, index = scope.block_of(stop)
        if any(scope.awaits_between(start(s), end(s)) for s in block[index + 1:]):
            return None  # awaits after stop(): not a shape we understand
        message = AM201.summary.format(action=f"{self.text(stop.value.func.value)}.stop()")
        span = self._cancel_span(cancel)
        tasks = cancel.tasks
        unclear = not cancel.complete or (cancel.via and tasks.kind == "generator")
        # another cancel might hit this very task, which must live on to await the gather
        unclear = unclear or any(_method(c, "cancel") for c in scope.calls_between(end(cancel.stmt), start(stop)))
        unclear = unclear or any(
            other is not cancel.stmt and start(other) < start(stop) and self.exprs.cancel_all(other, scope)
            for other in scope.statements
        )
        if unclear or self.asyncio is None or not self._claim(stop):
            return self._finding(AM201, cancel.stmt, span, message, None)
        aio = self.asyncio[0]
        edits = []
        if cancel.via:
            name = cancel.via
            if not tasks.excludes_current:
                edits.append(self._expression_edit(cancel.assign.value, self._without_current(tasks, tasks.kind)))
        else:
            name = self.names.free("tasks", "cancelled_tasks", "pending_tasks", scope=scope.node)
            if not tasks.excludes_current:
                value = self._without_current(tasks, "list")
            elif tasks.kind == "generator":
                value = f"list({self.text(tasks.expr, fixed=True)})"
            else:
                value = self.text(tasks.expr, fixed=True)
            edits.append(self._statement_edit("before", cancel.stmt, [f"{name} = {value}"]))
            edits.append(self._expression_edit(cancel.iter, name))
        edits.append(self._statement_edit("before", stop, [f"await {aio}.gather(*{name}, return_exceptions=True)"]))
        return self._finding(AM201, cancel.stmt, span, message, self._fix("safe", edits))

    def _without_current(self, tasks, kind: str) -> str:
        aio = self.asyncio[0]
        source = self.text(tasks.inner, fixed=True)
        var = next(v for v in ("t", "task", "t_", "task_") if not re.search(rf"\b{v}\b", source) and v != aio)
        body = f"{var} for {var} in {source} if {var} is not {aio}.current_task()"
        return {"set": f"{{{body}}}", "list": f"[{body}]", "tuple": f"tuple({body})"}.get(kind, f"[{body}]")


def _mentions_compat(test: ast.expr) -> bool:
    for node in ast.walk(test):
        if isinstance(node, ast.Name) and _COMPAT_NAME.match(node.id):
            return True
        if isinstance(node, ast.Attribute) and _COMPAT_NAME.match(node.attr):
            return True
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("hasattr", "getattr"):
            return True
    return False


def _expects_deprecation(expr: ast.expr) -> bool:
    """``self.assertWarns(...)``, ``pytest.warns(...)``, ``pytest.deprecated_call()``: a test of the old API."""
    if not isinstance(expr, ast.Call):
        return False
    func = expr.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return name in ("assertWarns", "assertWarnsRegex", "warns", "deprecated_call")


def _is_compat_exit(stmt: ast.AST) -> bool:
    return (
        isinstance(stmt, ast.If)
        and _mentions_compat(stmt.test)
        and isinstance(stmt.body[-1], (ast.Return, ast.Raise, ast.Continue, ast.Break))
    )


def _catches_attribute_error(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    return any(isinstance(n, ast.Name) and n.id == "AttributeError" for n in ast.walk(handler.type))


def _has_async_generators(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.AsyncFor) or (isinstance(node, ast.comprehension) and node.is_async):
            return True
        if isinstance(node, ast.AsyncFunctionDef):
            stack = list(node.body)
            while stack:
                inner = stack.pop()
                if isinstance(inner, (ast.Yield, ast.YieldFrom)):
                    return True
                if not isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
                    stack.extend(ast.iter_child_nodes(inner))
    return False
