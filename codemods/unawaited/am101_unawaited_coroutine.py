"""AM101 unawaited-coroutine: a coroutine function called, and its coroutine dropped, in a coroutine
(a bare statement, a condition, an expression that drops it, a name never read)."""
from __future__ import annotations

from typing import Optional

from asyncmend.model import Finding, Fix, Rule

from ..index import ProjectIndex
from ..summary import CORO, RETURNS_COROUTINE, RUNS_UNTIL_STOPPED, Binding, CallSite, ModuleSummary
from .resolver import (
    ANNOTATED_NO_FIX, asyncio_is_free, callee_binding, coroutine_source, dropped_how, finding, receiver_kind,
)

RULE = Rule(
    code="AM101",
    name="unawaited-coroutine",
    summary="Coroutine `{callee}()` is called but never awaited",
    fix_safety="sometimes",
    doc="""\
## What it does
Finds calls to coroutine functions, inside an `async def`, whose result is dropped:

- the call stands alone as a statement: `save(record)`;
- only its truth is tested: `if f():`, `while f():`, `assert f()`, `not f()`, `bool(f())`, the test
  of `a if f() else b`, an operand of `and` other than the last (`f() and x`), and an operand of
  `or` other than the last (`f() or default`) where the `or` itself is tested or dropped. A coroutine
  object is always true, so the branch is decided before the coroutine runs, and it never does;
- the expression statement around it drops its value: `x and f()`, `a if c else f()`;
- it is assigned to a local name never read: `result = f()`, `_ = f()`, `note: T = f()`.

A value counts as **used**, and nothing is reported, when it is returned, yielded, awaited, passed
to any call but `bool` (`asyncio.create_task(x)`, `asyncio.gather(x)`), stored in an attribute, an
item or a container, compared, or assigned to a name that is read anywhere in the function or in a
function nested in it (any load, before or after, counts: `await x`, `return x`, a closure). An
assignment is not looked at when the name is declared `global` or `nonlocal`, is `del`eted, when the
function calls what may read its variables by name (`locals()`, `vars()`, `eval`, `exec`,
`breakpoint()`, `pdb.set_trace()`, IPython's `embed()`, `sys._getframe()`), at module or class
level, for several targets (`a = b = f()`, `a, b = f(), 1`) or a walrus; nor is anything in a lambda
or a comprehension. So `x = f() or default` where `x` is read is not reported: `x` holds the
coroutine, and may be awaited.

## Why is this bad?
Calling a coroutine function only creates a coroutine object; nothing in its body runs until it is
awaited. Dropped, it is garbage collected with `RuntimeWarning: coroutine '...' was never awaited`,
and whatever it should have done silently never happens.

## Example
```python
async def save(record): ...

async def exists(record) -> bool: ...

async def handler(record):
    save(record)
    if not exists(record):
        receipt = save(record)
```

## Use instead
```python
async def handler(record):
    await save(record)
    if not await exists(record):
        receipt = await save(record)
```

## Fix safety
Safe where the value is dropped (the statement, the expression statement, the name never read):
`await` goes on the call, `x = f()` becoming `x = await f()`; the code as written never runs the
coroutine, so awaiting it can only make it run. Unsafe where only its truth is tested: `if f():`
becomes `if await f():`, so which branch runs now depends on the coroutine's result, which the code
as written never looked at, and `f() or default` may now reach `default`. A tested coroutine function
of the module with no `return <value>` is reported without a fix: awaited, the test would always be
false, so it was meant to ask something else.

The callee is known to be a coroutine function: an `async def` (not an async generator, with no
decorator outside `staticmethod`, `classmethod`, `abc.abstractmethod`, `typing.overload`,
`typing.override` and the module's own decorators typed as the identity, `def deco(f: T) -> T`)
that every binding of the name resolves to, through Python's own scoping rules,
imports and class bases. The code as written never runs that coroutine, so awaiting it can only make
it run. Names rebound to anything else, methods a subclass overrides with a plain function, and
objects whose class is not known are never reported.

A method is found through its receiver's class where the code shows that class: `self`, an
attribute set in any method of the class or its bases (`self.db = Database()`, followed through
`self.a.b`), a variable or call built by the class, a function or method that builds and returns
one, a classmethod's `cls()`, `async with`/`with` through `__aenter__`/`__enter__` and
`@asynccontextmanager` functions, names re-exported by `from .m import *`. Two assignments that
disagree make the class unknown; `isinstance` checks and `is None` tests make none up.

Reported without a fix: a receiver whose class is known only from an annotation (`store: Store`,
a class-level `db: Database`, a dataclass field, a function's `-> Store`; another class may be
passed at run time), unless every call of the function (or of the class, for an `__init__`
parameter) in the module passes `Store(...)` (then the fix is unsafe: calls from other modules are
not in view); and a coroutine
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
    message = RULE.summary.format(callee=call.callee) + dropped_how(call)
    kind = receiver_kind(call, index)
    if kind == "annotated":
        return finding(RULE, call, summary, message + ANNOTATED_NO_FIX, None)
    if (mode != "task" or call.shape) and callee_binding(call, index) == Binding(CORO, RUNS_UNTIL_STOPPED):
        return finding(RULE, call, summary, message + _LOOPS_NO_FIX, None)
    if call.returns_nothing:
        return finding(RULE, call, summary, message + _NOTHING_NO_FIX, None)
    fix = _async_fix(call, kind, summary, mode)
    fix.params["via"] = source
    return finding(RULE, call, summary, message, fix)


def _awaited_coroutine(call: CallSite, summary: ModuleSummary, index: ProjectIndex) -> Optional[Finding]:
    """``await f()`` where ``f`` is an ``async def`` annotated to return a coroutine: that one is dropped."""
    kind = receiver_kind(call, index)
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


# ``if f():`` where ``f`` returns nothing: ``if await f():`` would never be true, so the test was
# meant to ask something else.
_NOTHING_NO_FIX = (
    "; no fix: it returns nothing, so awaited the test would always be false; what it should test "
    "is not decided for you"
)


def _async_fix(call: CallSite, kind: str, summary: ModuleSummary, mode: str) -> Fix:
    # A parameter that every call in this module fills with ``Class(...)``: calls from other
    # modules are not in view, so the fix is a judgement call. A tested call: what runs next
    # now depends on the coroutine's result, which the code as written never looked at.
    safety = "unsafe" if kind == "passed" or call.shape == "tested" else "safe"
    if call.shape:
        return Fix("await-call", safety)
    if mode == "task" and call.alone and asyncio_is_free(summary):
        return Fix("task", safety)
    return Fix("await", safety)
