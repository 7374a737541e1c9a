"""AM101 unawaited-coroutine: a coroutine function called, and its coroutine dropped, in a coroutine."""
from __future__ import annotations

from typing import Optional

from asyncmend.model import Finding, Fix, Rule

from ..index import ProjectIndex
from ..summary import CORO, RETURNS_COROUTINE, RUNS_UNTIL_STOPPED, Binding, CallSite, ModuleSummary
from .resolver import ANNOTATED_NO_FIX, asyncio_is_free, callee_binding, coroutine_source, finding

RULE = Rule(
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

Reported without a fix: a receiver whose class is known only from an annotation (`store: Store`;
another class may be passed at run time), unless every call of the function in the module passes
`Store(...)` (then the fix is unsafe: calls from other modules are not in view); and a coroutine
built around a `while True:` loop that only an error ends, which awaiting would hold the caller on
(a background task is more likely meant; with `--unawaited-fix task` it becomes one).
`async def f() -> Coroutine` is taken to return a
coroutine (`await (await f())`) only when every `return` in its body hands back a call that is not
plainly something else.

## References
- [Coroutines and Tasks](https://docs.python.org/3/library/asyncio-task.html#coroutines)
- [Developing with asyncio: detect never-awaited coroutines](https://docs.python.org/3/library/asyncio-dev.html#detect-never-awaited-coroutines)
""",
)


def find(call: CallSite, summary: ModuleSummary, index: ProjectIndex, mode: str) -> Optional[Finding]:
    if call.awaited:
        return _awaited_coroutine(call, summary, index)
    if call.context != "async":
        return None
    source = coroutine_source(call, summary, index)
    if source is None:
        return None
    if call.target[0] == "annotated":
        return finding(RULE, call, summary, RULE.summary.format(callee=call.callee) + ANNOTATED_NO_FIX, None)
    if mode != "task" and callee_binding(call, index) == Binding(CORO, RUNS_UNTIL_STOPPED):
        return finding(RULE, call, summary, RULE.summary.format(callee=call.callee) + _LOOPS_NO_FIX, None)
    fix = _async_fix(call, summary, mode)
    fix.params["via"] = source
    return finding(RULE, call, summary, RULE.summary.format(callee=call.callee), fix)


def _awaited_coroutine(call: CallSite, summary: ModuleSummary, index: ProjectIndex) -> Optional[Finding]:
    """``await f()`` where ``f`` is an ``async def`` annotated to return a coroutine: that one is dropped."""
    kind = call.target[0]
    binding = callee_binding(call, index)
    if binding is None or binding.kind != CORO or binding.target != RETURNS_COROUTINE:
        return None
    message = f"Coroutine returned by `await {call.callee}()` is never awaited"
    if kind == "annotated":
        message, fix = message + ANNOTATED_NO_FIX, None
    else:
        safety = "safe" if kind in ("coro", "qual", "instance") else "unsafe"
        fix = Fix("await-result", safety, {"via": "module" if kind == "coro" else "index"})
    return finding(RULE, call, summary, message, fix)


# Awaiting a coroutine that loops until an error stops it would hold the caller until then: it was
# more likely meant to run beside the caller (a task), which is the author's decision.
_LOOPS_NO_FIX = (
    "; no fix: it loops until stopped (`while True` left only on an error), so awaiting it here would "
    "hold this coroutine until then; a background task (`asyncio.create_task`) may be what was meant"
)


def _async_fix(call: CallSite, summary: ModuleSummary, mode: str) -> Fix:
    # A parameter that every call in this module fills with ``Class(...)``: calls from other
    # modules are not in view, so the fix is a judgement call.
    safety = "unsafe" if call.target[0] == "passed" else "safe"
    if mode == "task" and call.alone and asyncio_is_free(summary):
        return Fix("task", safety)
    return Fix("await", safety)
