"""Evidence before a fix: the classes of wrong findings and wrong fixes met on real projects.

Annotations are claims, old-Python compatibility code is not a mistake, a fix must work where it
lands and never hang, and files written for Python 3.5/3.6 are read.
"""
from __future__ import annotations

import ast
import sys
import textwrap
from pathlib import Path

import pytest

from asyncmend import engine
from asyncmend.config import Settings
from asyncmend.source import SourceFile, parse_legacy, rename_soft_keywords
from asyncmend.codemods.registry import DRAIN, THREADS


def _project(tmp_path: Path, files: dict[str, str]) -> Path:
    (tmp_path / "pyproject.toml").write_text("")
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return tmp_path


def _check(tmp_path: Path, files: dict[str, str]):
    root = _project(tmp_path, files)
    return engine.check([str(root)], Settings(jobs=1, cache=False)).findings


def _fix(tmp_path: Path, files: dict[str, str]):
    root = _project(tmp_path, files)
    run = engine.fix([str(root)], Settings(jobs=1, cache=False, unsafe_fixes=True), write=True)
    return run, {name: (root / name).read_text() for name in files}


# 1. An annotation is a claim ---------------------------------------------------------------------

STORE = """\
    from typing import Coroutine


    async def ping():
        return 1


    async def wrong() -> Coroutine:
        await ping()


    async def wrong_value() -> Coroutine:
        return await ping()


    async def factory() -> Coroutine:
        return ping()


    async def main():
        await wrong()
        await wrong_value()
        await factory()
"""


def test_coroutine_annotation_needs_a_body_that_returns_a_coroutine(tmp_path: Path) -> None:
    found = _check(tmp_path, {"m.py": STORE})
    assert [(f.line, f.rule) for f in found] == [(23, "AM101")]  # only ``await factory()``
    assert found[0].fix is not None


def test_plain_function_annotated_coroutine_without_a_coroutine_in_its_body(tmp_path: Path) -> None:
    found = _check(tmp_path, {"m.py": """\
        from typing import Coroutine


        def later() -> Coroutine:
            print("not a coroutine at all")


        async def main():
            later()
    """})
    assert found == []


PARAM = """\
class Store:
    async def save(self):
        pass


async def use(store: Store):
    store.save()
"""


def test_parameter_annotation_alone_gives_no_fix(tmp_path: Path) -> None:
    run, files = _fix(tmp_path, {"m.py": PARAM})
    [finding] = run.findings
    assert finding.fix is None and "known only from an annotation" in finding.message
    assert files["m.py"] == PARAM


def test_parameter_filled_by_every_call_in_view_gives_an_unsafe_fix(tmp_path: Path) -> None:
    code = PARAM + "\n\nasync def main():\n    await use(Store())\n"
    found = _check(tmp_path, {"m.py": code})
    [finding] = found
    assert finding.fix is not None and finding.fix.safety == "unsafe"


@pytest.mark.parametrize("caller", [
    "async def main(x):\n    await use(x)\n",  # what is passed is not shown
    "async def main():\n    await use(Store())\n    await use(object())\n",  # not every call agrees
    "handlers = [use]\n",  # handed elsewhere: any caller
])
def test_parameter_calls_that_do_not_all_agree_give_no_fix(tmp_path: Path, caller: str) -> None:
    [finding] = _check(tmp_path, {"m.py": PARAM + "\n\n" + caller})
    assert finding.fix is None


def test_annotated_variable_with_a_value_of_another_kind_gives_no_fix(tmp_path: Path) -> None:
    found = _check(tmp_path, {"m.py": PARAM + "\n\nasync def main(make):\n    s: Store = make()\n    s.save()\n"})
    assert [(f.line, f.fix) for f in found] == [(7, None), (12, None)]


# 2. Old-Python compatibility code is not a mistake -------------------------------------------------

def _am202(code: str):
    return [f for f in DRAIN.check(SourceFile.from_bytes("t.py", textwrap.dedent(code).encode())) if f.rule == "AM202"]


