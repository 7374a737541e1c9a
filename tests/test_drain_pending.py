"""Tasks left behind beyond the golden fixtures: cancel helpers (AM201), loops closed with tasks
pending (AM203), cancelled tasks never awaited (AM204); what each stays silent on, and fix safety."""
from __future__ import annotations

import textwrap

import pytest

from asyncmend.source import SourceFile
from asyncmend.codemods.registry import DRAIN


def findings(code: str, rule: str | None = None):
    found = DRAIN.check(SourceFile.from_bytes("t.py", textwrap.dedent(code).encode()))
    return [f for f in found if rule is None or f.rule == rule]


HELPER = """\
import asyncio

def cancel_tasks(loop):
    for t in asyncio.all_tasks(loop):
        t.cancel()
"""


def test_helper_call_is_the_cancel_after_a_run():
    [finding] = findings(HELPER + """
def main(loop):
    loop.run_until_complete(asyncio.sleep(0))
    cancel_tasks(loop)
    loop.close()
""")
    assert finding.rule == "AM201" and finding.line == 9 and finding.fix.safety == "safe"


def test_helper_in_a_coroutine_is_reported_without_fix():
    # the helper cancels the coroutine's own task too: nothing after it could await the others
    [finding] = findings(HELPER + """
async def shutdown(loop):
    cancel_tasks(loop)
    loop.stop()
""")
    assert finding.rule == "AM201" and finding.fix is None


@pytest.mark.parametrize(
    "code",
    [
        # the helper drains what it cancelled
        """\
        import asyncio
        def cancel_tasks(loop):
            tasks = asyncio.all_tasks(loop)
            for t in tasks:
                t.cancel()
            loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        def main(loop):
            loop.run_until_complete(asyncio.sleep(0))
            cancel_tasks(loop)
            loop.close()
        """,
        # the call does not show which loop the helper's parameter is
        HELPER + """
def main(loop, *args):
    loop.run_until_complete(asyncio.sleep(0))
    cancel_tasks(*args)
    loop.close()
""",
        # a function of the same name bound twice: not known which one runs
        HELPER + """
if True:
    def cancel_tasks(loop):
        pass
def main(loop):
    loop.run_until_complete(asyncio.sleep(0))
    cancel_tasks(loop)
    loop.close()
""",
    ],
)
def test_helper_silent(code):
    assert findings(textwrap.dedent(code), "AM201") == []


SPAWNED = """\
import asyncio

async def beat():
    while True:
        await asyncio.sleep(1)

async def main():
    {body}

loop = asyncio.new_event_loop()
loop.run_until_complete(main())
loop.close()
"""


@pytest.mark.parametrize(
    "body",
    [
        "asyncio.create_task(beat())",
        "asyncio.ensure_future(beat())",
        "t = asyncio.create_task(beat())\n    t.cancel()",
        "asyncio.get_running_loop().create_task(beat())",
    ],
)
def test_task_left_by_the_coroutine_run_is_found(body):
    [finding] = findings(SPAWNED.format(body=body), "AM203")
    assert finding.fix.safety == "unsafe" and "beat()" in finding.message


@pytest.mark.parametrize(
    "body",
    [
        "await asyncio.create_task(beat())",
        "t = asyncio.create_task(beat())\n    await t",
        "ts = [asyncio.create_task(beat()) for _ in range(2)]\n    await asyncio.gather(*ts)",
        "t = asyncio.create_task(beat())\n    return t",
        "async with asyncio.TaskGroup() as tg:\n        tg.create_task(beat())",
        "await beat()",
    ],
)
def test_tasks_waited_for_are_not_a_finding(body):
    assert findings(SPAWNED.format(body=body), "AM203") == []


