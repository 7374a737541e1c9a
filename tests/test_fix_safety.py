"""The unawaited family's decisions, one at a time: which finding, which fix, how safe, and why.

Each case is one small module; the assertion is the whole list of (line, rule, fix action, safety,
``via``) and, where it says why no fix is offered, the message. Fast enough for mutation testing.
"""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from asyncmend import engine
from asyncmend.config import Settings


def _found(code: str, mode: str = "await") -> list[tuple]:
    result = engine.check([], Settings(jobs=1, unawaited_fix=mode), stdin_text=textwrap.dedent(code))
    return [
        (f.line, f.rule, f.fix.action if f.fix else None, f.fix.safety if f.fix else None,
         f.fix.params.get("via") if f.fix else None)
        for f in result.findings
    ]


def _messages(code: str) -> list[str]:
    return [f.message for f in engine.check([], Settings(jobs=1), stdin_text=textwrap.dedent(code)).findings]


def _fixed(code: str, unsafe: bool) -> str:
    result = engine.fix_source(textwrap.dedent(code), Settings(jobs=1, unsafe_fixes=unsafe))
    assert result.error is None, result.error
    return result.new


CORO = "import asyncio\n\nasync def work():\n    pass\n\n"
ASKS = CORO.replace("pass", "return True")  # a result worth testing


# AM102: a coroutine called in synchronous code


def test_script_entry_gets_a_safe_asyncio_run() -> None:
    code = CORO + "if __name__ == '__main__':\n    work()\n"
    assert _found(code) == [(7, "AM102", "asyncio-run", "safe", "module")]
    assert _fixed(code, unsafe=False).endswith("if __name__ == '__main__':\n    asyncio.run(work())\n")


def test_top_level_call_outside_a_guard_gets_an_unsafe_asyncio_run() -> None:
    code = CORO + "work()\n"
    assert _found(code) == [(6, "AM102", "asyncio-run", "unsafe", "module")]
    assert _fixed(code, unsafe=False) == code
    assert _fixed(code, unsafe=True).endswith("\nasyncio.run(work())\n")


def test_module_that_holds_its_own_loop_gets_no_asyncio_run() -> None:
    code = CORO + "loop = asyncio.new_event_loop()\nif __name__ == '__main__':\n    work()\n"
    [(line, rule, action, _, _)] = _found(code)
    assert (line, rule, action) == (8, "AM102", None)
    assert _messages(code) == [
        "Coroutine `work()` is called from synchronous code and never runs; no fix: the module holds an "
        "event loop it does not plainly run"
    ]


def test_asyncio_name_taken_means_no_asyncio_run() -> None:
    code = "asyncio = None\n\nasync def work():\n    pass\n\nif __name__ == '__main__':\n    work()\n"
    assert _found(code) == [(7, "AM102", None, None, None)]
    code = "import trio as asyncio\n\nasync def work():\n    pass\n\nif __name__ == '__main__':\n    work()\n"
    assert _found(code) == [(7, "AM102", None, None, None)]


def test_plain_function_gets_no_fix_and_says_why() -> None:
    code = CORO + "def helper():\n    work()\n"
    assert _found(code) == [(7, "AM102", None, None, None)]
    assert _messages(code) == [
        "Coroutine `work()` is called from synchronous code and never runs; no fix: run it with "
        "`asyncio.run(...)` or from a coroutine (not decided for you)"
    ]


def test_loop_in_hand_gets_a_loop_task() -> None:
    code = CORO + "def main():\n    loop = asyncio.new_event_loop()\n    work()\n    loop.close()\n"
    [(line, rule, action, safety, via)] = _found(code)
    assert (line, rule, action, safety, via) == (8, "AM102", "loop-task", "safe", "module")
    code = CORO + "def main():\n    loop = asyncio.get_event_loop()\n    work()\n"
    assert _found(code) == [(8, "AM102", "loop-task", "unsafe", "module")]


# AM101: a coroutine called in a coroutine


def test_module_coroutine_gets_a_safe_await() -> None:
    assert _found(CORO + "async def main():\n    work()\n") == [(7, "AM101", "await", "safe", "module")]


def test_rebound_coroutine_is_not_known() -> None:
    assert _found(CORO + "work = print\n\nasync def main():\n    work()\n") == []