@pytest.mark.parametrize("code", [
    # version tests in any form
    "import asyncio, sys\nif sys.version_info[:2] < (3, 7):\n    f = asyncio.Task.all_tasks\n",
    "import asyncio, sys\nif sys.version_info[1] < 7:\n    f = asyncio.Task.all_tasks\n",
    "import asyncio, sys\nif sys.version_info.minor < 7:\n    f = asyncio.Task.all_tasks\n",
    "import asyncio, sys\nif sys.version < '3.7':\n    f = asyncio.Task.all_tasks\n",
    "import asyncio, sys\nif sys.hexversion < 0x030700F0:\n    f = asyncio.Task.all_tasks\n",
    "import asyncio, platform\nif platform.python_version_tuple() < ('3', '7'):\n    f = asyncio.Task.all_tasks\n",
    # module flags, whatever their name, and flags of flags
    "import asyncio, sys\nNEW = sys.version_info >= (3, 7)\ndef f(loop):\n    if NEW:\n        return asyncio.all_tasks(loop)\n"
    "    return asyncio.Task.all_tasks(loop)\n",
    "import asyncio, sys\nV = sys.version_info[:2]\nMODERN = V >= (3, 7)\n"
    "f = asyncio.all_tasks if MODERN else asyncio.Task.all_tasks\n",
    "import asyncio\nHAS = hasattr(asyncio, 'all_tasks')\nif not HAS:\n    f = asyncio.Task.all_tasks\n",
    # imported flags named for a version
    "import asyncio\nfrom .compat import PY_37\nif not PY_37:\n    f = asyncio.Task.current_task\n",
    "import asyncio\nfrom .helpers import PY37\ndef f(loop):\n    if PY37:\n        return asyncio.all_tasks(loop)\n"
    "    return asyncio.Task.all_tasks(loop)\n",
    "import asyncio\n_all = getattr(asyncio, 'all_tasks', None)\nif _all is None:\n    _all = asyncio.Task.all_tasks\n",
    # the new API reached for in a ``try``
    "import asyncio\ntry:\n    from asyncio import all_tasks\nexcept ImportError:\n    all_tasks = asyncio.Task.all_tasks\n",
    "import asyncio\ntry:\n    from asyncio import current_task\nexcept ImportError:\n"
    "    def current_task(loop=None):\n        return asyncio.Task.current_task(loop)\n",
    "import asyncio\ntry:\n    from asyncio import all_tasks\nexcept (ImportError, AttributeError):\n"
    "    all_tasks = asyncio.Task.all_tasks\n",
    # a fallback function that newer Pythons replace
    "import asyncio, sys\nPY_37 = sys.version_info >= (3, 7)\ndef all_tasks(loop=None):\n"
    "    return asyncio.Task.all_tasks(loop)\nif PY_37:\n    all_tasks = asyncio.all_tasks\n",
])
def test_compatibility_code_is_silent(code):
    assert _am202(code) == []


def test_a_flag_that_is_not_a_version_test_is_no_excuse():
    found = _am202("import asyncio\nDEBUG = True\ndef f(loop):\n    if DEBUG:\n        return asyncio.Task.all_tasks(loop)\n")
    assert [f.line for f in found] == [5]


TROLLIUS = """\
    try:
        import asyncio
    except ImportError:
        import trollius as asyncio
    import threading


    async def work():
        pass


    async def main(loop):
        asyncio.sleep(1)
        work()
        return asyncio.Task.all_tasks(loop)


    def start(loop):
        def run():
            loop.call_soon(print, 1)
        threading.Thread(target=run).start()


    async def serve():
        loop = asyncio.get_running_loop()
        start(loop)
"""


@pytest.mark.parametrize("fallback", ["import trollius as asyncio", "asyncio = None"])
def test_trollius_fallback_import_does_not_hide_asyncio(tmp_path: Path, fallback: str) -> None:
    found = _check(tmp_path, {"m.py": TROLLIUS.replace("import trollius as asyncio", fallback)})
    assert {(f.line, f.rule) for f in found} >= {(13, "AM101"), (15, "AM202")}


@pytest.mark.parametrize("fallback", ["import trollius as asyncio", "asyncio = None"])
def test_trollius_fallback_import_does_not_hide_asyncio_from_thread_rules(fallback: str) -> None:
    code = textwrap.dedent(f"""\
        try:
            import asyncio
        except ImportError:
            {fallback}
        import threading


        async def main():
            loop = asyncio.get_running_loop()
            threading.Thread(target=lambda: loop.call_soon(print, 1)).start()
    """)
    found = THREADS.check(SourceFile.from_bytes("t.py", code.encode()))
    assert [(f.line, f.rule) for f in found] == [(10, "AM301")]


# 3. A fix must work where it lands ------------------------------------------------------------------

