"""What each cancel filter means: which tasks a cancel-all statement leaves uncancelled.

A drain that waits on a task it never cancelled can hang, and a coroutine that gathers itself never
returns: so ``t is current_task()`` (cancel only the current task) and ``t is not current_task()``
(cancel all but the current task) must never be confused, nor ``t.done()`` with ``not t.done()``.
"""
from __future__ import annotations

import ast
import textwrap

import pytest

from asyncmend import engine
from asyncmend.config import Settings
from asyncmend.source import SourceFile
from asyncmend.codemods.registry import DRAIN
from asyncmend.codemods.drain.drainfile import DrainFile

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
    [finding] = DRAIN.check(SourceFile.from_bytes("t.py", _stopping(body).encode()))
    assert finding.rule == "AM201" and finding.fix is None


def test_filter_leaving_out_the_current_task_gathers_the_cancelled_ones() -> None:
    code = _stopping(f"if t is not {CURRENT}:\n    t.cancel()")
    [finding] = DRAIN.check(SourceFile.from_bytes("t.py", code.encode()))
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


# The other questions cancel recognition asks: is this an event loop, which loop is in reach, is
# ``list`` still the builtin.


def _file_and_scope(code: str, function: str = "f"):
    file = DrainFile(SourceFile.from_bytes("t.py", textwrap.dedent(code).encode()))
    [scope] = [s for s in file.scopes if getattr(s.node, "name", None) == function]
    return file, scope


def _last_expr(scope):
    return [s for s in scope.statements if isinstance(s, ast.Expr)][-1].value


@pytest.mark.parametrize(
    "code, is_loop",
    [
        ("def f(loop):\n    loop\n", True),
        ("def f(main_LOOP):\n    main_LOOP\n", True),
        ("def f(self):\n    self._loop\n", True),
        ("def f(self):\n    self.event_Loop\n", True),
        ("def f(self):\n    self.runner\n", False),
        ("import asyncio\ndef f():\n    asyncio.get_event_loop()\n", True),
        ("import asyncio\ndef f():\n    asyncio.new_event_loop()\n", True),
        ("import asyncio\ndef f():\n    asyncio.events.get_running_loop()\n", True),
        ("import asyncio\ndef f():\n    asyncio.get_event_loop_policy()\n", False),
        ("import asyncio\ndef f():\n    l = asyncio.new_event_loop()\n    l\n", True),
        ("import asyncio\ndef f():\n    l = make()\n    l\n", False),
        ("import asyncio\ndef f():\n    l = asyncio.new_event_loop()\n    l = other()\n    l\n", False),
        ("def f(runner):\n    runner\n", False),
        ("def f(x):\n    x[0]\n", False),
    ],
)
def test_is_loop(code: str, is_loop: bool) -> None:
    file, scope = _file_and_scope(code)
    assert file.exprs.is_loop(_last_expr(scope), scope) is is_loop


@pytest.mark.parametrize(
    "code, loop",
    [
        ("import asyncio\ndef f(loop, x):\n    asyncio.all_tasks()\n", "loop"),
        ("import asyncio\ndef f(self):\n    self.loop = asyncio.new_event_loop()\n    asyncio.all_tasks()\n",
         "self.loop"),
        ("import asyncio\ndef f(self):\n    asyncio.all_tasks()\n    self.loop = asyncio.new_event_loop()\n", None),
        ("import asyncio\ndef f(self):\n    self.loop = asyncio.new_event_loop()\n    self.loop = None\n"
         "    asyncio.all_tasks()\n", None),
        ("import asyncio\ndef f(self):\n    self.loop = make()\n    asyncio.all_tasks()\n", None),
        ("import asyncio\ndef f(self):\n    self.a = self.b = asyncio.new_event_loop()\n    asyncio.all_tasks()\n",
         None),
        ("import asyncio\ndef f():\n    ev = asyncio.new_event_loop()\n    asyncio.all_tasks()\n", "ev"),
        ("import asyncio\ndef f():\n    asyncio.all_tasks()\n    ev = asyncio.new_event_loop()\n", None),
        ("import asyncio\ndef f():\n    ev = asyncio.new_event_loop()\n    ev = 1\n    asyncio.all_tasks()\n", None),
        ("import asyncio\nev = asyncio.new_event_loop()\ndef f():\n    asyncio.all_tasks()\n", "ev"),
        ("import asyncio\nev = asyncio.new_event_loop()\ndef f():\n    ev = 2\n    asyncio.all_tasks()\n", None),
        ("import asyncio\nfirst = 1\nmain_loop = asyncio.new_event_loop()\ndef f():\n    asyncio.all_tasks()\n",
         "main_loop"),
        ("import asyncio\ndef f():\n    asyncio.all_tasks()\n", None),
        # names with "loop" in them are preferred; a module name the function rebinds is passed over
        ("import asyncio\naaa = asyncio.new_event_loop()\nmy_loop = asyncio.new_event_loop()\n"
         "def f():\n    asyncio.all_tasks()\n", "my_loop"),
        ("import asyncio\nmy_loop = asyncio.new_event_loop()\nzz_loop = asyncio.new_event_loop()\n"
         "def f():\n    my_loop = 1\n    asyncio.all_tasks()\n", "zz_loop"),
        ("import asyncio\ndef f(self):\n    self.n: int = 1\n    self.n += 1\n"
         "    self.loop = asyncio.new_event_loop()\n    asyncio.all_tasks()\n", "self.loop"),
    ],
)
def test_loop_in_reach(code: str, loop: str | None) -> None:
    file, scope = _file_and_scope(code)
    call = _last_expr(scope) if isinstance(_last_expr(scope), ast.Call) and "all_tasks" in ast.unparse(
        _last_expr(scope)) else next(
        n for n in ast.walk(scope.node) if isinstance(n, ast.Call) and ast.unparse(n) == "asyncio.all_tasks()")
    assert file.exprs.loop_in_reach(scope, file.module, call) == loop