def test_typeshed_coroutine_gets_a_safe_await() -> None:
    assert _found("import asyncio\n\nasync def main():\n    asyncio.sleep(1)\n") == [
        (4, "AM101", "await", "safe", "typeshed")
    ]


def test_self_method_and_instance_and_annotated_receivers() -> None:
    code = """\
        class Client:
            async def send(self):
                pass

            async def run(self):
                self.send()

        async def main(annotated: Client):
            made = Client()
            made.send()
            annotated.send()
            Client.send(made)
        """
    assert _found(code) == [
        (6, "AM101", "await", "safe", "module"),
        (10, "AM101", "await", "safe", "index"),
        (11, "AM101", None, None, None),  # only an annotation says what it is, and no call shows it
        (12, "AM101", "await", "safe", "index"),
    ]


def test_subclass_override_counts_only_when_the_receiver_may_be_a_subclass() -> None:
    # ``Recorder`` overrides ``send`` with a plain method. ``made`` is built by calling ``Client`` and
    # every caller of ``use`` passes a ``Client(...)``: their ``send`` is the coroutine. ``annotated``
    # may be a ``Recorder``, whose ``send()`` would not be awaitable: no finding.
    code = """\
        class Client:
            async def send(self):
                pass

        class Recorder(Client):
            def send(self):
                pass

        async def use(passed: Client):
            passed.send()

        async def main(annotated: Client):
            made = Client()
            made.send()
            annotated.send()
            await use(Client())
        """
    assert _found(code) == [
        (10, "AM101", "await", "unsafe", "index"),  # other modules' callers are not in view
        (14, "AM101", "await", "safe", "index"),
    ]


def test_super_method() -> None:
    code = """\
        class Base:
            async def close(self):
                pass

        class Child(Base):
            async def close(self):
                super().close()
        """
    assert _found(code) == [(7, "AM101", "await", "safe", "index")]


def test_self_method_that_is_plain_is_not_a_coroutine() -> None:
    code = "class C:\n    def send(self):\n        pass\n\n    async def run(self):\n        self.send()\n"
    assert _found(code) == []


@pytest.mark.parametrize(
    "mode, action",
    [("await", "await"), ("task", "task")],
)
def test_task_mode(mode: str, action: str) -> None:
    assert _found(CORO + "async def main():\n    work()\n", mode) == [(7, "AM101", action, "safe", "module")]


def test_task_mode_needs_the_call_alone_and_asyncio_free() -> None:
    # a call that is part of a larger expression is awaited, whatever the mode
    assert _found(ASKS + "async def main():\n    work() or 1\n", "task") == [(7, "AM101", "await-call", "unsafe", "module")]
    assert _found(CORO + "async def main():\n    x = [work()]\n", "task") == []
    code = "import trio as asyncio\n\nasync def work():\n    pass\n\nasync def main():\n    work()\n"
    assert _found(code, "task") == [(7, "AM101", "await", "safe", "module")]


def test_annotated_receiver_in_synchronous_code_says_why_there_is_no_fix() -> None:
    code = "class C:\n    async def go(self):\n        pass\n\ndef main(c: C):\n    c.go()\n"
    assert _found(code) == [(6, "AM102", None, None, None)]
    assert _messages(code) == [
        "Coroutine `c.go()` is called from synchronous code and never runs; no fix: the receiver's class is "
        "known only from an annotation, and another class may be passed at run time"
    ]


def test_task_mode_with_annotated_receiver_gets_no_fix() -> None:
    code = "class C:\n    async def go(self):\n        pass\n\nasync def main(c: C):\n    c.go()\n"
    assert _found(code, "task") == [(6, "AM101", None, None, None)]
    # a call in view that passes the class itself is the evidence an annotation lacks
    called = code + "\nasync def entry():\n    await main(C())\n"
    assert _found(called, "task") == [(6, "AM101", "task", "unsafe", "index")]


LOOPS = """\
import asyncio

async def reader(source):
    while True:
        await source.get()

class Holder:
    reader(None)

async def main(source):
    reader(source)

def start(source):
    reader(source)
"""


