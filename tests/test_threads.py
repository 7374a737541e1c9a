"""The thread analysis and the threads family on small sources: what is and is not thread code."""
from __future__ import annotations

import ast
import re
import textwrap
from pathlib import Path

import pytest

from asyncmend.source import SourceFile
from asyncmend.codemods.registry import THREADS
from asyncmend.codemods.threads.asynckinds import Kinds
from asyncmend.codemods.threads.threadflow import ThreadFlow
from asyncmend.semantic import SemanticModel


def _thread_functions(code: str) -> dict[str, bool]:
    flow = ThreadFlow(ast.parse(textwrap.dedent(code)))
    return {getattr(c.node, "name", "<lambda>"): c.explicit for c in flow.code.values()}


def _rules(code: str) -> list[tuple[str, int, str | None]]:
    src = SourceFile.from_bytes("m.py", textwrap.dedent(code).encode())
    return [(f.rule, f.line, f.fix.safety if f.fix else None) for f in THREADS.check(src)]


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
        # a run method of a class that is not a Thread; bases in a cycle
        "class NotAThread:\n    def run(self): pass",
        "import threading\nclass A(B):\n    def run(self): pass\nclass B(A):\n    pass",
        # a lambda started before does not stop the judging of the others
        "import threading\ndef w(): pass\nthreading.Thread(target=lambda: None)\nthreading.Thread(target=w)\n"
        "async def m(): w()",
    ],
)
def test_not_thread_code(code: str) -> None:
    assert {k: v for k, v in _thread_functions(code).items() if k != "<lambda>"} == {}


def test_thread_subclass_with_an_unknown_base_too() -> None:
    code = "import threading\nfrom x import Mixin\nclass W(Mixin, threading.Thread):\n    def run(self): pass"
    assert _thread_functions(code) == {"run": False}


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
    assert [(f.rule, f.fix) for f in THREADS.check(src)] == [("AM304", None)]


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


# -- how each way of starting a thread is recognised (the mutation run of threadflow) ----------------

STARTS_HEAD = """\
import _thread, asyncio, functools, threading
from concurrent.futures import ThreadPoolExecutor

async def main(args, kw):
    loop = asyncio.get_running_loop()

    def w(*a, **k):
        loop.call_soon(print)

    {start}
"""


def _started_as(start: str) -> list[tuple[str, int, str | None, str]]:
    """The findings in ``w`` when ``start`` starts it, each with the way of starting the message names."""
    src = SourceFile.from_bytes("m.py", STARTS_HEAD.format(start=start).encode())
    found = []
    for f in THREADS.check(src):
        how = re.search(r"worker thread \((.*?)\)", f.message)
        found.append((f.rule, f.line, f.fix.safety if f.fix else None, how.group(1) if how else f.message))
    return found


@pytest.mark.parametrize(
    "start, how",
    [
        ("threading.Thread(target=w).start()", "threading.Thread"),
        ("threading.Thread(None, w).start()", "threading.Thread"),
        ("threading.Timer(1, w).start()", "threading.Timer"),
        ("threading.Timer(1, function=w).start()", "threading.Timer"),
        ("await asyncio.to_thread(w)", "asyncio.to_thread"),
        ("_thread.start_new_thread(w, ())", "_thread.start_new_thread"),
        ("await loop.run_in_executor(None, w)", "loop.run_in_executor"),
        ("ThreadPoolExecutor().submit(w)", "executor.submit"),
        ("ThreadPoolExecutor().map(w, [1])", "executor.map"),
        ("threading.Thread(target=functools.partial(w, 1)).start()", "threading.Thread"),
        ("threading.Thread(target=lambda: w(1)).start()", "threading.Thread"),
        ("threading.Thread(target=w, args=args).start()", "threading.Thread"),
        ("from asyncio.threads import to_thread\n    await to_thread(w)", "asyncio.to_thread"),
        ("_thread.start_new(w, ())", "_thread.start_new_thread"),
    ],
)
def test_each_way_of_starting_a_thread_is_named(start: str, how: str) -> None:
    assert _started_as(start) == [("AM301", 8, "safe", how)]


@pytest.mark.parametrize(
    "start",
    [
        # what the call passes cannot be told, or it starts nothing
        "threading.Thread(*args)",
        "threading.Thread(target=w, **kw)",
        "threading.Thread()",
        "threading.Timer(1)",
        "await asyncio.to_thread()",
        "_thread.start_new_thread(w)",
        "await loop.run_in_executor(w)",
        "await loop.run_in_executor(None, w, k=1)",
        "threading.Thread(target=functools.partial(*args))",
        "threading.Thread(target=functools.partial())",
    ],
)
def test_calls_that_do_not_show_a_thread_start(start: str) -> None:
    assert _started_as(start) == []