@pytest.mark.parametrize("code", [
    "import asyncio\ndef f():\n    return asyncio.Task.all_tasks()\n",
    "import asyncio\ndef f():\n    return asyncio.Task.current_task()\n",
    "import asyncio\nasync def f():\n    g = lambda: asyncio.Task.all_tasks()\n",
])
def test_without_a_loop_in_reach_there_is_no_fix(code):
    [finding] = _am202(code)
    assert finding.fix is None and "no event loop is in reach" in finding.message


def test_the_loop_the_code_gets_is_passed():
    [finding] = _am202("import asyncio\ndef f():\n    loop = asyncio.get_event_loop()\n"
                       "    for t in asyncio.Task.all_tasks():\n        t.cancel()\n")
    assert finding.fix.safety == "safe"
    assert finding.fix.params["edits"][0]["code"] == "asyncio.all_tasks(loop)"


# 4. No fix that can hang ---------------------------------------------------------------------------

def _am305(body: str):
    code = "import asyncio\nimport threading\nimport concurrent.futures\n" + textwrap.dedent(body)
    return [f for f in THREADS.check(SourceFile.from_bytes("t.py", code.encode())) if f.rule == "AM305"]


def test_fire_and_forget_worker_gets_the_adapter():
    [finding] = _am305("""\
        def peek(fut):
            return fut.result()

        async def main():
            fut = asyncio.get_running_loop().create_future()
            threading.Thread(target=peek, args=(fut,)).start()
    """)
    assert finding.fix is not None and finding.fix.action == "mirror"


@pytest.mark.parametrize("waits", [
    "t = threading.Thread(target=peek, args=(fut,))\n    t.start()\n    t.join()",
    "await asyncio.get_running_loop().run_in_executor(None, peek, fut)",
    "await asyncio.to_thread(peek, fut)",
    "await asyncio.gather(asyncio.to_thread(peek, fut))",
    "pool = concurrent.futures.ThreadPoolExecutor()\n    pool.submit(peek, fut)\n    pool.shutdown()",
    "pool = concurrent.futures.ThreadPoolExecutor()\n    job = pool.submit(peek, fut)\n    job.result()",
    "pool = concurrent.futures.ThreadPoolExecutor()\n    jobs = [pool.submit(peek, fut)]\n"
    "    concurrent.futures.wait(jobs)",
    "with concurrent.futures.ThreadPoolExecutor() as pool:\n        pool.submit(peek, fut)",
])
def test_a_worker_the_loop_waits_for_gets_no_adapter(waits):
    [finding] = _am305(f"""\
def peek(fut):
    return fut.result()

async def main():
    fut = asyncio.get_running_loop().create_future()
    {waits}
""")
    assert finding.fix is None and "would wait forever" in finding.message


def test_thread_subclass_joined_gets_no_adapter():
    [finding] = _am305("""\
        class Worker(threading.Thread):
            def __init__(self, fut):
                super().__init__()
                self.fut = fut

            def run(self):
                print(self.fut.result())

        async def main(fut: asyncio.Future):
            w = Worker(fut)
            w.start()
            w.join()
    """)
    assert finding.fix is None


# 5. Python 3.5/3.6 files are read ------------------------------------------------------------------

OLD = """\
    import asyncio
    from .util.async import run_coroutine_threadsafe


    def schedule(coro, loop, async=True):
        if async:
            return asyncio.async(coro, loop=loop)
        return run_coroutine_threadsafe(coro, loop)


    class Hub:
        def async(self):
            return self

        async def stop(self, loop):
            with (await self.lock):
                await asyncio.sleep(0)
            for task in asyncio.Task.all_tasks(loop):
                task.cancel()
            return [x async for x in self.items()]


    async def ping():
        await asyncio.sleep(0)


    async def main():
        ping()
"""


def test_old_soft_keyword_names_are_read_with_their_names_kept() -> None:
    text = textwrap.dedent(OLD)
    with pytest.raises(SyntaxError):
        ast.parse(text)
    tree = parse_legacy(text)
    assert tree is not None
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    attrs = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    assert "async" in names and "async" in attrs
    assert {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} == {"util.async"}
    assert sum(isinstance(n, ast.Await) for n in ast.walk(tree)) == 3
    assert any(isinstance(n, ast.AsyncFunctionDef) and n.name == "stop" for n in ast.walk(tree))
    renamed, stand_ins = rename_soft_keywords(text)
    assert len(renamed) == len(text) and renamed.count("\n") == text.count("\n")
    assert set(stand_ins.values()) == {"async"}