def test_a_coroutine_that_loops_until_stopped_gets_a_task_or_nothing() -> None:
    # Awaiting it would hold ``main`` until an error: only task mode mends it. The call in the class
    # body (not judged) comes first and does not end the judging of the calls after it.
    assert _found(LOOPS) == [(11, "AM101", None, None, None), (14, "AM102", None, None, None)]
    assert _found(LOOPS, "task") == [(11, "AM101", "task", "safe", "module"), (14, "AM102", None, None, None)]
    assert _messages(LOOPS)[0] == (
        "Coroutine `reader()` is called but never awaited; no fix: it loops until stopped (`while True` left "
        "only on an error), so awaiting it here would hold this coroutine until then; a background task "
        "(`asyncio.create_task`) may be what was meant"
    )


# AM101 on ``await f()`` where f returns another coroutine


FACTORY = """\
from collections.abc import Coroutine
from typing import Any

async def ping():
    pass

class Client:
    async def factory(self) -> Coroutine[Any, Any, None]:
        return ping()

    async def run(self):
        await self.factory()

async def factory() -> Coroutine[Any, Any, None]:
    return ping()

async def main(annotated: Client):
    await factory()
    await Client().factory()
    made = Client()
    await made.factory()
    await annotated.factory()
    await ping()
"""


def test_awaited_coroutine_factory_safety_by_receiver() -> None:
    assert _found(FACTORY) == [
        (12, "AM101", "await-result", "unsafe", "index"),
        (18, "AM101", "await-result", "safe", "module"),
        (19, "AM101", "await-result", "safe", "index"),  # ``Client()`` built right there
        (21, "AM101", "await-result", "safe", "index"),
        (22, "AM101", None, None, None),
    ]
    assert _messages(FACTORY)[0] == "Coroutine returned by `await self.factory()` is never awaited"


def test_awaited_coroutine_factory_on_a_passed_receiver() -> None:
    # every call in view passes a ``Client(...)``; callers in other modules are not in view
    code = FACTORY + "\nasync def use(passed: Client):\n    await passed.factory()\n\nasync def go():\n    await use(Client())\n"
    assert _found(code)[-1] == (26, "AM101", "await-result", "unsafe", "index")


def test_awaited_factory_fix_only_where_safe() -> None:
    new = _fixed(FACTORY, unsafe=False)
    assert "    await (await factory())\n" in new
    assert "    await (await made.factory())\n" in new
    assert "        await self.factory()\n" in new and "    await annotated.factory()\n" in new
    new = _fixed(FACTORY, unsafe=True)
    assert "        await (await self.factory())\n" in new and "    await annotated.factory()\n" in new


def test_imported_coroutine_through_the_index(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "store.py").write_text("async def save():\n    pass\n\ndef plain():\n    pass\n")
    (tmp_path / "app.py").write_text("from store import save, plain\n\nasync def main():\n    save()\n    plain()\n")
    run = engine.check([str(tmp_path / "app.py")], Settings(jobs=1))
    assert [(f.line, f.rule, f.fix.safety, f.fix.params["via"]) for f in run.findings] == [(4, "AM101", "safe", "index")]


def test_every_field_of_a_finding() -> None:
    code = CORO + "async def main():\n    work()\n\nasync def f() -> 'Coroutine':\n    pass\n"
    [finding] = engine.check([], Settings(jobs=1), stdin_text=code).findings
    assert finding.to_dict() == {
        "path": "-", "line": 7, "col": 5, "end_line": 7, "end_col": 11, "rule": "AM101",
        "name": "unawaited-coroutine", "message": "Coroutine `work()` is called but never awaited",
        "fixable": True, "fix_safety": "safe",
    }
    [finding] = engine.check([], Settings(jobs=1), stdin_text=textwrap.dedent(FACTORY)).findings[1:2]
    assert finding.to_dict() == {
        "path": "-", "line": 18, "col": 5, "end_line": 18, "end_col": 20, "rule": "AM101",
        "name": "unawaited-coroutine", "message": "Coroutine returned by `await factory()` is never awaited",
        "fixable": True, "fix_safety": "safe",
    }


def test_loop_task_plan_carries_the_loop_and_anchor() -> None:
    code = CORO + "def main():\n    loop = asyncio.new_event_loop()\n    work()\n    loop.close()\n"
    [finding] = engine.check([], Settings(jobs=1), stdin_text=code).findings
    assert sorted(finding.fix.params) == ["anchor", "loop", "via"] and finding.fix.params["loop"] == "loop"


