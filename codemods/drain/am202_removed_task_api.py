"""AM202 removed-task-api: ``asyncio.Task.all_tasks()`` / ``Task.current_task()``, gone since 3.9."""
from __future__ import annotations

import ast
import re

from asyncmend.model import Finding, Fix, Rule

from ..astwalk import dotted
from .cancels import REMOVED as REMOVED_TASK_API

# What each removed name became, and the Python that removed it.
REMOVED = {**REMOVED_TASK_API, "asyncio.async": "ensure_future", "asyncio.tasks.async": "ensure_future"}
_REMOVED_IN = {"ensure_future": "3.7"}
from .drainfile import DrainFile


RULE = Rule(
    code="AM202",
    name="removed-task-api",
    summary="`{old}` was removed in Python {version}; use `{new}`",
    fix_safety="sometimes",
    doc="""\
## What it does
Finds `asyncio.Task.all_tasks()` and `asyncio.Task.current_task()`, through any import form (`import
asyncio as aio`, `from asyncio import Task`, `asyncio.tasks.Task`), and `asyncio.async()` in files
written for Python 3.6 or older.

## Why is this bad?
Both class methods were deprecated in Python 3.7 and removed in 3.9: the call raises
`AttributeError` at run time. The module-level functions `asyncio.all_tasks()` and
`asyncio.current_task()` replace them. `asyncio.async()`, deprecated since Python 3.4.4 for
`asyncio.ensure_future()`, cannot even be written since 3.7 (`async` became a keyword): such a file
no longer imports.

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
`new_event_loop()` or `get_running_loop()` (also in an enclosing function, for a closure), which is
then passed: the loop the code works with, where the old methods took the current event loop (the
same one unless the code juggles several loops). Where the function itself called
`asyncio.get_event_loop()` before, that call is passed: it is exactly what the old methods did.
Outside a coroutine with no loop in reach (and in a lambda) no fix is offered: the new
functions raise `RuntimeError` when no loop is running, where the old ones fell back to
`get_event_loop()`. Code that only runs on old Pythons is left alone: under `hasattr`/`getattr`, a
`sys.version_info` test in any form (also through a module flag such as `PY37 = sys.version_info >=
(3, 7)`, defined here or imported), in the `except AttributeError`/`except ImportError` branch of a
`try` that reaches for the new API, or after an early return on such a test. A bare reference
without a call is reported without a fix.

## References
- [asyncio.all_tasks()](https://docs.python.org/3/library/asyncio-task.html#asyncio.all_tasks)
- [What's New in Python 3.9: removed `Task.all_tasks()`, `Task.current_task()`](https://docs.python.org/3/whatsnew/3.9.html#removed)
""",
)


# Names that say "which Python is this" by themselves: ``sys.version_info`` and flags such as
# ``PY37``, ``PY_37``, ``PY3_7``, ``IS_PY37``, ``PYTHON_37`` (imported ones included; flags defined in
# the file are recognised by their value, whatever their name).
_COMPAT_NAME = re.compile(r"^_?(version_info|hexversion|(IS_)?PY(THON)?_?\d\w*)$", re.I)
_VERSION_CALLS = {"hasattr", "getattr", "python_version", "python_version_tuple"}


_REMOVED_TEXT = re.compile(r"\.\s*(all_tasks|current_task)\b")  # after an alias of Task, too
_ASYNC_CALL = re.compile(r"\.\s*async\s*\(")  # ``asyncio.async(...)``, in files for Python 3.6 or older


def wanted(text: str) -> bool:
    """A quick test of the file's text: whether ``find`` may report anything."""
    return ("Task" in text and _REMOVED_TEXT.search(text) is not None) or _ASYNC_CALL.search(text) is not None


def find(file: DrainFile) -> list[Finding]:
    found = []
    flags = _compat_flags(file)
    for node in ast.walk(file.src.tree):
        if not (isinstance(node, ast.Attribute) and node.attr in ("all_tasks", "current_task", "async")):
            continue
        scope = file.scope_of.get(id(node))
        if scope is None or file.exprs.qual(node) not in REMOVED:
            continue
        stmt = scope.owner[id(node)]
        parents = {id(c): p for p in ast.walk(stmt) for c in ast.iter_child_nodes(p)}
        if not _compat(file, node, parents, flags):
            found.append(_removed_call(file, node, parents.get(id(node))))
    return found


