"""AM304 await-concurrent-future: a ``concurrent.futures.Future`` awaited on the loop."""
from __future__ import annotations

import ast
from typing import Optional

from asyncmend.model import Finding, Fix, Rule

from .asynckinds import CFUTURE
from .checker import ThreadChecker
from .threadflow import ThreadCode

RULE = Rule(
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


def in_thread(checker: ThreadChecker, call: ast.Call, code: ThreadCode) -> Optional[Finding]:
    return None


def on_loop(checker: ThreadChecker) -> list[Finding]:
    found = []
    for node in checker.semantic.nodes(ast.Await):
        if checker.kinds.of(node.value) == CFUTURE:
            fix = Fix("wrap_future", "safe", checker.asyncio_params()) if checker.asyncio else None
            found.append(checker.finding(node, RULE, fix))
    return found
