"""Unawaited coroutines: a coroutine function called with its value dropped (a bare statement, a
condition, an expression that drops it, a name never read) never runs."""
from __future__ import annotations

from typing import TYPE_CHECKING

from asyncmend.model import Finding, Fix, Rule

from .index import ProjectIndex
from .summary import CORO, REF, RETURNS_COROUTINE, RUNS_UNTIL_STOPPED, Binding, CallSite, ModuleSummary

if TYPE_CHECKING:
    import libcst as cst
    from libcst.codemod import CodemodContext

    from asyncmend.locate import Locator

AM101 = Rule(
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

AM102 = Rule(
    code="AM102",
    name="coroutine-called-sync",
    summary="Coroutine `{callee}()` is called from synchronous code and never runs",
    fix_safety="sometimes",
    doc="""\
## What it does
Finds calls to coroutine functions whose result is dropped in synchronous code: at a script's top
level, or in a plain function. Dropped means what it means for AM101 (`unawaited-coroutine`): the
call is a statement, only its truth is tested (`if f():` — a coroutine object is always true), the
expression statement around it drops it, or (in a plain function) it is assigned to a local name
never read; the same uses count as used.

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
A call that is not a statement of its own (tested, inside an expression, assigned) is reported
without a fix wherever it stands: `asyncio.run(...)` and a loop's task belong to statements.

## References
- [asyncio.run](https://docs.python.org/3/library/asyncio-runner.html#asyncio.run)
""",
)

RULES = (AM101, AM102)


def coroutine_source(call: CallSite, summary: ModuleSummary, index: ProjectIndex) -> str | None:
    """Where the callee was found to be a coroutine function ("module", "index", "typeshed",
    "package"), or None when it is not known to be one."""
    kind = call.target[0]
    if kind == "coro":
        return None if f"{summary.module}.{call.callee}" in index.rebound else "module"
    if kind == "qual":
        return index.creates_coroutine(call.target[1])
    if kind == "method":
        return "module" if index.self_method_creates_coroutine(call.target[1], call.target[2]) else None
    if kind == "super":
        return "index" if index.super_method_creates_coroutine(call.target[1], call.target[2]) else None
    if kind in ("instance", "annotated", "passed"):
        return index.instance_method_creates_coroutine(call.target[1], call.target[2], kind != "annotated")
    return None


def resolve(summary: ModuleSummary, index: ProjectIndex, mode: str = "await") -> list[Finding]:
    """The findings of this family for one summarised module, given the project index.

    ``mode`` is "await" or "task" (``--unawaited-fix``): how a call inside a coroutine is mended.
    """
    findings = []
    for call in summary.calls:
        if call.awaited:
            finding = _awaited_coroutine(call, summary, index)
            if finding is not None:
                findings.append(finding)
            continue
        if call.context not in ("async", "sync", "module"):
            continue
        source = coroutine_source(call, summary, index)
        if source is None:
            continue
        if call.target[0] == "annotated":
            rule, why, fix = AM101 if call.context == "async" else AM102, _ANNOTATED_NO_FIX, None
        elif (
            call.context == "async" and (mode != "task" or call.shape)
            and _callee_binding(call, index) == Binding(CORO, RUNS_UNTIL_STOPPED)
        ):
            rule, why, fix = AM101, _LOOPS_NO_FIX, None
        elif call.context == "async" and call.returns_nothing:
            rule, why, fix = AM101, _NOTHING_NO_FIX, None
        elif call.context == "async":
            rule, why, fix = AM101, "", _async_fix(call, summary, mode)
        else:
            rule, (why, fix) = AM102, _sync_fix(call, summary)
        if fix is not None:
            fix.params["via"] = source
        message = rule.summary.format(callee=call.callee) + _SHAPES[call.shape].format(name=call.bound) + why
        findings.append(
            Finding(
                path=summary.path, rule=rule.code, name=rule.name, message=message, line=call.line,
                col=call.col + 1, end_line=call.end_line, end_col=call.end_col + 1, fix=fix,
            )
        )
    return findings


def _callee_binding(call: CallSite, index: ProjectIndex) -> Binding | None:
    kind = call.target[0]
    if kind == "coro":
        return Binding(CORO, call.target[2])
    if kind == "qual":
        return index.resolve(call.target[1])
    if kind in ("method", "instance", "annotated", "passed"):
        return index.method(call.target[1], call.target[2])
    return None


def _awaited_coroutine(call: CallSite, summary: ModuleSummary, index: ProjectIndex) -> Finding | None:
    """``await f()`` where ``f`` is an ``async def`` annotated to return a coroutine: that one is dropped."""
    kind = call.target[0]
    binding = _callee_binding(call, index)
    if binding is None or binding.kind != CORO or binding.target != RETURNS_COROUTINE:
        return None
    message = f"Coroutine returned by `await {call.callee}()` is never awaited"
    if kind == "annotated":
        message, fix = message + _ANNOTATED_NO_FIX, None
    else:
        safety = "safe" if kind in ("coro", "qual", "instance") else "unsafe"
        fix = Fix("await-result", safety, {"via": "module" if kind == "coro" else "index"})
    return Finding(
        path=summary.path, rule=AM101.code, name=AM101.name, message=message,
        line=call.line, col=call.col + 1, end_line=call.end_line, end_col=call.end_col + 1, fix=fix,
    )


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

# A parameter's (or a variable's) annotation says what the code expects, not what it gets: another
# class (a subclass overriding the method, a test double) may come in at run time.
_ANNOTATED_NO_FIX = (
    "; no fix: the receiver's class is known only from an annotation, and another class may be "
    "passed at run time"
)


# How a call that is not a statement of its own drops its value (``CallSite.shape``), said in the message.
_SHAPES = {
    "": "",
    "tested": ": only its truth is tested, and a coroutine object is always true",
    "dropped": ": the expression around it drops its value",
    "assigned": ": it is assigned to `{name}`, which is never read",
}


def _async_fix(call: CallSite, summary: ModuleSummary, mode: str) -> Fix:
    # A parameter that every call in this module fills with ``Class(...)``: calls from other
    # modules are not in view, so the fix is a judgement call. A tested call: what runs next
    # now depends on the coroutine's result, which the code as written never looked at.
    safety = "unsafe" if call.target[0] == "passed" or call.shape == "tested" else "safe"
    if call.shape:
        return Fix("await-call", safety)
    if mode == "task" and call.alone and _asyncio_is_free(summary):
        return Fix("task", safety)
    return Fix("await", safety)


def _asyncio_is_free(summary: ModuleSummary) -> bool:
    return summary.names.get("asyncio") in (None, Binding(REF, "asyncio"))


def _sync_fix(call: CallSite, summary: ModuleSummary) -> tuple[str, Fix | None]:
    """The fix of an AM102 finding, or why there is none (the end of its message)."""
    plan = call.loop_plan
    if plan is not None:
        params = {"loop": plan["loop"], "anchor": plan["anchor"]}
        return "", Fix("loop-task", plan["safety"], params)
    if call.context == "module" and call.entry and not summary.module_loop and _asyncio_is_free(summary):
        return "", Fix("asyncio-run", "safe" if call.entry == "main-guard" else "unsafe")
    if call.context == "module" and not call.shape:
        return "; no fix: the module holds an event loop it does not plainly run", None
    return "; no fix: run it with `asyncio.run(...)` or from a coroutine (not decided for you)", None


def rewrite(module: "cst.Module", findings: list[Finding], locate: "Locator", context: "CodemodContext"):
    # Imported here: unawaited_rewrite loads LibCST, which `asyncmend check` never needs.
    from .unawaited_rewrite import rewrite as _rewrite

    return _rewrite(module, findings, locate, context)