ARGUMENTS_HEAD = """\
import asyncio, threading

LOOP: asyncio.AbstractEventLoop

def w({params}):
    loop.call_soon(print)

async def main():
    running = asyncio.get_running_loop()
    threading.Thread(target=w{start}).start()
"""


@pytest.mark.parametrize(
    "params, start, found",
    [
        ("n, loop", ", args=(1, running)", True),
        ("n, loop", ", args=[1, running]", True),
        ("n, loop", ", args=(1,), kwargs={'loop': running}", True),
        ("n, loop, /", ", args=(1,), kwargs={'loop': running}", False),  # positional-only: not by name
        ("n, /, loop", ", args=(1,), kwargs={'loop': running}", True),
        ("n, loop=LOOP", ", args=(1,)", True),  # the default
        ("n, loop=LOOP, other=None", ", args=(1,)", True),
        ("n, other=None, loop=LOOP", ", args=(1,)", True),
        ("n, other=None, loop=LOOP", ", args=(1, None, running)", True),
        ("loop, other=LOOP", "", False),  # not given at all: the call fails before the body runs
        ("n, *, loop", ", args=(1,), kwargs={'loop': running}", True),
        ("*, other=None, loop=LOOP", "", True),
        ("*, loop=None", ", kwargs={'loop': running}", True),
        # arguments that cannot be read one by one
        ("n, loop", ", args=(1, *running)", False),
        ("n, loop", ", args=(1,), kwargs={'loop': running, **x}", False),
        ("n, loop", ", args=(1,), kwargs=dict(loop=running)", False),
        ("n, loop", ", args=(1,), kwargs={1: running}", False),
        ("n, loop", ", args=(1, running), kwargs=x", False),
        ("n, loop=LOOP", ", args=items", False),  # the items may hold another loop
    ],
)
def test_thread_arguments_reach_the_parameters(params: str, start: str, found: bool) -> None:
    code = ARGUMENTS_HEAD.format(params=params, start=start)
    assert _rules(code) == ([("AM301", 6, "unsafe")] if found else [])


def _reported(code: str) -> list[tuple[str, int, str | None, str]]:
    src = SourceFile.from_bytes("m.py", textwrap.dedent(code).encode())
    return [(f.rule, f.line, f.fix.safety if f.fix else None, f.message) for f in THREADS.check(src)]


def _call_soon(recv: str, how: str) -> str:
    return f"`{recv}.call_soon()` called from a worker thread ({how}); use `call_soon_threadsafe()`"


def test_bound_method_arguments_skip_self() -> None:
    code = """
    import asyncio, threading
    class C:
        def helper(self, n, loop):
            loop.call_soon(print)
        def work(self, n, loop):
            loop.call_soon(print)
            self.helper(1, loop)
        async def main(self):
            threading.Thread(target=self.work, args=(1, asyncio.get_running_loop())).start()
    """
    assert _reported(code) == [
        ("AM301", 7, "unsafe", _call_soon("loop", "threading.Thread")),
        ("AM301", 5, "unsafe", _call_soon("loop", "called from thread code")),
    ]


def test_helper_parameters_come_from_the_entry() -> None:
    code = """
    import asyncio, threading
    def helper(n, loop):
        loop.call_soon(print)
    def w(loop):
        helper(1, loop)
    async def main():
        threading.Thread(target=w, args=(asyncio.get_running_loop(),)).start()
    """
    assert _reported(code) == [("AM301", 4, "unsafe", _call_soon("loop", "called from thread code"))]


def test_thread_subclass_arguments_through_init() -> None:
    code = """
    import asyncio, threading
    class Worker(threading.Thread):
        def __init__(self, n, loop):
            super().__init__()
            self.loop = loop
        def run(self):
            self.loop.call_soon(print)
    async def main():
        Worker(1, asyncio.get_running_loop()).start()
    """
    assert _reported(code) == [("AM301", 8, "unsafe", _call_soon("self.loop", "threading.Thread subclass"))]