def test_a_file_that_is_not_old_python_either_is_still_unreadable() -> None:
    assert parse_legacy("async = 1\ndef f(:\n") is None
    assert parse_legacy("x = (\n") is None


def test_old_file_findings_are_reported_without_fix_and_the_file_is_untouched(tmp_path: Path) -> None:
    run, files = _fix(tmp_path, {"m.py": OLD})
    [result] = run.files
    assert result.error is None
    found = {(f.line, f.rule) for f in result.findings}
    assert found == {(7, "AM202"), (18, "AM202"), (28, "AM101")}
    assert all(f.fix is None and "cannot parse" in f.message for f in result.findings)
    assert files["m.py"] == textwrap.dedent(OLD)


def test_asyncio_async_is_reported_as_removed(tmp_path: Path) -> None:
    [finding] = [f for f in _check(tmp_path, {"m.py": OLD}) if f.line == 7]
    assert "asyncio.ensure_future" in finding.message


def test_asyncio_async_in_compatibility_code_is_silent(tmp_path: Path) -> None:
    found = _check(tmp_path, {"m.py": """\
        import asyncio
        try:
            from asyncio import ensure_future
        except ImportError:
            ensure_future = asyncio.async
        spawn = getattr(asyncio, "ensure_future", None) or getattr(asyncio, "async")
    """})
    assert found == []


@pytest.mark.parametrize("body", [
    "return dict(a=1)",  # a builtin
    "return Record()",  # a class of the module
    "return plain()",  # a plain function of the module
    "return loop_back()",  # a plain function claiming a coroutine, whose body returns a claim back
])
def test_a_body_returning_what_is_plainly_no_coroutine_is_no_factory(tmp_path: Path, body: str) -> None:
    found = _check(tmp_path, {"m.py": f"""\
from typing import Coroutine


class Record:
    pass


def plain():
    return 1


def loop_back() -> Coroutine:
    return loop_back()


async def claim() -> Coroutine:
    {body}


async def main():
    await claim()
"""})
    assert [f.line for f in found if f.line == 21] == []


LOOPING = """\
import asyncio


async def reader(queue, source):
    while True:
        try:
            item = await source.get()
        except asyncio.CancelledError:
            break
        queue.put_nowait(item)


async def poll(source):
    while True:
        if await source.ready():
            return
        await asyncio.sleep(1)


async def main(queue, source):
    reader(queue, source)
    poll(source)
"""


def test_a_coroutine_that_loops_until_stopped_is_not_awaited_for_you(tmp_path: Path) -> None:
    found = {f.line: f for f in _check(tmp_path, {"m.py": LOOPING})}
    assert found[21].fix is None and "loops until stopped" in found[21].message
    assert found[22].fix is not None  # it returns once the source is ready: awaiting is the fix


def test_the_loop_an_enclosing_function_holds_is_passed():
    [finding] = _am202("import asyncio\ndef run():\n    loop = asyncio.new_event_loop()\n"
                       "    def stop():\n        for t in asyncio.Task.all_tasks():\n            t.cancel()\n"
                       "    loop.call_soon(stop)\n")
    assert finding.fix.params["edits"][0]["code"] == "asyncio.all_tasks(loop)"


def test_a_closure_that_rebinds_the_name_does_not_get_the_outer_loop():
    [finding] = _am202("import asyncio\ndef run():\n    loop = asyncio.new_event_loop()\n"
                       "    def stop(loop):\n        return asyncio.Task.all_tasks()\n")
    assert finding.fix.params["edits"][0]["code"] == "asyncio.all_tasks(loop)"  # its own parameter
    [finding] = _am202("import asyncio\ndef run():\n    loop = asyncio.new_event_loop()\n"
                       "    def stop():\n        loop = None\n        return asyncio.Task.all_tasks()\n")
    assert finding.fix is None


def test_asyncio_async_alone_in_a_file_is_reported(tmp_path: Path) -> None:
    [finding] = _check(tmp_path, {"m.py": "import asyncio\n\n\ndef spawn(coro, loop):\n"
                                          "    return asyncio.async(coro, loop=loop)\n"})
    assert finding.rule == "AM202" and finding.line == 5 and finding.fix is None
    assert "asyncio.ensure_future" in finding.message and "cannot parse" in finding.message