def _compat_flags(file: DrainFile) -> set[str]:
    """Module-level names bound to a test of the Python version or of the API
    (``ASYNCIO_37 = sys.version_info >= (3, 7)``, ``HAS_ALL_TASKS = hasattr(asyncio, "all_tasks")``,
    ``_all_tasks = getattr(asyncio, "all_tasks", None)`` then tested ``is None``), directly or through
    other such names."""
    candidates = {
        name: [s for s in stmts if isinstance(s, (ast.Assign, ast.AnnAssign)) and s.value is not None]
        for name, stmts in file.module.stores.items()
    }
    flags: set[str] = set()
    grew = True
    while grew:
        grew = False
        for name, stmts in candidates.items():
            if name not in flags and any(_mentions_compat(s.value, flags) for s in stmts):
                flags.add(name)
                grew = True
    return flags


def _compat(file: DrainFile, node: ast.AST, parents: dict, flags: set[str]) -> bool:
    """Whether ``node`` sits in code meant for old Pythons only."""
    child, parent = node, parents.get(id(node))
    while parent is not None and not isinstance(parent, ast.stmt):
        if isinstance(parent, ast.IfExp) and child is not parent.test and _mentions_compat(parent.test, flags):
            return True
        if isinstance(parent, ast.Call) and child is not parent.func and isinstance(parent.func, ast.Name):
            if parent.func.id in ("getattr", "hasattr"):
                return True
        if isinstance(parent, ast.BoolOp) and any(_mentions_compat(v, flags) for v in parent.values if v is not child):
            return True
        child, parent = parent, parents.get(id(parent))
    stmt, scope = parent, file.scope_of.get(id(node))
    while stmt is not None and scope is not None:
        for container, field, index in scope.path(stmt):
            if isinstance(container, (ast.If, ast.While)) and _mentions_compat(container.test, flags):
                return True
            if isinstance(container, (ast.With, ast.AsyncWith)) and any(
                _expects_deprecation(item.context_expr) for item in container.items
            ):
                return True
            if isinstance(container, ast.Try) and field in ("body", "handlers"):
                if any(_catches_missing_api(h) for h in container.handlers):
                    return True
            if any(_is_compat_exit(s, flags) for s in getattr(container, field)[:index]):
                return True  # after an early ``if hasattr(...): return ...``
        stmt, scope = scope.node, file.defined_in.get(id(scope.node))
        if scope is file.module and _replaced_under_compat(file, stmt, flags):
            return True
    return False


def _replaced_under_compat(file: DrainFile, stmt: ast.AST, flags: set[str]) -> bool:
    """``def all_tasks(loop): ...Task.all_tasks(loop)`` followed by ``if PY37: all_tasks = ...``:
    the function is the fallback that newer Pythons replace."""
    if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return False
    for other in file.module.stores.get(stmt.name, []):
        if other is stmt or (other.lineno, other.col_offset) < (stmt.lineno, stmt.col_offset):
            continue
        for container, field, _ in file.module.path(other):
            if isinstance(container, (ast.If, ast.While)) and _mentions_compat(container.test, flags):
                return True
            if isinstance(container, ast.Try) and field == "body" and any(
                _catches_missing_api(h) for h in container.handlers
            ):
                return True  # ``try: from asyncio import all_tasks`` after the fallback
    return False


def _removed_call(file: DrainFile, node: ast.Attribute, parent: ast.AST | None) -> Finding:
    new_name = REMOVED[file.exprs.qual(node)]
    version = _REMOVED_IN.get(new_name, "3.9")
    task_expr = node.value
    imports = False
    if isinstance(task_expr, ast.Attribute) and file.exprs.qual(task_expr.value) in ("asyncio", "asyncio.tasks"):
        prefix = file.text(task_expr.value)
    elif file.exprs.qual(task_expr) in ("asyncio", "asyncio.tasks"):
        prefix = file.text(task_expr)  # ``asyncio.async(...)``
    elif file.asyncio is not None:
        prefix, imports = file.asyncio
    else:
        prefix = None
    new_func = f"{prefix or 'asyncio'}.{new_name}"
    call = parent if isinstance(parent, ast.Call) and parent.func is node else None
    if call is None or prefix is None:
        message = RULE.summary.format(old=file.text(node), new=new_func, version=version)
        return file.finding(RULE, node, node, message, None)
    scope = file.scope_of.get(id(call))
    fix_edit, shown = file.expression_edit(node, new_func), f"{new_func}(...)"
    if not call.args and not call.keywords:
        shown = f"{new_func}()"
        # Without a loop the new functions take the *running* loop and raise RuntimeError where none
        # runs; the old ones took ``get_event_loop()``. In a coroutine a loop runs; elsewhere the fix
        # must pass the loop the code holds, or there is none.
        if scope is None or id(call) in scope.in_lambda or not scope.is_async:
            loop = None if scope is None else _loop_in_reach(file, scope, call)
            if loop is None or id(call) in scope.in_lambda:
                message = RULE.summary.format(old=f"{file.text(node)}()", new=f"{new_func}(loop)", version=version)
                return file.finding(RULE, call, call, f"{message}; {NO_LOOP}", None)
            shown = f"{new_func}({loop})"
            fix_edit = file.expression_edit(call, shown)
        else:
            file.fixed_funcs[id(node)] = (node, new_func)
    else:
        file.fixed_funcs[id(node)] = (node, new_func)
    message = RULE.summary.format(old=f"{file.text(node)}()", new=shown, version=version)
    fix = Fix("edit", "safe", {"edits": [fix_edit], "imports": ["asyncio"] if imports else []})
    return file.finding(RULE, call, call, message, fix)