def test_lambda_parameters_come_from_the_start() -> None:
    code = """
    import asyncio, threading
    async def main():
        threading.Thread(target=lambda loop: loop.call_soon(print), args=(asyncio.get_running_loop(),)).start()
    """
    assert _reported(code) == [("AM301", 4, "safe", _call_soon("loop", "threading.Thread"))]


OUTER = """
import asyncio, threading
def outer(loop):
    def w():
        loop.call_soon(print)
    threading.Thread(target=w).start()
async def main():
    outer(asyncio.get_running_loop())
"""


def test_enclosing_parameter_known_from_every_call() -> None:
    assert _reported(OUTER) == [("AM301", 5, "safe", _call_soon("loop", "threading.Thread"))]
    # stored as well as called: it may be called with anything
    assert _reported(OUTER + "HANDLERS = [outer]\n") == []


GLOBAL_LOOP = "import asyncio, threading\nLOOP: asyncio.AbstractEventLoop\n"


@pytest.mark.parametrize(
    "code, found",
    [
        # w1 is called from w2, which runs on the loop too (main calls it): neither is thread code
        ("def w1():\n    LOOP.call_soon(print)\ndef w2():\n    w1()\nthreading.Thread(target=w1).start()\n"
         "threading.Thread(target=w2).start()\nasync def main():\n    w2()\n", []),
        # a helper the loop calls as well
        ("def helper():\n    LOOP.call_soon(print)\ndef w():\n    helper()\nthreading.Thread(target=w).start()\n"
         "async def main():\n    helper()\n", []),
        ("def helper():\n    LOOP.call_soon(print)\ndef w():\n    helper()\n    helper()\n"
         "threading.Thread(target=w).start()\n", [("AM301", 4, "unsafe", _call_soon("LOOP", "called from thread code"))]),
        # a decorated function may not be what it looks like; its helper still is thread code
        ("import functools\ndef helper():\n    LOOP.call_soon(print)\n@functools.lru_cache\ndef w():\n"
         "    LOOP.call_soon(print)\ndef w2():\n    helper()\nthreading.Thread(target=w).start()\n"
         "threading.Thread(target=w2).start()\n",
         [("AM301", 5, "unsafe", _call_soon("LOOP", "called from thread code"))]),
        # code that runs its own loop, as an entry or a helper
        ("def helper():\n    LOOP.call_soon(print)\n    asyncio.run(main())\ndef w():\n    helper()\n"
         "threading.Thread(target=w).start()\nasync def main():\n    pass\n", []),
        ("def w(other):\n    LOOP.call_soon(print)\n    other.run_until_complete(main())\n"
         "threading.Thread(target=w).start()\nasync def main():\n    pass\n", []),
        # subclasses of subclasses of Thread; an async run is not started in the thread; a cycle of bases
        ("class Base(threading.Thread):\n    pass\nclass Worker(Base):\n    def run(self):\n"
         "        LOOP.call_soon(print)\nclass Later(Base):\n    async def run(self):\n        LOOP.call_soon(print)\n",
         [("AM301", 7, "unsafe", _call_soon("LOOP", "threading.Thread subclass"))]),
        ("class A(B):\n    def run(self):\n        LOOP.call_soon(print)\nclass B(A):\n    pass\n", []),
    ],
    ids=["entries-settle", "helper-on-the-loop", "helper", "decorated", "own-loop-helper", "own-loop-entry",
         "subclasses", "base-cycle"],
)
def test_what_is_thread_code(code: str, found: list) -> None:
    assert _reported(GLOBAL_LOOP + code) == found


EXPLICIT = """
import asyncio, threading
async def main():
    loop = asyncio.get_running_loop()
    def w():
        loop.call_soon(print)
{rest}"""


@pytest.mark.parametrize(
    "rest, safety",
    [
        ("    def start():\n        threading.Thread(target=w).start()\n    start()\n", "safe"),  # a nested starter
        # also called by other thread code: not only started here
        ("    def w2():\n        w()\n    threading.Thread(target=w).start()\n    threading.Thread(target=w2).start()\n",
         "unsafe"),
    ],
)
def test_fix_safe_only_for_a_worker_started_where_it_is_defined(rest: str, safety: str) -> None:
    assert [f[:3] for f in _reported(EXPLICIT.format(rest=rest))] == [("AM301", 6, safety)]