def test_shadowed_wrapper_is_not_the_builtin() -> None:
    assert _cancel("for t in list(asyncio.all_tasks()):\n    t.cancel()\nloop.stop()\n").tasks.kind == "list"
    assert _cancel("for t in tuple(asyncio.all_tasks()):\n    t.cancel()\nloop.stop()\n").tasks.kind == "tuple"
    assert _cancel("for t in {t for t in asyncio.all_tasks()}:\n    t.cancel()\nloop.stop()\n").tasks.kind == "set"
    assert _cancel("for t in (t for t in asyncio.all_tasks()):\n    t.cancel()\nloop.stop()\n").tasks.kind == \
        "generator"
    code = "import asyncio\nlist = sorted\n\nasync def shutdown(loop):\n    for t in list(asyncio.all_tasks()):\n" \
           "        t.cancel()\n    loop.stop()\n"
    file = DrainFile(SourceFile.from_bytes("t.py", code.encode()))
    [scope] = [s for s in file.scopes if getattr(s.node, "name", None) == "shutdown"]
    assert all(file.exprs.cancel_all(s, scope) is None for s in scope.statements)
    assert _cancel("for t in list(asyncio.all_tasks(), 1):\n    t.cancel()\nloop.stop()\n") is None
    assert _cancel("for t in list(asyncio.all_tasks(), key=1):\n    t.cancel()\nloop.stop()\n") is None


@pytest.mark.parametrize(
    "expr, loop",
    [
        ("asyncio.all_tasks()", None),
        ("asyncio.all_tasks(loop)", "loop"),
        ("asyncio.all_tasks(loop=loop)", "loop"),
        ("asyncio.Task.all_tasks(loop)", "loop"),
        ("asyncio.tasks.all_tasks()", None),
    ],
)
def test_task_set_loop_argument(expr: str, loop: str | None) -> None:
    cancel = _cancel(f"for t in {expr}:\n    t.cancel()\nloop.stop()\n")
    assert cancel is not None
    assert (ast.unparse(cancel.tasks.loop) if cancel.tasks.loop is not None else None) == loop
    assert ast.unparse(cancel.tasks.call) == expr


def test_not_a_cancel_all() -> None:
    assert _cancel("for t in asyncio.all_tasks():\n    print(t)\nloop.stop()\n") is None
    assert _cancel("for t in asyncio.current_task():\n    t.cancel()\nloop.stop()\n") is None
    assert _cancel("for t in asyncio.all_tasks():\n    t.cancel()\nelse:\n    pass\nloop.stop()\n") is None
    assert _cancel("for a, b in asyncio.all_tasks():\n    a.cancel()\nloop.stop()\n") is None
    assert _cancel("for t in asyncio.all_tasks():\n    u.cancel()\nloop.stop()\n") is None
    assert _cancel("[u.cancel() for t in asyncio.all_tasks()]\nloop.stop()\n") is None
    assert _cancel("[t.cancel() for t in asyncio.all_tasks() for u in t]\nloop.stop()\n") is None
    assert _cancel("(t.cancel() for t in asyncio.all_tasks())\nloop.stop()\n") is None
    tasks = _cancel("tasks = asyncio.all_tasks()\nfor t in tasks:\n    t.cancel()\nloop.stop()\n")
    assert (tasks.via, tasks.assign is not None) == ("tasks", True)
    assert _cancel("for t in tasks:\n    t.cancel()\ntasks = asyncio.all_tasks()\nloop.stop()\n") is None
    assert _cancel("tasks = asyncio.all_tasks()\ntasks = []\nfor t in tasks:\n    t.cancel()\nloop.stop()\n") is None


@pytest.mark.parametrize(
    "body, complete",
    [
        ("print(t)\nt.cancel()", True),
        ("log.info('x', t)\nt.cancel()", True),
        ("t.cancel()\nt.uncancel()", False),
        ("t.cancel()\nloop.stop()", False),
        ("t.cancel()\nx = 1", False),
        ("t.cancel()\nprint(await t)", False),
        ("with contextlib.suppress(Exception):\n    t.cancel()", True),
        ("with open(t):\n    t.cancel()", False),
        ("if t.done():\n    continue\nif not t.done():\n    t.cancel()", True),
        ("if not t.done():\n    if t is not asyncio.current_task():\n        t.cancel()", True),
        ("if not t.done():\n    if t is asyncio.current_task():\n        t.cancel()", False),
        ("if t.done():\n    continue\nelse:\n    pass\nt.cancel()", False),
        ("if not t.done():\n    t.cancel()\nelse:\n    pass", False),
        ("if t.done():\n    pass\nt.cancel()", False),
        ("if t.done():\n    continue\n    print(t)\nt.cancel()", False),
    ],
)
def test_loop_body_shapes(body: str, complete: bool) -> None:
    code = "import contextlib\nfor t in asyncio.all_tasks():\n" + textwrap.indent(body, "    ") + "\nloop.stop()\n"
    cancel = _cancel(code)
    assert cancel is not None and cancel.complete is complete
