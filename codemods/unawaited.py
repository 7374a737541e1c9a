"""Unawaited coroutines: a coroutine function called as a bare statement never runs."""
from __future__ import annotations

from typing import TYPE_CHECKING

from asyncmend.model import Finding, Fix, Rule

from .index import ProjectIndex
from .summary import REF, Binding, CallSite, ModuleSummary

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

AM102 = Rule(
    code="AM102",
    name="coroutine-called-sync",
    summary="Coroutine `{callee}()` is called from synchronous code and never runs",
    fix_safety="sometimes",
    doc="""\
## What it does
Finds calls to coroutine functions whose result is dropped in synchronous code: at a script's top
level, or in a plain function.

## Why is this bad?
Outside a coroutine there is nothing to `await` the coroutine object, and no event loop runs it:
the call does nothing but warn `coroutine '...' was never awaited`.

## Example
```python
async def main(): ...

if __name__ == "__main__":
    main()
```

## Use instead
```python
import asyncio

if __name__ == "__main__":
    asyncio.run(main())
```

## Fix safety
At a script entry (`if __name__ == "__main__":`, with no event loop of the module's own in sight)
the fix `asyncio.run(...)` is safe: the program as written never runs the coroutine. At a module's
top level outside such a guard the fix is unsafe: `asyncio.run` would then run on import, and fails
when the importer already runs an event loop. Inside a plain function no fix is offered: whether the
function may block on an event loop is a design decision the tool cannot make; the finding says so.

## References
- [asyncio.run](https://docs.python.org/3/library/asyncio-runner.html#asyncio.run)
""",
)

RULES = (AM101, AM102)


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
        if call.context not in ("async", "sync", "module"):
            continue
        source = coroutine_source(call, index)
        if source is None:
            continue
        if call.context != "async":
            findings.append(_sync_caller(call, summary, source))
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


def _sync_caller(call: CallSite, summary: ModuleSummary, source: str) -> Finding:
    message = AM102.summary.format(callee=call.callee)
    fix = None
    asyncio_free = summary.names.get("asyncio") in (None, Binding(REF, "asyncio"))
    if call.context == "module" and call.entry and not summary.module_loop and asyncio_free:
        fix = Fix("asyncio-run", "safe" if call.entry == "main-guard" else "unsafe", {"via": source})
    elif call.context == "module":
        message += "; no fix: the module holds an event loop of its own"
    else:
        message += "; no fix: run it with `asyncio.run(...)` or from a coroutine (not decided for you)"
    return Finding(
        path=summary.path, rule=AM102.code, name=AM102.name, message=message, line=call.line,
        col=call.col + 1, end_line=call.end_line, end_col=call.end_col + 1, fix=fix,
    )


def rewrite(module: "cst.Module", findings: list[Finding], locate: "Locator", context: "CodemodContext"):
    import libcst as cst

    from libcst.codemod.visitors import AddImportsVisitor

    targets = {}
    for f in findings:
        node = locate(f, cst.Expr)
        if node is not None and f.fix is not None:
            targets[id(node)] = f.fix.action

    class Mend(cst.CSTTransformer):
        def leave_Expr(self, original_node: cst.Expr, updated_node: cst.Expr) -> cst.Expr:
            action = targets.get(id(original_node))
            call = updated_node.value
            if action is None or not isinstance(call, cst.Call):
                return updated_node
            if action == "asyncio-run":
                AddImportsVisitor.add_needed_import(context, "asyncio")
                run = cst.Attribute(value=cst.Name("asyncio"), attr=cst.Name("run"))
                return updated_node.with_changes(value=cst.Call(func=run, args=[cst.Arg(value=call)]))
            return updated_node.with_changes(value=cst.Await(expression=call))

    return module.visit(Mend()) if targets else module