def test_thread_subclass_waited_for_by_join() -> None:
    code = """
    import asyncio, threading
    class Worker(threading.Thread):
        def __init__(self, fut: asyncio.Future):
            super().__init__()
            self.fut = fut
        def run(self):
            self.fut.result()
    async def main():
        w = Worker(asyncio.get_running_loop().create_future())
        w.start()
        w.join()
    """
    assert _reported(code) == [(
        "AM305", 8, None,
        "`self.fut.result()` on an asyncio future from a worker thread (threading.Thread subclass); no fix: "
        "`w.join()` at line 12 may wait for this thread, so a worker waiting for the loop would wait forever "
        "(where the code failed at once)",
    )]


GIVEN_HEAD = """\
import _thread, asyncio, functools, threading
from concurrent.futures import ThreadPoolExecutor
LOOP: asyncio.AbstractEventLoop

def w(n, loop=LOOP):
    loop.call_soon(print)

def v(n, loop):
    loop.call_soon(print)

async def main(items, pool: ThreadPoolExecutor):
    running = asyncio.get_running_loop()
    {start}
"""


@pytest.mark.parametrize(
    "start, found",
    [
        # ``loop`` given as None each way: the default (the loop) is not what ``w`` gets
        ("await asyncio.to_thread(w, 1, None)", []),
        ("await running.run_in_executor(None, w, 1, None)", []),
        ("pool.submit(w, 1, None)", []),
        ("_thread.start_new_thread(w, (1, None))", []),
        ("_thread.start_new_thread(w, (1,), {'loop': None})", []),
        ("threading.Thread(None, w, 'name', (1,), {'loop': None}).start()", []),
        ("threading.Timer(1, w, (1,), {'loop': None}).start()", []),
        ("list(pool.map(w, [None]))", []),  # each item is the first argument, the rest unknown
        ("threading.Thread(target=lambda: w(*items)).start()", []),
        ("threading.Thread(target=functools.partial(w, 1, None)).start()", []),
        ("threading.Thread(target=functools.partial(w, 1, loop=None)).start()", []),
        ("threading.Thread(target=functools.partial(w, 1), args=(None,)).start()", []),
        ("threading.Thread(target=functools.partial(w, 1), kwargs={'loop': None}).start()", []),
        ("threading.Thread(target=functools.partial(w, 1), args=items).start()", []),
        # the default, or the running loop, is what it gets
        ("await asyncio.to_thread(w, 1)", [("AM301", 6, "unsafe")]),
        ("threading.Thread(None, v, 'name', (1,), {'loop': running}).start()", [("AM301", 9, "unsafe")]),
        ("threading.Thread(target=functools.partial(v, 1), args=(running,)).start()", [("AM301", 9, "unsafe")]),
        ("await asyncio.to_thread(lambda loop: loop.call_soon(print), running)", [("AM301", 13, "safe")]),
    ],
)
def test_arguments_given_replace_the_default(start: str, found: list) -> None:
    assert _rules(GIVEN_HEAD.format(start=start)) == found


@pytest.mark.parametrize(
    "code, found",
    [
        # a method defined twice: which one runs is not decided here
        ("class C:\n    def work(self):\n        LOOP.call_soon(print)\n    def work(self):\n        pass\n"
         "    def start(self):\n        threading.Thread(target=self.work).start()\n", []),
        # a function started itself stays an entry when another entry calls it as well
        ("def w1():\n    LOOP.call_soon(print)\ndef w2():\n    w1()\nthreading.Thread(target=w1).start()\n"
         "threading.Thread(target=w2).start()\n", [("AM301", 4, "unsafe", _call_soon("LOOP", "threading.Thread"))]),
        ("def h1():\n    LOOP.call_soon(print)\ndef h2():\n    LOOP.call_soon(print)\ndef w():\n    h1()\n    h2()\n"
         "threading.Thread(target=w).start()\n",
         [("AM301", 4, "unsafe", _call_soon("LOOP", "called from thread code")),
          ("AM301", 6, "unsafe", _call_soon("LOOP", "called from thread code"))]),
    ],
    ids=["method-defined-twice", "entry-called-by-an-entry", "two-helpers"],
)
def test_entries_and_helpers(code: str, found: list) -> None:
    assert _reported(GLOBAL_LOOP + code) == found


def test_a_helper_is_judged_by_the_start_of_its_entry() -> None:
    # the worker is not waited for: the future's result is mirrored (unsafe: ``fut`` is a parameter)
    code = """
    import asyncio, concurrent.futures, threading
    def helper(fut):
        fut.result()
    def w(fut):
        helper(fut)
    async def main():
        fut = asyncio.get_running_loop().create_future()
        threading.Thread(target=w, args=(fut,)).start()
    """
    src = SourceFile.from_bytes("m.py", textwrap.dedent(code).encode())
    assert [(f.rule, f.line, f.fix.action, f.fix.safety) for f in THREADS.check(src)] == [("AM305", 4, "mirror", "unsafe")]


