"""What each cancel filter means: which tasks a cancel-all statement leaves uncancelled.

A drain that waits on a task it never cancelled can hang, and a coroutine that gathers itself never
returns: so ``t is current_task()`` (cancel only the current task) and ``t is not current_task()``
(cancel all but the current task) must never be confused, nor ``t.done()`` with ``not t.done()``.
"""
from __future__ import annotations

import textwrap

import pytest

from asyncmend import engine
from asyncmend.config import Settings
from asyncmend.source import SourceFile
from codemods import drain
from codemods.drainfile import DrainFile

CURRENT = "asyncio.current_task()"


def _cancel(body: str):
    """The cancel-all statement recognised in ``async def shutdown(loop)`` with ``body``, or None."""
    code = "import asyncio\n\nasync def shutdown(loop):\n" + textwrap.indent(textwrap.dedent(body), "    ")
    file = DrainFile(SourceFile.from_bytes("t.py", code.encode()))
    [scope] = [s for s in file.scopes if getattr(s.node, "name", None) == "shutdown"]
    found = [c for c in (file.exprs.cancel_all(stmt, scope) for stmt in scope.statements) if c is not None]
    assert len(found) <= 1
    return found[0] if found else None


# (set expression, what it leaves out of asyncio.all_tasks(): "current", "" for nothing, None when
# the expression is not understood as a set of tasks at all)
TASK_SETS = [
    ("asyncio.all_tasks()", ""),
    ("list(asyncio.all_tasks())", ""),
    (f"[t for t in asyncio.all_tasks() if t is not {CURRENT}]", "current"),
    (f"[t for t in asyncio.all_tasks() if {CURRENT} is not t]", "current"),
    (f"[t for t in asyncio.all_tasks() if t != {CURRENT}]", "current"),
    (f"{{t for t in asyncio.all_tasks() if t is not {CURRENT} and not t.done()}}", "current"),
    ("[t for t in asyncio.all_tasks() if not t.done()]", ""),
    (f"asyncio.all_tasks() - {{{CURRENT}}}", "current"),
    (f"set(asyncio.all_tasks() - {{{CURRENT}}})", "current"),
    # filters that keep only the current task, or only finished ones, or unknown ones
    (f"[t for t in asyncio.all_tasks() if t is {CURRENT}]", None),
    (f"[t for t in asyncio.all_tasks() if {CURRENT} is t]", None),
    (f"[t for t in asyncio.all_tasks() if t == {CURRENT}]", None),
    ("[t for t in asyncio.all_tasks() if t.done()]", None),
    ("[t for t in asyncio.all_tasks() if t is not keep]", None),
    (f"[t for t in asyncio.all_tasks() if t is not {CURRENT} or t.done()]", None),
    (f"[t for t in asyncio.all_tasks() if not t is {CURRENT}]", None),
    ("asyncio.all_tasks() - {keep}", None),
    (f"asyncio.all_tasks() | {{{CURRENT}}}", None),
    ("[t for t in asyncio.all_tasks() for u in t]", None),
    ("[u for t in asyncio.all_tasks()]", None),
]


@pytest.mark.parametrize("expr, left_out", TASK_SETS, ids=[e for e, _ in TASK_SETS])
def test_task_set_filter(expr: str, left_out: str | None) -> None:
    cancel = _cancel(f"for t in {expr}:\n    t.cancel()\nloop.stop()\n")
    if left_out is None:
        assert cancel is None
        return
    assert cancel is not None and cancel.complete
    assert cancel.tasks.excludes_current is (left_out == "current")
    assert cancel.excludes_current is (left_out == "current")


# (loop body, complete: every task but those left out is cancelled, the current task left out)
LOOP_BODIES = [
    ("t.cancel()", True, False),
    (f"if t is not {CURRENT}:\n    t.cancel()", True, True),
    (f"if {CURRENT} is not t:\n    t.cancel()", True, True),
    (f"if t != {CURRENT}:\n    t.cancel()", True, True),
    (f"if t is {CURRENT}:\n    continue\nt.cancel()", True, True),
    (f"if {CURRENT} == t:\n    continue\nt.cancel()", True, True),
    ("if t.done():\n    continue\nt.cancel()", True, False),
    ("if not t.done():\n    t.cancel()", True, False),
    (f"if not t.done() and t is not {CURRENT}:\n    t.cancel()", True, True),
    ("me = 1\nif t is not me:\n    t.cancel()", False, False),  # ``me`` is not the current task
    # filters that cancel only the current task, only finished tasks, or tasks of unknown choosing
    (f"if t is {CURRENT}:\n    t.cancel()", False, False),
    (f"if t == {CURRENT}:\n    t.cancel()", False, False),
    (f"if t is not {CURRENT}:\n    continue\nt.cancel()", False, False),
    ("if t.done():\n    t.cancel()", False, False),
    ("if not t.done():\n    continue\nt.cancel()", False, False),
    ("if t is not keep:\n    t.cancel()", False, False),
    (f"t.cancel()\nif t is {CURRENT}:\n    continue", False, False),
    (f"if t is not {CURRENT} or t.done():\n    t.cancel()", False, False),
]


