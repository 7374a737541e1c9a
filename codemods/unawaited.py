"""Unawaited coroutines: a coroutine function called as a bare statement never runs."""
from __future__ import annotations

from typing import TYPE_CHECKING

from asyncmend.model import Finding, Fix, Rule

from .index import ProjectIndex
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


def coroutine_source(call: CallSite, index: ProjectIndex) -> str | None:
    """Where the callee was found to be a coroutine function ("module", "index", "typeshed",
    "package"), or None when it is not known to be one."""
    kind = call.target[0]
    if kind == "coro":
        return "module"
    if kind == "qual":
        return index.creates_coroutine(call.target[1])
    if kind == "method":
        return "module" if index.self_method_creates_coroutine(call.target[1], call.target[2]) else None
    if kind in ("instance", "annotated"):
        return index.instance_method_creates_coroutine(call.target[1], call.target[2], kind == "instance")
    return None


def resolve(summary: ModuleSummary, index: ProjectIndex) -> list[Finding]:
    """The findings of this family for one summarised module, given the project index."""
    findings = []
    for call in summary.calls:
        if call.context != "async":
            continue
        source = coroutine_source(call, index)
        if source is None:
            continue
        # An annotation says what a value should be, not what it is: a fix resting on it is a guess.
        safety = "unsafe" if call.target[0] == "annotated" else "safe"
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
                fix=Fix("await", safety, {"via": source}),
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
