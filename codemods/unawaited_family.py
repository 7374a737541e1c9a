"""Unawaited coroutines: a coroutine function called as a bare statement never runs."""
from __future__ import annotations

from typing import TYPE_CHECKING

from asyncmend.model import Finding, Fix, Rule

from asyncmend.semantic.types import ANNOTATED, NEW, PASSED

from .index import SELF, ProjectIndex
from .summary import CORO, REF, RETURNS_COROUTINE, RUNS_UNTIL_STOPPED, Binding, CallSite, ModuleSummary

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


def receiver_kind(call: CallSite, index: ProjectIndex) -> str:
    """The kind of a call's target, with a typed receiver's evidence read: ``self.db.save()`` on
    ``self.db = Database()`` is an "instance" call, on ``db: Database`` an "annotated" one."""
    kind = call.target[0]
    if kind != "typed":
        return kind
    found = index.type_of(call.target[1])
    if found is None or found[0] == "cm":
        return "unknown"
    return {NEW: "instance", PASSED: "passed", ANNOTATED: "annotated", SELF: "method"}[found[0]]


def _receiver_class(call: CallSite, index: ProjectIndex) -> str:
    return index.type_of(call.target[1])[1] if call.target[0] == "typed" else call.target[1]


def coroutine_source(call: CallSite, summary: ModuleSummary, index: ProjectIndex) -> str | None:
    """Where the callee was found to be a coroutine function ("module", "index", "typeshed",
    "package"), or None when it is not known to be one."""
    kind = receiver_kind(call, index)
    if kind == "unknown":
        return None
    if call.target[0] == "typed":
        cls, name = _receiver_class(call, index), call.target[2]
        if kind == "method":
            return "index" if index.self_method_creates_coroutine(cls, name) else None
        return index.instance_method_creates_coroutine(cls, name, kind != "annotated")
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
        kind = receiver_kind(call, index)
        if kind == "annotated":
            rule = AM101 if call.context == "async" else AM102
            message, fix = rule.summary.format(callee=call.callee) + _ANNOTATED_NO_FIX, None
        elif (
            call.context == "async" and mode != "task"
            and _callee_binding(call, index) == Binding(CORO, RUNS_UNTIL_STOPPED)
        ):
            rule, message, fix = AM101, AM101.summary.format(callee=call.callee) + _LOOPS_NO_FIX, None
        elif call.context == "async":
            rule, message, fix = AM101, AM101.summary.format(callee=call.callee), _async_fix(call, kind, summary, mode)
            fix.params["via"] = source
        else:
            rule, message, fix = AM102, *_sync_fix(call, summary)
            if fix is not None:
                fix.params["via"] = source
        findings.append(
            Finding(
                path=summary.path, rule=rule.code, name=rule.name, message=message, line=call.line,
                col=call.col + 1, end_line=call.end_line, end_col=call.end_col + 1, fix=fix,
            )
        )
    return findings


def _callee_binding(call: CallSite, index: ProjectIndex) -> Binding | None:
    kind = receiver_kind(call, index)
    if kind == "coro":
        return Binding(CORO, call.target[2])
    if kind == "qual":
        return index.resolve(call.target[1])
    if kind in ("method", "instance", "annotated", "passed"):
        return index.method(_receiver_class(call, index), call.target[2])
    return None


def _awaited_coroutine(call: CallSite, summary: ModuleSummary, index: ProjectIndex) -> Finding | None:
    """``await f()`` where ``f`` is an ``async def`` annotated to return a coroutine: that one is dropped."""
    kind = receiver_kind(call, index)
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

# A parameter's (or a variable's) annotation says what the code expects, not what it gets: another
# class (a subclass overriding the method, a test double) may come in at run time.
_ANNOTATED_NO_FIX = (
    "; no fix: the receiver's class is known only from an annotation, and another class may be "
    "passed at run time"
)


def _async_fix(call: CallSite, kind: str, summary: ModuleSummary, mode: str) -> Fix:
    # A parameter that every call in this module fills with ``Class(...)``: calls from other
    # modules are not in view, so the fix is a judgement call.
    safety = "unsafe" if kind == "passed" else "safe"
    if mode == "task" and call.alone and _asyncio_is_free(summary):
        return Fix("task", safety)
    return Fix("await", safety)


def _asyncio_is_free(summary: ModuleSummary) -> bool:
    return summary.names.get("asyncio") in (None, Binding(REF, "asyncio"))


def _sync_fix(call: CallSite, summary: ModuleSummary) -> tuple[str, Fix | None]:
    message = AM102.summary.format(callee=call.callee)
    plan = call.loop_plan
    if plan is not None:
        params = {"loop": plan["loop"], "anchor": plan["anchor"]}
        return message, Fix("loop-task", plan["safety"], params)
    if call.context == "module" and call.entry and not summary.module_loop and _asyncio_is_free(summary):
        return message, Fix("asyncio-run", "safe" if call.entry == "main-guard" else "unsafe")
    if call.context == "module":
        return message + "; no fix: the module holds an event loop it does not plainly run", None
    return message + "; no fix: run it with `asyncio.run(...)` or from a coroutine (not decided for you)", None


def rewrite(module: "cst.Module", findings: list[Finding], locate: "Locator", context: "CodemodContext"):
    # Imported here: unawaited_rewrite loads LibCST, which `asyncmend check` never needs.
    from .unawaited_rewrite import rewrite as _rewrite

    return _rewrite(module, findings, locate, context)

