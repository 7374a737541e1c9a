"""The thread analysis and the threads family on small sources: what is and is not thread code."""
from __future__ import annotations

import ast
import textwrap

import pytest

from asyncmend.source import SourceFile
from asyncmend.codemods import threads_family
from asyncmend.codemods.threadflow import ThreadFlow


def _thread_functions(code: str) -> dict[str, bool]:
    flow = ThreadFlow(ast.parse(textwrap.dedent(code)))
    return {getattr(c.node, "name", "<lambda>"): c.explicit for c in flow.code.values()}


def _rules(code: str) -> list[tuple[str, int, str | None]]:
    src = SourceFile.from_bytes("m.py", textwrap.dedent(code).encode())
    return [(f.rule, f.line, f.fix.safety if f.fix else None) for f in threads_family.check(src)]


@pytest.mark.parametrize(
    "code, expected",
    [
        ("import threading as th\ndef w(): pass\nth.Thread(None, w).start()", {"w": False}),
        ("from threading import Timer\ndef w(): pass\nTimer(1, function=w)", {"w": False}),
        ("import _thread\ndef w(a): pass\n_thread.start_new_thread(w, (1,))", {"w": False}),
        ("import asyncio\ndef w(): pass\nasync def m():\n    await asyncio.to_thread(w)", {"w": False}),
        ("def w(): pass\nasync def m(loop):\n    await loop.run_in_executor(None, w)", {"w": False}),
        (
            "from concurrent.futures import ThreadPoolExecutor as P\ndef w(x): pass\n"
            "with P() as ex:\n    list(ex.map(w, [1]))",
            {"w": False},
        ),
        ("import threading\nasync def m():\n    def w(): pass\n    threading.Thread(target=w)", {"w": True}),
        ("import threading\nclass T(threading.Thread):\n    def run(self): self.h()\n    def h(self): pass",
         {"run": False, "h": False}),
    ],
)
def test_thread_entries(code: str, expected: dict[str, bool]) -> None:
    assert _thread_functions(code) == expected


@pytest.mark.parametrize(
    "code",
    [
        # a process pool does not run threads; an unknown object's submit may be anything
        "from concurrent.futures import ProcessPoolExecutor\ndef w(): pass\nProcessPoolExecutor().submit(w)",
        "def w(): pass\ndef go(pool): pool.submit(w)",
        # async def never is thread code; nor what the loop also calls, or call_soon_threadsafe schedules
        "import threading\nasync def w(): pass\nthreading.Thread(target=w)",
        "import threading\ndef w(): pass\nthreading.Thread(target=w)\nasync def m(): w()",
        "import threading\ndef w(): pass\nthreading.Thread(target=w)\nasync def m(loop): loop.call_soon_threadsafe(w)",
        # a name bound twice may not be the function
        "import threading\ndef w(): pass\nif x:\n    def w(): pass\nthreading.Thread(target=w)",
        # Thread shadowed by a local class
        "class Thread:\n    def __init__(self, target): pass\ndef w(): pass\nThread(target=w)",
    ],
)
def test_not_thread_code(code: str) -> None:
    assert _thread_functions(code) == {}


def test_helpers_are_one_level_deep() -> None:
    code = """
    import threading
    def deepest(): pass
    def helper(): deepest()
    def entry(): helper()
    threading.Thread(target=entry)
    """
    assert _thread_functions(code) == {"entry": False, "helper": False}


LOOP_FROM_OUTSIDE = """
import asyncio, threading

async def main():
    loop = asyncio.get_running_loop()
    fut = loop.create_future()

    def worker():
        loop.call_soon(print)
        loop.create_task(main())
        fut.set_result(1)
        fut.result()

    threading.Thread(target=worker).start()
"""


def test_each_rule_on_a_closure_loop() -> None:
    assert _rules(LOOP_FROM_OUTSIDE) == [
        ("AM301", 9, "safe"), ("AM302", 10, "safe"), ("AM303", 11, "safe"), ("AM305", 12, "safe")
    ]