def test_a_helper_of_two_workers_gets_no_fix_when_either_worker_is_waited_for() -> None:
    # the helper runs in both workers; the second is joined by the loop's thread, so the mirror fix
    # (the worker waits for the loop) would hang there, whichever worker is started first
    code = """
    import asyncio, concurrent.futures, threading
    def helper(fut):
        fut.result()
    def free_worker(fut):
        helper(fut)
    def joined_worker(fut):
        helper(fut)
    async def main():
        fut = asyncio.get_running_loop().create_future()
        threading.Thread(target=free_worker, args=(fut,)).start()
        t = threading.Thread(target=joined_worker, args=(fut,))
        t.start()
        t.join()
    """
    src = SourceFile.from_bytes("m.py", textwrap.dedent(code).encode())
    [finding] = THREADS.check(src)
    assert (finding.rule, finding.line, finding.fix) == ("AM305", 4, None)
    assert "t.join()" in finding.message


def test_a_parameter_of_a_lambda_that_is_no_thread_code_is_of_unknown_kind() -> None:
    # The worker (the inner lambda) reads a parameter of the outer lambda, which is not thread code:
    # its calls are not known, so nor is what ``loop`` holds.
    assert _rules("import asyncio, threading\n"
                  "start = lambda loop: threading.Thread(target=lambda: loop.call_soon(print)).start()\n") == []


def _flow(code: str) -> dict[str, tuple[bool, bool, bool, list[str]]]:
    """Each thread function: (explicit, restricted to its declared loops, named only, declared loops)."""
    flow = ThreadFlow(ast.parse(textwrap.dedent(code)))
    return {getattr(c.node, "name", "<lambda>"): (c.explicit, c.restricted, c.named, [ast.unparse(d) for d in c.declared])
            for c in flow.code.values()}


@pytest.mark.parametrize(
    "code, expected",
    [
        # handing work to a loop from the function declares it off that loop; so are the self methods only it calls
        ("class C:\n    def on(self, x):\n        self.loop.call_soon_threadsafe(print, x)\n        self._h()\n"
         "    def _h(self):\n        pass\n",
         {"on": (False, True, False, ["self.loop"]), "_h": (False, True, False, ["self.loop"])}),
        ("import asyncio\ndef push(loop):\n    asyncio.run_coroutine_threadsafe(c(), loop).result()\nasync def c(): pass",
         {"push": (False, True, False, ["loop"])}),
        # a loop in a parameter is no loop of the helper's: the helper is left out
        ("def on(loop):\n    loop.call_soon_threadsafe(print)\n    h(loop)\ndef h(loop):\n    pass\n",
         {"on": (False, True, False, ["loop"])}),
        # asks which thread it runs in: it may do the right thing on each side
        ("import threading\nclass C:\n    def post(self, f):\n        if threading.get_ident() == self.tid:\n"
         "            self.loop.call_soon(f)\n        else:\n            self.loop.call_soon_threadsafe(f)\n", {}),
        ("import asyncio\ndef post(loop, f):\n    if asyncio.get_running_loop() is loop:\n        f()\n"
         "    loop.call_soon_threadsafe(f)\n", {}),
        # async, decorated, running its own loop: not declared
        ("async def on(loop):\n    loop.call_soon_threadsafe(print)\n", {}),
        ("import functools\n@functools.cache\ndef on(loop):\n    loop.call_soon_threadsafe(print)\n", {}),
        ("def on(loop, other):\n    loop.call_soon_threadsafe(print)\n    other.run_forever()\n", {}),
        # a signal handler runs on the main thread; waking the loop up hands no work over
        ("import functools, signal\nclass R:\n    def on_int(self, n, f, task):\n        task.cancel()\n"
         "        self.loop.call_soon_threadsafe(print)\n    def run(self, t):\n"
         "        signal.signal(signal.SIGINT, functools.partial(self.on_int, task=t))\n", {}),
        ("def on(loop, task):\n    task.cancel()\n    loop.call_soon_threadsafe(lambda: None)\n", {}),
        # the name or the docstring says so
        ("def post_threadsafe(loop):\n    pass\n", {"post_threadsafe": (False, False, True, [])}),
        ("def post(loop):\n    'Called from another thread.'\n", {"post": (False, False, True, [])}),
        ("def post(loop):\n    'This function is not threadsafe and must run in the loop.'\n", {}),
        ("def post(loop):\n    'Schedules it. Note that it is not safe to call this from other threads.'\n", {}),
        ("def post(loop):\n    'Schedules it. This might be run from a separate thread.'\n",
         {"post": (False, False, True, [])}),
        # done-callbacks of a thread pool's futures run in its worker; an asyncio future's on the loop
        ("from concurrent.futures import ThreadPoolExecutor\nasync def m(fut):\n    def cb(f):\n        pass\n"
         "    with ThreadPoolExecutor() as ex:\n        job = ex.submit(print)\n        job.add_done_callback(cb)\n",
         {"cb": (True, False, False, [])}),
        ("async def m(loop):\n    def cb(f):\n        pass\n    loop.run_in_executor(None, print).add_done_callback(cb)\n", {}),
        # set_event_loop alone runs no loop; creating one is a loop of the thread's own
        ("import asyncio, threading\ndef w(loop):\n    asyncio.set_event_loop(loop)\nthreading.Thread(target=w)\n",
         {"w": (False, False, False, [])}),
        ("import asyncio, threading\ndef w():\n    asyncio.set_event_loop(asyncio.new_event_loop())\n"
         "threading.Thread(target=w)\n", {}),
    ],
    ids=["call_soon_threadsafe", "run_coroutine_threadsafe", "param-loop-helper", "thread-check", "loop-check",
         "async", "decorated", "own-loop", "signal-handler", "wake-up", "name", "docstring", "not-threadsafe-docstring", "not-from-threads-docstring", "separate-thread-docstring", "executor-callback",
         "asyncio-callback", "set_event_loop", "new_event_loop"],
)
def test_declared_thread_code(code: str, expected: dict) -> None:
    assert _flow(code) == expected


