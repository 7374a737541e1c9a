"""AM202 removed-task-api: ``asyncio.Task.all_tasks()`` / ``Task.current_task()``, gone since 3.9."""
from __future__ import annotations

import ast
import re

from asyncmend.model import Finding, Fix, Rule

from .cancels import REMOVED
from .drainfile import DrainFile


AM202 = Rule(
    code="AM202",
    name="removed-task-api",
    summary="`{old}` was removed in Python 3.9; use `{new}`",
    fix_safety="sometimes",
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


_COMPAT_NAME = re.compile(r"^_?(version_info|PY_?\d\w*)$", re.I)


def find(file: DrainFile) -> list[Finding]:
    found = []
    for node in ast.walk(file.src.tree):
        if not (isinstance(node, ast.Attribute) and node.attr in ("all_tasks", "current_task")):
            continue
        scope = file.scope_of.get(id(node))
        if scope is None or file.exprs.qual(node) not in REMOVED:
            continue
        stmt = scope.owner[id(node)]
        parents = {id(c): p for p in ast.walk(stmt) for c in ast.iter_child_nodes(p)}
        if not _compat(file, node, parents):
            found.append(_removed_call(file, node, parents.get(id(node))))
    return found


def _compat(file: DrainFile, node: ast.AST, parents: dict) -> bool:
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
    stmt, scope = parent, file.scope_of.get(id(node))
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
        stmt, scope = scope.node, file.defined_in.get(id(scope.node))
    return False


def _removed_call(file: DrainFile, node: ast.Attribute, parent: ast.AST | None) -> Finding:
    new_name = REMOVED[file.exprs.qual(node)]
    task_expr = node.value
    imports = False
    if isinstance(task_expr, ast.Attribute) and file.exprs.qual(task_expr.value) in ("asyncio", "asyncio.tasks"):
        prefix = file.text(task_expr.value)
    elif file.asyncio is not None:
        prefix, imports = file.asyncio
    else:
        prefix = None
    new_func = f"{prefix or 'asyncio'}.{new_name}"
    call = parent if isinstance(parent, ast.Call) and parent.func is node else None
    if call is None or prefix is None:
        message = AM202.summary.format(old=file.text(node), new=new_func)
        return file.finding(AM202, node, node, message, None)
    scope = file.scope_of.get(id(call))
    fix_edit, safety, shown = file.expression_edit(node, new_func), "safe", f"{new_func}(...)"
    if not call.args and not call.keywords:
        shown = f"{new_func}()"
        loop = None
        if scope is None or id(call) in scope.in_lambda:
            safety = "unsafe"  # in a lambda: whether a loop runs there is unknown
        elif not scope.is_async:
            loop = file.exprs.loop_in_reach(scope, file.module, call)
            safety = "safe" if loop else "unsafe"
        if loop:
            shown = f"{new_func}({loop})"
            fix_edit = file.expression_edit(call, shown)
        else:
            file.fixed_funcs[id(node)] = (node, new_func)
    else:
        file.fixed_funcs[id(node)] = (node, new_func)
    message = AM202.summary.format(old=f"{file.text(node)}()", new=shown)
    fix = Fix("edit", safety, {"edits": [fix_edit], "imports": ["asyncio"] if imports else []})
    return file.finding(AM202, call, call, message, fix)


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
