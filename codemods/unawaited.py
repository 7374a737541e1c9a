"""Unawaited coroutines: a coroutine function called as a bare statement never runs."""
from __future__ import annotations

from typing import TYPE_CHECKING

from asyncmend.model import Finding, Fix, Rule

from .index import ProjectIndex
from .lazy import lazy_command
from .summary import CallSite, ModuleSummary

if TYPE_CHECKING:
    import libcst as cst
    from libcst.codemod import CodemodContext

    from asyncmend.locate import Locator

AM101 = Rule(
    code="AM101",
    name="unawaited-coroutine",
    summary="Coroutine `{callee}()` is called but never awaited",
    fix_safety="safe",
    doc="""\
## What it does
Finds calls to coroutine functions, inside an `async def`, whose result is dropped: the call stands
alone as a statement.

## Why is this bad?
Calling a coroutine function only creates a coroutine object; nothing in its body runs until it is
awaited. Dropped, it is garbage collected with `RuntimeWarning: coroutine '...' was never awaited`,
and whatever it should have done silently never happens.

## Example
```python
async def save(record): ...

async def handler(record):
    save(record)
```

## Use instead
```python
async def handler(record):
    await save(record)
```

## Fix safety
Safe. The callee is known to be a coroutine function: an `async def` (not an async generator, with no
decorator outside `staticmethod`, `classmethod`, `abc.abstractmethod`, `typing.overload`,
`typing.override`) that every binding of the name resolves to, through Python's own scoping rules,
imports and class bases. The code as written never runs that coroutine, so awaiting it can only make
it run. Names rebound to anything else, methods a subclass overrides with a plain function, and
objects whose class is not known are never reported.

## References
- [Coroutines and Tasks](https://docs.python.org/3/library/asyncio-task.html#coroutines)
- [Developing with asyncio: detect never-awaited coroutines](https://docs.python.org/3/library/asyncio-dev.html#detect-never-awaited-coroutines)
""",
)

RULES = (AM101,)


def is_coroutine_call(call: CallSite, summary: ModuleSummary, index: ProjectIndex) -> bool:
    kind = call.target[0]
    if kind == "coro":
        return True
    if kind == "qual":
        return index.creates_coroutine(call.target[1])
    if kind == "method":
        return index.self_method_creates_coroutine(call.target[1], call.target[2])
    return False


def resolve(summary: ModuleSummary, index: ProjectIndex) -> list[Finding]:
    """The findings of this family for one summarised module, given the project index."""
    findings = []
    for call in summary.calls:
        if call.context != "async" or not is_coroutine_call(call, summary, index):
            continue
        findings.append(
            Finding(
                path=summary.path,
                rule=AM101.code,
                name=AM101.name,
                message=AM101.summary.format(callee=call.callee),
                line=call.line,
                col=call.col + 1,
                end_line=call.end_line,
                end_col=call.end_col + 1,
                fix=Fix("await", "safe"),
            )
        )
    return findings


def rewrite(module: "cst.Module", findings: list[Finding], locate: "Locator", context: "CodemodContext"):
    import libcst as cst

    targets = {}
    for f in findings:
        node = locate(f, cst.Expr)
        if node is not None:
            targets[id(node)] = f

    class AddAwait(cst.CSTTransformer):
        def leave_Expr(self, original_node: cst.Expr, updated_node: cst.Expr) -> cst.Expr:
            if id(original_node) in targets and isinstance(updated_node.value, cst.Call):
                return updated_node.with_changes(value=cst.Await(expression=updated_node.value))
            return updated_node

    return module.visit(AddAwait()) if targets else module


__getattr__ = lazy_command(__name__)  # `UnawaitedCommand`, the LibCST codemod command (codemods/lazy.py)