def test_branches_that_exclude_the_hand_off_are_on_the_loop() -> None:
    code = textwrap.dedent("""\
        def post(loop, f, here):
            if here:
                loop.call_soon(f)
            else:
                loop.call_soon_threadsafe(f)
            loop.call_later(1, f)
        """)
    flow = ThreadFlow(ast.parse(code))
    (thread,) = flow.code.values()
    calls = {c.lineno: c for c in flow.calls_in[id(thread.node)]}
    assert [flow.off_loop(calls[line], thread) for line in (3, 6)] == [False, True]


def _kind(code: str, flow: bool = False) -> str | None:
    """The kind of the last expression statement of ``code``."""
    tree = ast.parse(textwrap.dedent(code))
    semantic = SemanticModel(tree)
    kinds = Kinds(semantic, ThreadFlow(tree, semantic) if flow else None)
    last = max((n for n in ast.walk(tree) if isinstance(n, ast.Expr)), key=lambda n: (n.lineno, n.col_offset))
    return kinds.of(last.value)


@pytest.mark.parametrize(
    "code, kind",
    [
        # return annotations of the module's own functions and methods
        ("import asyncio\ndef home() -> asyncio.AbstractEventLoop: ...\nhome()", "loop"),
        ("import asyncio\nclass C:\n    def t(self) -> 'asyncio.Task[int]': ...\n    def m(self):\n        self.t()", "task"),
        ("import asyncio\nasync def home() -> asyncio.AbstractEventLoop: ...\nhome()", None),
        # a loop=None parameter replaced by the usual loop
        ("import asyncio\ndef f(loop=None):\n    (loop or asyncio.get_event_loop())", "loop"),
        ("import asyncio\ndef f(loop=None):\n    if loop is None:\n        loop = asyncio.get_event_loop()\n    loop", "loop"),
        ("import asyncio\ndef f(loop=1):\n    (loop or asyncio.get_event_loop())", None),
        ("import asyncio\ndef f(loop=None):\n    loop", None),
        # attributes of an instance of the module's own class
        ("import concurrent.futures\nclass P:\n    def __init__(self):\n        self.ready = concurrent.futures.Future()\n"
         "async def m(p: P):\n    p.ready", "cfuture"),
        ("import concurrent.futures\nclass P:\n    def __init__(self):\n        self.ready = concurrent.futures.Future()\n"
         "class S:\n    def __init__(self):\n        self.p = P()\n    def m(self):\n        self.p.ready", "cfuture"),
        ("import concurrent.futures\nclass P:\n    def __init__(self):\n        self.ready = concurrent.futures.Future()\n"
         "def m(p):\n    p.ready", None),
        # the loop's primitives; one made in thread code is the thread's own
        ("import asyncio\nasyncio.Queue()", "queue"),
        ("import asyncio\ndef f(q: 'asyncio.PriorityQueue[int]'):\n    q", "queue"),
        ("from asyncio import Event\nclass C:\n    def __init__(self):\n        self.e = Event()\n    def m(self):\n"
         "        self.e", "event"),
        ("import asyncio, threading\ndef w():\n    asyncio.Condition()\nthreading.Thread(target=w)", None),
    ],
)
def test_receiver_kinds(code: str, kind: str | None) -> None:
    assert _kind(code, flow="threading" in code) == kind


