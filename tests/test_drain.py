"""The drain family beyond the golden fixtures: names, safety levels, silence, and report-only cases."""
from __future__ import annotations

import textwrap

import pytest

from asyncmend import engine
from asyncmend.config import Settings
from asyncmend.source import SourceFile
from asyncmend.codemods.registry import DRAIN


def findings(code: str):
    return DRAIN.check(SourceFile.from_bytes("t.py", textwrap.dedent(code).encode()))


def fixed(code: str, unsafe: bool = True) -> str:
    """The fixed text; also checks that a second run changes nothing."""
    settings = Settings(unsafe_fixes=unsafe, jobs=1)
    new = engine.fix_source(textwrap.dedent(code), settings).new or textwrap.dedent(code)
    assert engine.fix_source(new, settings).new in (None, new)
    return new


AFTER_RUN = """\
import asyncio

def main(loop):
    loop.run_until_complete(asyncio.sleep(0))
    for t in asyncio.all_tasks(loop):
        t.cancel()
    loop.close()
"""


def test_new_name_avoids_names_of_the_scope():
    code = AFTER_RUN.replace("def main(loop):", "def main(loop, pending=None):")
    assert "    pending_tasks = asyncio.all_tasks(loop)\n" in fixed(code)


def test_new_name_avoids_globals_read_by_functions():
    module_level = textwrap.dedent("""\
        import asyncio

        def count():
            return len(pending)

        loop = asyncio.new_event_loop()
        loop.run_until_complete(asyncio.sleep(0))
        for t in asyncio.all_tasks(loop):
            t.cancel()
        loop.close()
        """)
    assert "\npending_tasks = asyncio.all_tasks(loop)\n" in fixed(module_level)


def test_a_local_of_another_function_is_not_a_clash():
    code = AFTER_RUN + "\ndef other():\n    pending = 1\n    return pending\n"
    assert "    pending = asyncio.all_tasks(loop)\n" in fixed(code)


def test_module_indent_and_newlines_are_kept():
    code = AFTER_RUN.replace("    ", "\t").replace("\n", "\r\n")
    new = fixed(code)
    assert "\tif pending:\r\n\t\tloop.run_until_complete(" in new
    assert "\n" not in new.replace("\r\n", "")


def test_filter_that_keeps_some_tasks_running_is_reported_without_fix():
    code = AFTER_RUN.replace("        t.cancel()", "        if t is not keep:\n            t.cancel()")
    code = code.replace("def main(loop):", "def main(loop, keep):")
    [finding] = findings(code)
    assert finding.rule == "AM201" and finding.fix is None


def test_filter_on_done_or_current_task_is_understood():
    code = AFTER_RUN.replace("        t.cancel()", "        if not t.done():\n            t.cancel()")
    [finding] = findings(code)
    assert finding.fix is not None and finding.fix.safety == "safe"


@pytest.mark.parametrize(
    "code",
    [
        # one task cancelled and awaited
        """\
        import asyncio
        async def main(task):
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
        """,
        # the next round of the loop runs the loop again
        """\
        import asyncio
        def main(loop):
            while True:
                loop.run_until_complete(asyncio.sleep(0))
                for t in asyncio.all_tasks(loop):
                    t.cancel()
            loop.close()
        """,
        # asyncio.all_tasks() without a loop outside a coroutine: a different mistake
        """\
        import asyncio
        def main(loop):
            loop.run_until_complete(asyncio.sleep(0))
            for t in asyncio.all_tasks():
                t.cancel()
            loop.close()
        """,
        # a helper is handed the loop: it may drain
        """\
        import asyncio
        from helpers import finish
        def main(loop):
            loop.run_until_complete(asyncio.sleep(0))
            for t in asyncio.all_tasks(loop):
                t.cancel()
            finish(loop)
            loop.close()
        """,
        # the coroutine awaits after cancelling
        """\
        import asyncio
        async def shutdown(loop):
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for t in tasks:
                t.cancel()
            await asyncio.wait(tasks)
            loop.stop()
        """,
        # a callback that cancels without stopping the loop
        """\
        import asyncio
        def on_signal(loop):
            for t in asyncio.all_tasks(loop):
                t.cancel()
        loop = asyncio.new_event_loop()
        loop.run_forever()
        loop.close()
        """,
    ],
)
def test_silent(code):
    assert findings(code) == []