def _loop_in_reach(file: DrainFile, scope, call: ast.Call) -> str | None:
    """The loop this scope holds, or one an enclosing function holds and this closure reads."""
    loop = file.exprs.loop_in_reach(scope, file.module, call)
    at = scope.node
    outer = file.defined_in.get(id(at))
    while loop is None and outer is not None and outer is not file.module:
        found = file.exprs.loop_in_reach(outer, file.module, at)
        root = found.partition(".")[0] if found else None
        if root is not None and all(root not in s.stores and root not in s.params for s in _between(file, scope, outer)):
            loop = found
        at = outer.node
        outer = file.defined_in.get(id(at))
    if loop is None:
        # The loop the code gets: where the scope itself calls ``asyncio.get_event_loop()`` before,
        # that call works here, and it is the loop the old method took.
        for before in scope.calls_between((0, 0), (call.lineno, call.col_offset)):
            if file.exprs.qual(before.func) in _GET_EVENT_LOOP and not before.args and not before.keywords:
                return f"{file.text(before.func)}()"
    return loop


_GET_EVENT_LOOP = {"asyncio.get_event_loop", "asyncio.events.get_event_loop"}


def _between(file: DrainFile, scope, outer) -> list:
    """``scope`` and the function scopes between it and ``outer`` (which may rebind a name)."""
    out = []
    while scope is not None and scope is not outer:
        out.append(scope)
        scope = file.defined_in.get(id(scope.node))
    return out


NO_LOOP = (
    "no fix: outside a coroutine it raises RuntimeError where no loop is running, and no event loop "
    "is in reach here to pass"
)


def _mentions_compat(test: ast.expr, flags: set[str]) -> bool:
    for node in ast.walk(test):
        if isinstance(node, ast.Name) and (_COMPAT_NAME.match(node.id) or node.id in flags):
            return True
        if isinstance(node, ast.Attribute) and _COMPAT_NAME.match(node.attr):
            return True
        if isinstance(node, ast.Attribute) and node.attr == "version" and dotted(node.value) == "sys":
            return True
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name in _VERSION_CALLS:
                return True
    return False


def _expects_deprecation(expr: ast.expr) -> bool:
    """``self.assertWarns(...)``, ``pytest.warns(...)``, ``pytest.deprecated_call()``: a test of the old API."""
    if not isinstance(expr, ast.Call):
        return False
    func = expr.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return name in ("assertWarns", "assertWarnsRegex", "warns", "deprecated_call")


def _is_compat_exit(stmt: ast.AST, flags: set[str]) -> bool:
    return (
        isinstance(stmt, ast.If)
        and _mentions_compat(stmt.test, flags)
        and isinstance(stmt.body[-1], (ast.Return, ast.Raise, ast.Continue, ast.Break))
    )


_MISSING_API = {"AttributeError", "ImportError", "ModuleNotFoundError", "NameError"}


def _catches_missing_api(handler: ast.ExceptHandler) -> bool:
    """``except AttributeError`` (or ``ImportError`` after ``from asyncio import all_tasks``): the
    ``try`` reaches for an API that may be missing, and one branch serves the Pythons without it."""
    if handler.type is None:
        return True
    return any(isinstance(n, ast.Name) and n.id in _MISSING_API for n in ast.walk(handler.type))