def _plans(code: str) -> list[tuple[str, int, str | None, dict | None]]:
    src = SourceFile.from_bytes("m.py", textwrap.dedent(code).encode())
    return [(f.rule, f.line, f.fix.safety if f.fix else None, f.fix.params if f.fix else None)
            for f in THREADS.check(src)]


DECLARED = """
import asyncio
class Bridge:
    def __init__(self, loop: asyncio.AbstractEventLoop, other: asyncio.AbstractEventLoop):
        self.loop = loop
        self.other = other
        self.ready = asyncio.Event()
        self.fut = loop.create_future()
    def on_event(self, x):
        self.loop.call_soon_threadsafe(print, x)
{body}"""


@pytest.mark.parametrize(
    "body, found",
    [
        # the declared loop, its event (the one loop in sight) and future
        ("        self.loop.call_soon(print)\n        self.ready.set()\n        self.fut.cancel()\n",
         [("AM301", 11, "unsafe", {"attr": "call_soon_threadsafe"}),
          ("AM306", 12, "unsafe", {"loop": "given", "expr": "self.loop"}),
          ("AM303", 13, "unsafe", {"loop": "get_loop"})]),
        # another loop may be the thread's own; with it in sight, so may the event be
        ("        self.other.call_soon(print)\n        self.ready.set()\n", []),
        # a module-level task on the current loop: the thread may run a loop of its own
        ("        asyncio.create_task(asyncio.sleep(0))\n", []),
        # a task on the declared loop
        ("        asyncio.ensure_future(asyncio.sleep(0), loop=self.loop)\n", [("AM302", 11, None, None)]),
    ],
    ids=["same-loop", "other-loop", "current-loop-task", "declared-loop-task"],
)
def test_declared_code_is_off_its_own_loop_only(body: str, found: list) -> None:
    assert _plans(DECLARED.format(body=body)) == found


PRIMITIVES = """
import asyncio, threading
async def main(q: asyncio.Queue):
    loop = asyncio.get_running_loop()
    ev = asyncio.Event()
    cond = asyncio.Condition()
    def w():
{body}
    threading.Thread(target=w).start()
"""


@pytest.mark.parametrize(
    "body, found",
    [
        ("        ev.set()\n        ev.clear()\n        q.put_nowait(1)",
         [("AM306", 8, "safe", {"loop": "given", "expr": "loop"}), ("AM306", 9, "safe", {"loop": "given", "expr": "loop"}),
          ("AM306", 10, "safe", {"loop": "given", "expr": "loop"})]),
        # the value is used; a condition needs its lock
        ("        print(q.get_nowait())\n        cond.notify_all()", [("AM306", 8, None, None), ("AM306", 9, None, None)]),
        # two loop expressions in reach (the same loop, but that is not known): which one owns the event?
        ("        mine = loop\n        mine.call_soon(print)\n        ev.set()",
         [("AM301", 9, "safe", {"attr": "call_soon_threadsafe"}), ("AM306", 10, None, None)]),
        # a threading.Event, an asyncio object made in the thread
        ("        threading.Event().set()\n        e = asyncio.Event()\n        e.set()", []),
    ],
    ids=["fixed", "no-fix", "two-loops", "not-the-loops"],
)
def test_primitives_from_a_thread(body: str, found: list) -> None:
    assert _plans(PRIMITIVES.format(body=body)) == found


def test_no_fix_without_exactly_one_loop_in_reach() -> None:
    code = PRIMITIVES.replace("    cond = asyncio.Condition()\n", "    spare = asyncio.get_running_loop()\n")
    assert _plans(code.format(body="        ev.set()")) == [("AM306", 8, None, None)]