def test_awaited_factory_from_another_module(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "store.py").write_text(
        "from collections.abc import Coroutine\nfrom typing import Any\n\nasync def ping():\n    pass\n\n"
        "async def factory() -> Coroutine[Any, Any, None]:\n    return ping()\n"
    )
    (tmp_path / "app.py").write_text("import store\n\nasync def main():\n    await store.factory()\n")
    run = engine.check([str(tmp_path / "app.py")], Settings(jobs=1))
    assert [(f.line, f.rule, f.fix.action, f.fix.safety) for f in run.findings] == [(4, "AM101", "await-result", "safe")]


def test_several_calls_are_all_judged() -> None:
    code = CORO + "async def main(x):\n    await x\n    print()\n    work()\n\ndef g():\n    [work() for _ in ()]\n    work()\n"
    assert [(line, rule) for line, rule, *_ in _found(code)] == [(9, "AM101"), (13, "AM102")]
    # An awaited call and a call known not to make a coroutine, each before the bare call, do not end
    # the judging of the function's calls.
    code = CORO + "import logging\n\nasync def main():\n    await work()\n    logging.info('sent')\n    work()\n"
    assert _found(code) == [(11, "AM101", "await", "safe", "module")]


def test_super_method_that_is_plain_is_not_a_coroutine() -> None:
    code = "class Base:\n    def close(self):\n        pass\n\nclass Child(Base):\n    async def close(self):\n        super().close()\n"
    assert _found(code) == []


# AM101/AM102 beyond bare statements: tested, dropped by an expression, assigned and never read


def test_a_tested_coroutine_gets_an_unsafe_fix_the_others_a_safe_one() -> None:
    code = ASKS + (
        "async def main(a):\n"
        "    if work():\n        pass\n"
        "    a and work()\n"
        "    done = work()\n"
        "    work() or a\n"
    )
    assert _found(code) == [
        (7, "AM101", "await-call", "unsafe", "module"),
        (9, "AM101", "await-call", "safe", "module"),
        (10, "AM101", "await-call", "safe", "module"),
        (11, "AM101", "await-call", "unsafe", "module"),
    ]
    assert _messages(code)[2] == (
        "Coroutine `work()` is called but never awaited: it is assigned to `done`, which is never read"
    )


def test_dropped_beyond_statements_in_sync_code_is_reported_without_fix() -> None:
    code = ASKS + "def main():\n    if work():\n        pass\n\nif work():\n    pass\n"
    assert _found(code) == [(7, "AM102", None, None, None), (10, "AM102", None, None, None)]
    assert all(m.endswith("(not decided for you)") for m in _messages(code))


def test_a_looping_coroutine_tested_or_assigned_gets_no_fix_even_in_task_mode() -> None:
    code = "async def serve():\n    while True:\n        pass\n\nasync def main():\n    server = serve()\n"
    assert _found(code, mode="task") == [(6, "AM101", None, None, None)]


def test_await_goes_inside_the_calls_own_parentheses() -> None:
    code = ASKS + "async def main(a):\n    if not(work()) or a:\n        x = (\n            work()\n        )\n"
    assert _fixed(code, unsafe=True) == ASKS + (
        "async def main(a):\n    if not(await work()) or a:\n        x = (\n            await work()\n        )\n"
    )
    assert _fixed(code, unsafe=False) == ASKS + (
        "async def main(a):\n    if not(work()) or a:\n        x = (\n            await work()\n        )\n"
    )


def test_a_tested_coroutine_that_returns_nothing_gets_no_fix() -> None:
    code = (
        "async def flush():\n    pass\n\nasync def ready():\n    return True\n\n"
        "class Link:\n    async def close(self):\n        return\n\n"
        "    async def run(self):\n        if flush() or not self.close():\n            pass\n"
        "        x = flush()\n        ready() and flush()\n"
    )
    assert _found(code) == [
        (12, "AM101", None, None, None),
        (12, "AM101", None, None, None),
        (14, "AM101", "await-call", "safe", "module"),
        (15, "AM101", "await-call", "unsafe", "module"),
        (15, "AM101", "await-call", "safe", "module"),
    ]
    assert _messages(code)[0].endswith("; no fix: it returns nothing, so awaited the test would always be false; "
                                       "what it should test is not decided for you")