@pytest.mark.parametrize(
    "code",
    [
        # a coroutine of another module: cannot be seen
        "import asyncio\nfrom app import main\nloop = asyncio.new_event_loop()\n"
        "loop.run_until_complete(main())\nloop.close()\n",
        # the file deals with all_tasks itself (AM201's business)
        SPAWNED.format(body="asyncio.create_task(beat())").replace(
            "loop.close()", "for t in asyncio.all_tasks(loop):\n    t.cancel()\n"
            "loop.run_until_complete(asyncio.gather(*asyncio.all_tasks(loop)))\nloop.close()"),
        # the loop runs again between the run and close()
        SPAWNED.format(body="asyncio.create_task(beat())").replace(
            "loop.close()", "loop.run_until_complete(cleanup())\nloop.close()"),
        # the loop is handed to a helper that may drain it
        SPAWNED.format(body="asyncio.create_task(beat())").replace(
            "loop.close()", "finish(loop)\nloop.close()"),
        # the task stops the loop itself: it ends with it
        "import asyncio\nasync def main(loop):\n    loop.stop()\nloop = asyncio.new_event_loop()\n"
        "loop.create_task(main(loop))\nloop.run_forever()\nloop.close()\n",
        # a task of a one-shot coroutine, or of one the file does not show, may have finished
        SPAWNED.format(body="asyncio.create_task(once())") + "async def once():\n    await asyncio.sleep(0)\n",
        SPAWNED.format(body="asyncio.create_task(asyncio.sleep(1))"),
        # compatibility imports bind all_tasks twice: still the file's own business
        "try:\n    from asyncio import all_tasks\nexcept ImportError:\n    all_tasks = None\n"
        + SPAWNED.format(body="asyncio.create_task(beat())").replace(
            "loop.close()", "loop.run_until_complete(asyncio.gather(*all_tasks(loop)))\nloop.close()"),
        # a KeyboardInterrupt handler that raises again: close() after the try is not reached
        "import asyncio\nfrom app import main\nloop = asyncio.new_event_loop()\ntry:\n"
        "    loop.run_until_complete(main())\nexcept KeyboardInterrupt:\n    raise\nloop.close()\n",
        # a KeyboardInterrupt handler that is not followed by close()
        "import asyncio\nfrom app import main\nloop = asyncio.new_event_loop()\ntry:\n"
        "    loop.run_until_complete(main())\n    loop.close()\nexcept KeyboardInterrupt:\n    pass\n",
    ],
)
def test_closed_pending_silent(code):
    assert findings(code, "AM203") == []


def test_interrupted_run_is_found():
    code = ("import asyncio\nfrom app import main\nloop = asyncio.new_event_loop()\ntry:\n"
            "    loop.run_until_complete(main())\nexcept KeyboardInterrupt:\n    pass\nfinally:\n    loop.close()\n")
    [finding] = findings(code, "AM203")
    assert "KeyboardInterrupt" in finding.message


def test_thread_loop_not_joined_is_reported_without_fix():
    code = """\
        import asyncio
        async def listen():
            async for line in lines():
                print(line)
        def main(loop):
            asyncio.run_coroutine_threadsafe(listen(), loop)
            loop.call_soon_threadsafe(loop.stop)
            loop.close()
        """
    [finding] = findings(code, "AM203")
    assert finding.fix is None


@pytest.mark.parametrize(
    "code",
    [
        # awaited after the cancel
        "import asyncio\nasync def f(c):\n    t = asyncio.create_task(c)\n    t.cancel()\n    await t\n",
        # any await after the cancel may wait for it
        "import asyncio\nasync def f(c):\n    t = asyncio.create_task(c)\n    t.cancel()\n    await asyncio.sleep(1)\n",
        # a parameter: not shown to be a task
        "import asyncio\nasync def f(t):\n    t.cancel()\n",
        # returned: the caller may await it
        "import asyncio\nasync def f(c):\n    t = asyncio.create_task(c)\n    t.cancel()\n    return t\n",
        # re-started in a loop that awaits
        "import asyncio\nasync def f(c):\n    t = None\n    while True:\n        if t:\n            t.cancel()\n"
        "        t = asyncio.create_task(c())\n        await asyncio.sleep(1)\n",
        # an attribute awaited elsewhere
        "import asyncio\nclass C:\n    def start(self):\n        self._t = asyncio.create_task(w())\n"
        "    async def close(self):\n        self._t.cancel()\n    async def wait(self):\n        await self._t\n",
        # an attribute that is sometimes something else
        "import asyncio\nclass C:\n    def start(self, loop):\n        self._t = asyncio.create_task(w())\n"
        "        self._t = loop.call_later(1, print)\n    async def close(self):\n        self._t.cancel()\n",
        # handed to wait_for, which cancels it on timeout and waits for that
        "import asyncio\nasync def f(c):\n    t = asyncio.ensure_future(c)\n    try:\n"
        "        return await asyncio.wait_for(t, 1)\n    except asyncio.TimeoutError:\n        t.cancel()\n        raise\n",
        # the method that cancels may run inside that very task
        "import asyncio\nclass C:\n    def start(self):\n        self._t = asyncio.create_task(self.run())\n"
        "    async def run(self):\n        await self.quit()\n    async def quit(self):\n        self._t.cancel()\n",
        "import asyncio\nclass C:\n    def start(self):\n        self._t = asyncio.create_task(self.run())\n"
        "    async def run(self):\n        await getattr(self, 'on_' + self.cmd)()\n    async def on_quit(self):\n        self._t.cancel()\n",
        # cancelled in synchronous code: no coroutine to await them in
        "import asyncio\ndef f(c):\n    t = asyncio.ensure_future(c)\n    t.cancel()\n",
        # a done callback takes the task's outcome: fire-and-forget by design
        "import asyncio\nasync def f(c, cb):\n    t = asyncio.ensure_future(c)\n    t.add_done_callback(cb)\n"
        "    await asyncio.sleep(1)\n    t.cancel()\n",
        # inside an ``async with`` whose exit may wait (a session, a task group): the task gets a turn
        "import asyncio\nasync def f(c, session):\n    async with session:\n        t = asyncio.ensure_future(c)\n"
        "        await asyncio.sleep(1)\n        t.cancel()\n",
    ],
)
def test_cancelled_not_awaited_silent(code):
    assert findings(code, "AM204") == []