def test_stopping_coroutine_with_a_generator_set_is_reported_without_fix():
    [finding] = findings("""\
        import asyncio
        async def shutdown(loop):
            tasks = (t for t in asyncio.all_tasks() if t is not asyncio.current_task())
            for t in tasks:
                t.cancel()
            loop.stop()
        """)
    assert finding.fix is None


def test_asyncio_name_taken_means_no_fix():
    [finding] = findings("""\
        from asyncio import all_tasks
        asyncio = None
        def main(loop):
            loop.run_until_complete(None)
            for t in all_tasks(loop):
                t.cancel()
            loop.close()
        """)
    assert finding.fix is None


def test_callback_shape_is_unsafe_and_held_back_by_default():
    code = """\
        import asyncio
        def stop(loop):
            for t in asyncio.all_tasks(loop):
                t.cancel()
            loop.stop()
        loop = asyncio.new_event_loop()
        loop.call_soon(stop, loop)
        loop.run_forever()
        loop.close()
        """
    [finding] = findings(code)
    assert finding.fix.safety == "unsafe"
    assert fixed(code, unsafe=False) == textwrap.dedent(code)


@pytest.mark.parametrize(
    "line, expected, safety",
    [
        ("async def f():\n    return asyncio.Task.all_tasks()", "asyncio.all_tasks()", "safe"),
        ("def f(loop):\n    return asyncio.Task.all_tasks()", "asyncio.all_tasks(loop)", "safe"),
        ("def f(l):\n    return asyncio.Task.all_tasks(l)", "asyncio.all_tasks(l)", "safe"),
        ("class C:\n    def f(self):\n        self.loop = asyncio.new_event_loop()\n"
         "        return asyncio.Task.all_tasks()", "asyncio.all_tasks(self.loop)", "safe"),
    ],
)
def test_removed_api_safety(line, expected, safety):
    code = "import asyncio\n" + line + "\n"
    [finding] = findings(code)
    assert finding.rule == "AM202" and finding.fix.safety == safety
    assert expected in fixed(code)


def test_removed_api_reference_is_reported_without_fix():
    [finding] = findings("import asyncio\nall_tasks = asyncio.Task.all_tasks\n")
    assert finding.rule == "AM202" and finding.fix is None


@pytest.mark.parametrize(
    "code",
    [
        "import asyncio, sys\nif sys.version_info < (3, 7):\n    t = asyncio.Task.all_tasks()\n",
        "import asyncio\ntry:\n    f = asyncio.all_tasks\nexcept AttributeError:\n    f = asyncio.Task.all_tasks\n",
        "import asyncio\nf = getattr(asyncio, 'current_task', None) or asyncio.Task.current_task\n",
        "import asyncio\ndef f():\n    if hasattr(asyncio, 'all_tasks'):\n        return asyncio.all_tasks()\n"
        "    return asyncio.Task.all_tasks()\n",
        "import asyncio\ndef test(self):\n    with self.assertWarns(DeprecationWarning):\n"
        "        asyncio.Task.all_tasks()\n",
        # a class that merely has a method of that name
        "class Task:\n    def all_tasks(self): ...\nTask().all_tasks()\n",
    ],
)
def test_removed_api_silent(code):
    assert findings(code) == []


def test_removed_api_through_from_import_adds_import():
    new = fixed("from asyncio import Task as T\n\nasync def f():\n    return T.current_task()\n")
    assert "import asyncio\n" in new and "return asyncio.current_task()" in new


def test_coroutine_with_another_cancel_of_every_task_is_reported_without_fix():
    found = findings("""\
        import asyncio
        async def shutdown(loop):
            for t in asyncio.all_tasks():
                t.cancel()
            for t in asyncio.all_tasks():
                t.cancel()
            loop.stop()
        """)
    assert [f.fix for f in found] == [None, None]


def test_two_cancels_before_one_useless_stop_get_one_drain():
    code = """\
        import asyncio
        def main(loop):
            try:
                loop.run_forever()
            except KeyboardInterrupt:
                for t in asyncio.all_tasks(loop):
                    t.cancel()
                for t in asyncio.all_tasks(loop):
                    t.cancel()
                loop.stop()
        """
    assert [f.fix is not None for f in findings(code)] == [True, False]
    assert fixed(code).count("run_until_complete(") == 1