@pytest.mark.parametrize(
    "code",
    [
        # the thread's own loop
        "import asyncio, threading\ndef w():\n    loop = asyncio.new_event_loop()\n    loop.call_soon(print)\n"
        "threading.Thread(target=w)",
        # asyncio.get_event_loop() evaluated in the thread is not the main loop
        "import asyncio, threading\ndef w():\n    asyncio.get_event_loop().call_soon(print)\n"
        "threading.Thread(target=w)",
        # receivers known by method names only
        "import threading\ndef w(loop, fut):\n    loop.call_soon(print)\n    fut.set_result(1)\n"
        "threading.Thread(target=w, args=(a, b))",
        # a thread that runs the loop it is given
        "import asyncio, threading\ndef w(loop: asyncio.AbstractEventLoop):\n    loop.call_soon(print)\n"
        "    loop.run_forever()\nthreading.Thread(target=w, args=(l,))",
        # .result() on a concurrent future in a thread
        "import asyncio, threading\ndef w(loop):\n    asyncio.run_coroutine_threadsafe(c(), loop).result()\n"
        "async def c(): pass\nasync def m():\n    threading.Thread(target=w, args=(asyncio.get_running_loop(),))",
        # loop-thread calls
        "import asyncio\nasync def m():\n    loop = asyncio.get_running_loop()\n    loop.call_soon(print)\n"
        "    loop.create_future().set_result(1)",
    ],
)
def test_no_findings(code: str) -> None:
    assert _rules(code) == []


def test_parameters_tied_through_call_sites_and_annotations() -> None:
    code = """
    import asyncio, threading
    def w(loop, fut: "unknown", task: asyncio.Task):
        loop.call_later(1, print)
        fut.cancel()
        task.cancel()
    async def main():
        threading.Thread(target=w, args=(asyncio.get_running_loop(), None, t)).start()
    """
    assert _rules(code) == [("AM301", 4, "unsafe"), ("AM303", 6, "unsafe")]


def test_handle_used_is_reported_without_fix() -> None:
    code = """
    import asyncio, threading
    async def main():
        loop = asyncio.get_running_loop()
        def w():
            h = loop.call_later(1, print)
            t = loop.create_task(main())
        threading.Thread(target=w).start()
    """
    assert _rules(code) == [("AM301", 6, None), ("AM302", 7, None)]


def test_await_concurrent_future_needs_a_known_executor() -> None:
    code = """
    import asyncio
    from concurrent.futures import ThreadPoolExecutor
    POOL = ThreadPoolExecutor()
    async def m(other):
        await POOL.submit(print)
        await other.submit(print)
        await asyncio.run_coroutine_threadsafe(m(1), asyncio.get_running_loop())
    """
    assert _rules(code) == [("AM304", 6, "safe"), ("AM304", 8, "safe")]


def _fixed(code: str) -> str:
    from asyncmend import engine
    from asyncmend.config import Settings

    result = engine.fix_source(textwrap.dedent(code), Settings(unsafe_fixes=True, jobs=1))
    assert result.error is None, result.error
    return result.new


def test_missing_asyncio_import_is_added_once() -> None:
    code = """\
    from asyncio import run
    from concurrent.futures import ThreadPoolExecutor


    async def main(pool: ThreadPoolExecutor):
        await pool.submit(print)
        await pool.submit(print)
    """
    fixed = _fixed(code)
    assert fixed.count("import asyncio\n") == 1
    assert fixed.count("await asyncio.wrap_future(pool.submit(print))") == 2


def test_no_fix_when_the_asyncio_name_means_something_else() -> None:
    code = """\
    import concurrent.futures

    asyncio = None


    async def main():
        await concurrent.futures.ThreadPoolExecutor().submit(print)
    """
    src = SourceFile.from_bytes("m.py", textwrap.dedent(code).encode())
    assert [(f.rule, f.fix) for f in threads_family.check(src)] == [("AM304", None)]


