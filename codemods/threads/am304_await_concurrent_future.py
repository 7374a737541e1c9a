"""AM304 await-concurrent-future: a ``concurrent.futures.Future`` awaited on the loop."""
from __future__ import annotations

import ast
from typing import Optional

from asyncmend.model import Finding, Fix, Rule

from asyncmend.semantic.types import ANNOTATED, NEW

from ..index import ProjectIndex
from ..summary import ModuleSummary
from .asynckinds import CFUTURE
from .checker import ThreadChecker
from .threadflow import ThreadCode

RULE = Rule(
    code="AM304",
    name="await-concurrent-future",
    summary="`await` on a `concurrent.futures.Future`; wrap it with `asyncio.wrap_future()`",
    fix_safety="sometimes",
    doc="""\
## What it does
Finds `await` on a `concurrent.futures.Future`: the result of `executor.submit(...)` (on a
`ThreadPoolExecutor`/`ProcessPoolExecutor` the code shows), `asyncio.run_coroutine_threadsafe(...)`
or `concurrent.futures.Future()`, directly or through a name bound only to such values, or through
an attribute every assignment of which gives one — also one assigned by a class of another module
of the project (`await probe.ready`, where `probe` is built as that class here, or only annotated
so).

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
Through an attribute of another module's class: safe where the code builds the instance, unsafe where only an
annotation says which class it is but every call in view passes one, and no fix where only an
annotation says so (another class, whose attribute is awaitable, may come at run time).

## References
- [`asyncio.wrap_future`](https://docs.python.org/3/library/asyncio-future.html#asyncio.wrap_future)
""",
)


def in_thread(checker: ThreadChecker, call: ast.Call, code: ThreadCode) -> Optional[Finding]:
    return None


def on_loop(checker: ThreadChecker) -> list[Finding]:
    found = []
    for node in checker.semantic.nodes(ast.Await):
        if checker.kinds.of(node.value) == CFUTURE:
            fix = Fix("wrap_future", "safe", checker.asyncio_params()) if checker.asyncio else None
            found.append(checker.finding(node, RULE, fix))
    return found


_CFUTURE_CLASSES = {"concurrent.futures.Future", "concurrent.futures._base.Future"}
_SAFETY = {NEW: "safe", ANNOTATED: None}


def in_project(summary: ModuleSummary, index: ProjectIndex) -> list[Finding]:
    """``await x.attr`` where ``x`` is an instance of a class of another module whose attribute is a
    concurrent future (a class of this module that assigns the attribute itself is ``on_loop``'s)."""
    found = []
    for site in summary.awaits:
        base = index.type_of(site.term[1])
        if base is None or base[0] == "cm":
            continue
        own = index.classes.get(base[1])
        if base[1].startswith(f"{summary.module}.") and own is not None and site.term[2] in own.attr_types:
            continue
        typed = index.type_of(site.term)
        if typed is None or typed[0] == "cm" or typed[1] not in _CFUTURE_CLASSES:
            continue
        safety = _SAFETY.get(typed[0], "unsafe")
        note = f"; `{site.text}` is an attribute of `{base[1]}` that holds a `concurrent.futures.Future`"
        fix = None
        if safety is None:
            note += "; no fix: the receiver's class is known only from an annotation, and another class may be passed at run time"
        elif summary.asyncio_ref is not None:
            fix = Fix("wrap_future", safety, {"asyncio": summary.asyncio_ref[0], "import": summary.asyncio_ref[1]})
        found.append(Finding(
            path=summary.path, rule=RULE.code, name=RULE.name, message=RULE.summary + note, line=site.line,
            col=site.col + 1, end_line=site.end_line, end_col=site.end_col + 1, fix=fix,
        ))
    return found