def test_cancelling_method_reached_only_through_another_task_is_found():
    code = """\
        import asyncio
        class C:
            def start(self):
                self._t = asyncio.create_task(self.run())
            async def run(self):
                while True:
                    await asyncio.sleep(1)
                asyncio.create_task(self.close())
            async def close(self):
                self._t.cancel()
        """
    [finding] = findings(code, "AM204")
    assert finding.line == 10


def test_cancelled_after_wait_is_found():
    code = """\
        import asyncio
        async def f(a, b):
            ta, tb = asyncio.create_task(a), asyncio.create_task(b)
            t = asyncio.create_task(a)
            await asyncio.wait([t, tb], return_when=asyncio.FIRST_COMPLETED)
            if t.done():
                return t.result()
            t.cancel()
        """
    [finding] = findings(code, "AM204")
    assert finding.line == 8 and finding.fix.safety == "safe"


def test_cancelled_attribute_fix_is_unsafe_local_is_safe():
    code = """\
        import asyncio
        class C:
            def start(self):
                self._t = asyncio.create_task(w())
            async def close(self):
                if self._t is not None:
                    self._t.cancel()
        async def f(c):
            t = asyncio.create_task(c)
            try:
                await asyncio.sleep(1)
            finally:
                t.cancel()
        """
    assert [(f.line, f.fix.safety) for f in findings(code, "AM204")] == [(7, "unsafe"), (13, "safe")]


def test_plain_block_suggests_asyncio_run():
    [finding] = findings(SPAWNED.format(body="asyncio.create_task(beat())"), "AM203")
    assert finding.message.endswith("(this block is `asyncio.run(main())` written out)")
    code = SPAWNED.format(body="asyncio.create_task(beat())") + "\ndef later():\n    return loop\n"
    [finding] = findings(code, "AM203")
    assert "asyncio.run" not in finding.message


def test_cancel_in_an_async_generator_gets_an_unsafe_fix():
    code = """\
        import asyncio
        async def serving(server):
            task = asyncio.create_task(server.serve())
            try:
                yield server
            finally:
                task.cancel()
        """
    [finding] = findings(code, "AM204")
    assert finding.fix.safety == "unsafe"


def test_thread_loop_whose_futures_are_waited_for_is_silent():
    code = """\
        import asyncio
        async def listen():
            while True:
                await asyncio.sleep(1)
        def main(loop, thread):
            future = asyncio.run_coroutine_threadsafe(listen(), loop)
            future.result(timeout=5)
            loop.call_soon_threadsafe(loop.stop)
            thread.join()
            loop.close()
        """
    assert findings(code, "AM203") == []
    joined = findings(code.replace("future.result(timeout=5)", "future.cancel()"), "AM203")
    assert [f.fix.safety for f in joined] == ["unsafe"]


@pytest.mark.parametrize(
    "manager",
    ["asyncio.Lock()", "lock", "self._lock", "asyncio.timeout(1)"],
)
def test_an_async_with_that_never_suspends_on_exit_does_not_wait(manager):
    # a lock's, a semaphore's or a timeout's exit gives no task a turn: the cancel is still left behind
    code = f"""\
        import asyncio
        class C:
            def __init__(self):
                self._lock = asyncio.Lock()
            async def f(self, c):
                lock = asyncio.Semaphore()
                async with {manager}:
                    t = asyncio.ensure_future(c)
                    await asyncio.sleep(1)
                    t.cancel()
        """
    [finding] = findings(code, "AM204")
    assert finding.line == 10 and finding.fix.safety == "safe"


def test_a_lock_attribute_set_to_something_else_somewhere_may_wait():
    code = """\
        import asyncio
        class C:
            def __init__(self, session):
                self._lock = asyncio.Lock()
                self._lock = session
            async def f(self, c):
                async with self._lock:
                    t = asyncio.ensure_future(c)
                    await asyncio.sleep(1)
                    t.cancel()
        """
    assert findings(code, "AM204") == []


def test_a_loop_stopped_right_after_the_cancel_gets_no_fix():
    code = """\
        import asyncio
        async def run(loop, c):
            t = loop.create_task(c)
            await asyncio.sleep(0)
            t.cancel()
            loop.stop()
        """
    [finding] = findings(code, "AM204")
    assert finding.line == 5 and finding.fix is None
    assert "stops the loop right after" in finding.message