@pytest.mark.parametrize("body, complete, excludes", LOOP_BODIES, ids=[b for b, _, _ in LOOP_BODIES])
def test_loop_body_filter(body: str, complete: bool, excludes: bool) -> None:
    cancel = _cancel("for t in asyncio.all_tasks():\n" + textwrap.indent(body, "    ") + "\nloop.stop()\n")
    assert cancel is not None
    assert (cancel.complete, cancel.excludes_current) == (complete, excludes)
    assert cancel.tasks.excludes_current is False


def test_current_task_through_a_variable() -> None:
    cancel = _cancel(f"me = {CURRENT}\nfor t in asyncio.all_tasks():\n    if t is not me:\n        t.cancel()\n"
                     "loop.stop()\n")
    assert (cancel.complete, cancel.excludes_current) == (True, True)
    cancel = _cancel(f"me = {CURRENT}\nfor t in asyncio.all_tasks():\n    if t is me:\n        t.cancel()\n"
                     "loop.stop()\n")
    assert (cancel.complete, cancel.excludes_current) == (False, False)


@pytest.mark.parametrize(
    "comprehension, complete, excludes",
    [
        (f"[t.cancel() for t in asyncio.all_tasks() if t is not {CURRENT}]", True, True),
        ("[t.cancel() for t in asyncio.all_tasks() if not t.done()]", True, False),
        (f"[t.cancel() for t in asyncio.all_tasks() if t is {CURRENT}]", False, False),
        ("[t.cancel() for t in asyncio.all_tasks() if t.done()]", False, False),
    ],
)
def test_cancelling_comprehension_filter(comprehension: str, complete: bool, excludes: bool) -> None:
    cancel = _cancel(comprehension + "\nloop.stop()\n")
    assert (cancel.complete, cancel.excludes_current) == (complete, excludes)


# End to end: a coroutine that cancels and stops the loop. Its safe fix gathers the cancelled tasks
# before stop(); it must never gather a task left running (that wait can hang) or itself.

STOPPING = """\
import asyncio

async def shutdown(loop):
    for t in asyncio.all_tasks():
{body}
    loop.stop()
"""


def _stopping(body: str) -> str:
    return STOPPING.format(body=textwrap.indent(textwrap.dedent(body), "        "))


@pytest.mark.parametrize(
    "body",
    [
        f"if t is {CURRENT}:\n    t.cancel()",
        f"if t == {CURRENT}:\n    t.cancel()",
        f"if t is not {CURRENT}:\n    continue\nt.cancel()",
        "if t.done():\n    t.cancel()",
    ],
)
def test_a_filter_that_keeps_tasks_running_gets_no_fix(body: str) -> None:
    [finding] = drain.check(SourceFile.from_bytes("t.py", _stopping(body).encode()))
    assert finding.rule == "AM201" and finding.fix is None


def test_filter_leaving_out_the_current_task_gathers_the_cancelled_ones() -> None:
    code = _stopping(f"if t is not {CURRENT}:\n    t.cancel()")
    [finding] = drain.check(SourceFile.from_bytes("t.py", code.encode()))
    assert finding.fix is not None and finding.fix.safety == "safe"
    new = engine.fix_source(code, Settings(jobs=1)).new
    assert new == (
        "import asyncio\n\nasync def shutdown(loop):\n"
        f"    tasks = [t for t in asyncio.all_tasks() if t is not {CURRENT}]\n"
        "    for t in tasks:\n"
        f"        if t is not {CURRENT}:\n            t.cancel()\n"
        "    await asyncio.gather(*tasks, return_exceptions=True)\n"
        "    loop.stop()\n"
    )


def test_cancel_of_every_task_gathers_all_but_the_current_one() -> None:
    code = _stopping("t.cancel()")
    new = engine.fix_source(code, Settings(jobs=1)).new
    assert f"    tasks = [t for t in asyncio.all_tasks() if t is not {CURRENT}]\n" in new
