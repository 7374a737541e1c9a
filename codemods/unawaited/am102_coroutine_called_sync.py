"""AM102 coroutine-called-sync: a coroutine function called, and its coroutine dropped, in synchronous code."""
from __future__ import annotations

from typing import Optional

from asyncmend.model import Finding, Fix, Rule

from ..index import ProjectIndex
from ..summary import CallSite, ModuleSummary
from .resolver import ANNOTATED_NO_FIX, asyncio_is_free, coroutine_source, finding

RULE = Rule(
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


def find(call: CallSite, summary: ModuleSummary, index: ProjectIndex, mode: str) -> Optional[Finding]:
    if call.awaited or call.context not in ("sync", "module"):
        return None
    source = coroutine_source(call, summary, index)
    if source is None:
        return None
    if call.target[0] == "annotated":
        return finding(RULE, call, summary, RULE.summary.format(callee=call.callee) + ANNOTATED_NO_FIX, None)
    message, fix = _sync_fix(call, summary)
    if fix is not None:
        fix.params["via"] = source
    return finding(RULE, call, summary, message, fix)


def _sync_fix(call: CallSite, summary: ModuleSummary) -> tuple[str, Optional[Fix]]:
    message = RULE.summary.format(callee=call.callee)
    plan = call.loop_plan
    if plan is not None:
        params = {"loop": plan["loop"], "anchor": plan["anchor"]}
        return message, Fix("loop-task", plan["safety"], params)
    if call.context == "module" and call.entry and not summary.module_loop and asyncio_is_free(summary):
        return message, Fix("asyncio-run", "safe" if call.entry == "main-guard" else "unsafe")
    if call.context == "module":
        return message + "; no fix: the module holds an event loop it does not plainly run", None
    return message + "; no fix: run it with `asyncio.run(...)` or from a coroutine (not decided for you)", None