@pytest.mark.skipif(sys.version_info >= (3, 13), reason="Python 3.13 no longer parses with feature_version=(3, 6)")
def test_old_files_read_as_cpython_reads_them_with_the_36_grammar() -> None:
    # CPython's 3.6 grammar rejects ``with (x):`` (valid in 3.6): that is why it is not used.
    text = textwrap.dedent(OLD).replace("with (await self.lock):", "with self.lock:")
    text += "\n\nasync def inner():\n    return [await x async for x in y()]\n\n\ndef plain(await=1):\n    return await\n"
    text += "\nf = lambda async: async\nx = obj.await(async=1)\n"
    assert ast.dump(parse_legacy(text)) == ast.dump(ast.parse(text, feature_version=(3, 6)))


def test_the_loop_the_code_gets_by_calling_get_event_loop_is_passed():
    [finding] = _am202("import asyncio\ndef shutdown():\n    asyncio.get_event_loop().run_until_complete(asyncio.sleep(0))\n"
                       "    for t in asyncio.Task.all_tasks():\n        t.cancel()\n")
    assert finding.fix.params["edits"][0]["code"] == "asyncio.all_tasks(asyncio.get_event_loop())"
    # only a call made before, in the same function, counts
    [finding] = _am202("import asyncio\ndef shutdown():\n    for t in asyncio.Task.all_tasks():\n        t.cancel()\n"
                       "    asyncio.get_event_loop().stop()\n")
    assert finding.fix is None


def test_with_the_task_fix_chosen_a_looping_coroutine_becomes_a_task(tmp_path: Path) -> None:
    root = _project(tmp_path, {"m.py": LOOPING})
    run = engine.check([str(root)], Settings(jobs=1, cache=False, unawaited_fix="task"))
    found = {f.line: f for f in run.findings}
    assert found[21].fix is not None and found[21].fix.action == "task"


# Every ``async``/``await`` Python 3.6 reads as a name is written ASYNC/AWAIT here; the keywords are
# lower case. The reader must rename exactly the upper-case ones, in place.
SOFT_KEYWORDS = '''\
import ASYNC.AWAIT as ASYNC
from x import y as AWAIT, ASYNC
s = "async await"  # async await
f = f"{s} async"
if s:
    AWAIT = ASYNC(ASYNC=1, \\
                  AWAIT=2)
async def one(a: int = (1), b={1: 2}): await a
AWAIT = lambda ASYNC: ASYNC
async def two(a: int,
              b=[1]):
    if a:
        pass
    await a
    async with a:
        await a
    async for x in a:
        pass
    await a
def three(a):
    global ASYNC
    def inner(AWAIT):
        return AWAIT
    return a.AWAIT(ASYNC=a).ASYNC
class K:
    def ASYNC(self): pass
    def m(self):
        return [AWAIT for ASYNC in self]
AWAIT = 1
'''


def test_old_soft_keywords_renamed_exactly_where_they_are_names() -> None:
    text = SOFT_KEYWORDS.replace("ASYNC", "async").replace("AWAIT", "await")
    renamed, stand_ins = rename_soft_keywords(text)
    by_word = {word: stand_in for stand_in, word in stand_ins.items()}
    assert renamed == SOFT_KEYWORDS.replace("ASYNC", by_word["async"]).replace("AWAIT", by_word["await"])
    tree = parse_legacy(text)
    assert tree is not None
    kinds = [type(n).__name__ for n in ast.walk(tree)]
    if sys.version_info < (3, 13):  # as CPython 3.6 reads it
        assert ast.dump(tree) == ast.dump(ast.parse(text, feature_version=(3, 6)))
    assert kinds.count("Await") == 4 and kinds.count("AsyncWith") == kinds.count("AsyncFor") == 1
    assert {n.name for n in ast.walk(tree) if isinstance(n, ast.AsyncFunctionDef)} == {"one", "two"}
    aliases = {(n.name, n.asname) for n in ast.walk(tree) if isinstance(n, ast.alias)}
    assert aliases == {("async.await", "async"), ("y", "await"), ("async", None)}
    assert [n.names for n in ast.walk(tree) if isinstance(n, ast.Global)] == [["async"]]
    assert {n.arg for n in ast.walk(tree) if isinstance(n, ast.keyword)} == {"async", "await"}
    names = " ".join(ast.dump(tree).split("'")[1::2])
    assert "_0" not in names  # no stand-in left in the tree