def test_fixes_apply_after_another_family_rewrote_the_module():
    new = fixed("""\
        import asyncio

        async def save():
            pass

        async def shutdown(loop):
            save()
            tasks = asyncio.all_tasks()
            for t in tasks:
                t.cancel()
            loop.stop()
        """)
    assert "    await save()\n" in new
    assert "    await asyncio.gather(*tasks, return_exceptions=True)\n    loop.stop()\n" in new


def test_edit_is_skipped_when_its_text_no_longer_matches():
    import libcst as cst

    from asyncmend.locate import Locator
    from asyncmend.codemods import edits

    module = cst.parse_module("loop.close()\n")
    edit = {"op": "before", "line": 1, "col": 0, "check": "other.close()", "code": ["x = 1"]}
    assert edits.apply(module, [edit], Locator(module)) is module


def test_import_for_type_checking_only_is_not_used_at_run_time():
    new = fixed("""\
        from typing import TYPE_CHECKING
        from asyncio import Task
        if TYPE_CHECKING:
            import asyncio

        async def f():
            return Task.current_task()
        """)
    assert new.startswith("from typing import TYPE_CHECKING\nfrom asyncio import Task\nimport asyncio\n")


def test_signal_handler_that_cancels_without_stop_is_reported_without_fix():
    [finding] = findings("""\
        import asyncio, signal
        def run(main):
            loop = asyncio.new_event_loop()
            def on_signal():
                for task in asyncio.all_tasks(loop):
                    task.cancel()
            loop.add_signal_handler(signal.SIGTERM, on_signal)
            try:
                loop.run_until_complete(main())
            finally:
                loop.close()
        """)
    assert finding.rule == "AM201" and finding.line == 11 and finding.fix is None


def test_statement_sharing_its_line_gets_no_fix():
    """The drain would go before ``loop.stop()``, which shares its line with ``loop.close()``."""
    code = AFTER_RUN.replace("    loop.close()\n", "    loop.stop(); loop.close()\n")
    [finding] = findings(code)
    assert finding.rule == "AM201" and finding.fix is None
    assert fixed(code) == code


def test_close_in_a_one_line_suite_gets_the_drain_after_the_cancel_loop():
    """``try: loop.close()`` leaves no line to insert before: the drain follows the cancel loop instead."""
    code = AFTER_RUN.replace("    loop.close()\n", "    try: loop.close()\n    finally: pass\n")
    [finding] = findings(code)
    assert finding.fix.safety == "safe"
    assert [e["op"] for e in finding.fix.params["edits"]] == ["after"]
    assert fixed(code) == code.replace(
        "        t.cancel()\n",
        "        t.cancel()\n    pending = asyncio.all_tasks(loop)\n    if pending:\n"
        "        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))\n",
    )


def test_helper_that_cancels_and_closes_is_fixed_without_seeing_the_run():
    code = """\
        import asyncio
        def shutdown(loop):
            for task in asyncio.all_tasks(loop):
                task.cancel()
            loop.stop()
            loop.close()
        """
    [finding] = findings(code)
    assert finding.fix.safety == "safe"
    new = fixed(code)
    assert "loop.stop()" not in new and "loop.run_until_complete(asyncio.gather(*pending" in new


def test_removed_api_is_found_when_another_function_has_a_local_of_the_same_name():
    # Issue 13: names are resolved where they stand, so ``other``'s local ``asyncio`` hides nothing.
    code = """\
        import asyncio

        def other():
            asyncio = None
            return asyncio

        async def main():
            for task in asyncio.Task.all_tasks():
                task.cancel()
        """
    [found] = findings(code)
    assert (found.rule, found.line) == ("AM202", 8)
    assert "for task in asyncio.all_tasks():\n" in fixed(code)


def test_removed_api_under_a_local_rebinding_stays_silent():
    code = """\
        import asyncio

        async def main(asyncio):
            for task in asyncio.Task.all_tasks():
                task.cancel()
        """
    assert findings(code) == []