WRAPPER = """
import asyncio
class Flag:
    def __init__(self):
        self._ev = asyncio.Event()
        self._q = asyncio.Queue()
    def wave(self):
        'Wake the waiters.'
        self._ev.set()
        self._q.put_nowait(1)
    def log(self):
        self._ev.set()
        print("waved")
class Job:
    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.flag = Flag()
    def work(self):
{body}
    async def run(self):
        await self.loop.run_in_executor(None, self.work)
"""


@pytest.mark.parametrize(
    "body, found",
    [
        ("        self.flag.wave()", [("AM306", 19, "unsafe", {"loop": "given", "expr": "self.loop"})]),
        ("        self.flag.log()", []),  # does more than wake
    ],
)
def test_own_methods_that_only_wake(body: str, found: list) -> None:
    assert _plans(WRAPPER.format(body=body)) == found


def test_named_thread_code_is_reported_without_fix() -> None:
    code = "import asyncio\nclass M:\n    def __init__(self, loop: asyncio.AbstractEventLoop):\n        self.loop = loop\n" \
           "    def post_threadsafe(self, x):\n        self.loop.call_soon(print, x)\n"
    src = SourceFile.from_bytes("m.py", code.encode())
    [finding] = THREADS.check(src)
    assert (finding.rule, finding.fix) == ("AM301", None)
    assert finding.message.endswith("no fix: only its name or docstring says it runs in another thread")


def test_await_of_another_modules_concurrent_future_by_evidence(tmp_path: Path) -> None:
    """AM304 across modules: the fix's safety follows what shows the receiver's class (built here:
    safe; annotated, every call in view passing one: unsafe; only annotated: no fix); a class of the
    awaiting module that assigns the attribute itself is the per-file check's, reported once; a
    subclass here of the other module's class is known through its base."""
    from asyncmend import engine
    from asyncmend.config import Settings

    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "probe.py").write_text(textwrap.dedent("""\
        import concurrent.futures

        class Probe:
            def __init__(self):
                self.ready = concurrent.futures.Future()
    """))
    (tmp_path / "m.py").write_text(textwrap.dedent("""\
        import asyncio
        import concurrent.futures
        from probe import Probe

        class Local:
            def __init__(self):
                self.ready = concurrent.futures.Future()

        class Sub(Probe):
            async def wait(self):
                await self.ready

        async def built():
            await Probe().ready
            await Local().ready

        async def passed(p: Probe):
            await p.ready

        async def annotated(p: Probe):
            await p.ready

        async def main(other):
            await passed(Probe())
            await annotated(other)
    """))
    found = engine.check([str(tmp_path)], Settings(jobs=1, cache=False)).findings
    assert [(f.line, f.fix.safety if f.fix else None) for f in sorted(found, key=lambda f: f.line)] == [
        (11, "safe"), (14, "safe"), (15, "safe"), (18, "unsafe"), (21, None)
    ]


@pytest.mark.parametrize("elsewhere, thread_code", [
    ("", True),
    ("async def cancel_it(fut):\n    fut.cancel()\n", True),  # another future: its own bindings
    ("async def settle():\n    box.done.set_result(0)\n", False),  # also completed on the loop
    ("def hand(f):\n    f.set_result(0)\nhand(box.done)\n", False),  # handed on: completed where it goes
])
def test_done_callback_of_a_bare_future_completed_in_threads(elsewhere: str, thread_code: bool) -> None:
    code = textwrap.dedent("""\
        import concurrent.futures
        import threading

        class Box:
            def __init__(self):
                self.done = concurrent.futures.Future()
                self.done.add_done_callback(self.on_done)
                threading.Thread(target=self.fill).start()

            def fill(self):
                self.done.set_result(1)

            def on_done(self, fut):
                print(fut)

        box = Box()
    """) + elsewhere
    flow = ThreadFlow(ast.parse(code))
    names = {getattr(c.node, "name", None) for c in flow.code.values()}
    assert names == ({"fill", "on_done"} if thread_code else {"fill"})


def test_done_callback_of_a_run_coroutine_threadsafe_future_is_not_thread_code() -> None:
    code = textwrap.dedent("""\
        import asyncio
        import threading

        def work(loop, coro):
            fut = asyncio.run_coroutine_threadsafe(coro, loop)
            fut.add_done_callback(report)

        def report(fut):
            print(fut)
    """)
    flow = ThreadFlow(ast.parse(code))
    assert "report" not in {getattr(c.node, "name", None) for c in flow.code.values()}