def test_adapter_goes_after_docstring_and_imports_and_is_inserted_once() -> None:
    code = '''\
    """Doc."""
    import asyncio, threading
    # a comment about X
    X = 1


    async def main():
        fut = asyncio.get_running_loop().create_future()

        def a():
            return fut.result()

        def b():
            return fut.exception()

        threading.Thread(target=a).start()
        threading.Thread(target=b).start()
    '''
    fixed = _fixed(code)
    assert fixed.count("def _mirror_asyncio_future(") == 1
    head = fixed.split("def _mirror_asyncio_future(")[0]
    assert head == '"""Doc."""\nimport asyncio, threading\nimport concurrent.futures\n\n\n'
    assert "    return mirror\n\n\n# a comment about X\nX = 1\n" in fixed
    assert _fixed(fixed) is None or _fixed(fixed) == fixed


def test_module_global_loop_declared_then_set_in_main() -> None:
    code = """
    import asyncio, threading
    LOOP: asyncio.AbstractEventLoop
    FUT = None
    def worker():
        LOOP.call_soon(print)
        FUT.set_result(1)
    async def main():
        global LOOP, FUT
        LOOP = asyncio.get_running_loop()
        FUT = LOOP.create_future()
        threading.Thread(target=worker).start()
    """
    assert _rules(code) == [("AM301", 6, "unsafe"), ("AM303", 7, "unsafe")]


def test_quoted_annotations_count() -> None:
    code = """
    import asyncio, threading
    from typing import Optional
    def w(loop: "asyncio.AbstractEventLoop", fut: Optional["asyncio.Future"]):
        loop.call_soon(print)
        fut.set_result(1)
    threading.Thread(target=w, args=(a, b)).start()
    """
    assert _rules(code) == [("AM301", 5, "unsafe"), ("AM303", 6, "unsafe")]


LOOP_THREAD_CLASS = """
import asyncio, functools, threading
from concurrent.futures import Future

class LoopThread(threading.Thread):
    def __init__(self):
        super().__init__()
        self.loop = None

    def run(self):
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def _add(self, done, coro):
        done.set_result(self.loop.create_task(coro))

    def add(self, coro):
        done = Future()
        self.loop.call_soon_threadsafe(functools.partial(self._add, done, coro))
        return done.result()
"""

REPORTING_THREAD = """
import asyncio, threading

class Runner(threading.Thread):
    def __init__(self, fut):
        super().__init__()
        self.loop = asyncio.get_running_loop()
        self.fut = fut

    def report(self, result):
        if not self.fut.cancelled():
            self.fut.set_result(result)

    def run(self):
        self.loop.call_soon_threadsafe(self.report, 42)

async def main():
    fut = asyncio.get_running_loop().create_future()
    Runner(fut).start()
    await fut
"""


@pytest.mark.parametrize("code", [LOOP_THREAD_CLASS, REPORTING_THREAD], ids=["own-loop", "reports-safely"])
def test_common_thread_classes_are_left_alone(code: str) -> None:
    assert _rules(code) == []


def test_positional_thread_arguments_tie_parameters() -> None:
    code = """
    import asyncio, threading
    def w(loop):
        loop.call_soon(print)
    async def main():
        threading.Thread(None, w, "name", (asyncio.get_running_loop(),)).start()
        threading.Timer(0, w, [asyncio.get_running_loop()]).start()
    """
    assert _rules(code) == [("AM301", 4, "unsafe")]


def test_crlf_and_non_ascii_columns() -> None:
    code = (
        "import asyncio, threading\r\n"
        "async def main():\r\n"
        "    loop = asyncio.get_running_loop()\r\n"
        "    def w():\r\n"
        "        é = 1; loop.call_soon(print, 'ü')  # ß\r\n"
        "    threading.Thread(target=w).start()\r\n"
    )
    fixed = _fixed(code)
    assert fixed == code.replace("loop.call_soon(", "loop.call_soon_threadsafe(")
