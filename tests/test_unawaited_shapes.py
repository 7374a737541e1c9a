"""Where a coroutine is dropped beyond a bare statement (``CallSite.shape``): which uses of a value
count as "used", so that only a coroutine nothing can reach is reported."""
from __future__ import annotations

import textwrap

import pytest

from asyncmend.codemods.summary import summarize
from asyncmend.source import SourceFile

HEAD = "import asyncio\n\nasync def job():\n    return 1\n\n"


def _shapes(body: str) -> list[tuple[int, str, str]]:
    text = HEAD + textwrap.dedent(body)
    src = SourceFile.from_bytes("case.py", text.encode())
    first = HEAD.count("\n") + 1
    return [(c.line - first + 1, c.shape, c.bound) for c in summarize(src, "case").calls if c.shape]


@pytest.mark.parametrize(
    "body, expected",
    [
        ("async def f():\n    if job():\n        pass\n", [(2, "tested", "")]),
        ("async def f():\n    while not job():\n        pass\n", [(2, "tested", "")]),
        ("async def f():\n    assert job(), 'message'\n", [(2, "tested", "")]),
        ("async def f():\n    return bool(job())\n", [(2, "tested", "")]),
        ("async def f(a):\n    return a if job() else 0\n", [(2, "tested", "")]),
        ("async def f(a):\n    return job() and a\n", [(2, "tested", "")]),
        ("async def f(a):\n    if a or job():\n        pass\n", [(2, "tested", "")]),
        ("async def f(a):\n    a and job()\n", [(2, "dropped", "")]),
        ("async def f(a):\n    job() if a else job()\n", [(2, "dropped", ""), (2, "dropped", "")]),
        ("async def f(a):\n    job() or a\n", [(2, "tested", "")]),
        ("async def f():\n    _ = job()\n", [(2, "assigned", "_")]),
        ("async def f():\n    x: object = job()\n", [(2, "assigned", "x")]),
        ("async def f(a):\n    x = a or job()\n", [(2, "assigned", "x")]),
        ("def f():\n    x = job()\n", [(2, "assigned", "x")]),
        ("def f():\n    def g():\n        nonlocal x\n        x = 2\n    x = job()\n", [(5, "assigned", "x")]),
        ("if job():\n    pass\n", [(1, "tested", "")]),
    ],
)
def test_dropped(body: str, expected: list) -> None:
    assert sorted(_shapes(body)) == sorted(expected)


@pytest.mark.parametrize(
    "body",
    [
        # the value is used: returned, passed on, stored, awaited, kept in a container or a closure
        "async def f():\n    return job()\n",
        "async def f():\n    x = job()\n    return x\n",
        "async def f():\n    x = job()\n    await x\n",
        "async def f():\n    x = job()\n    asyncio.create_task(x)\n",
        "async def f():\n    x = job()\n    return [x]\n",
        "async def f(o):\n    o.x = job()\n",
        "async def f():\n    x = job()\n    def g():\n        return x\n    return g\n",
        "async def f():\n    x = job()\n    class C:\n        y = x\n",
        "async def f():\n    x = job()\n    def g():\n        nonlocal x\n        return x\n",
        "async def f(a):\n    x = job() or a\n    return x\n",
        "async def f(a):\n    x = a if a else job()\n    return x\n",
        "async def f():\n    x = job()\n    yield x\n",
        "async def f():\n    return (yield job())\n",
        # read by name, or declared shared, or deleted: not decided here
        "async def f():\n    x = job()\n    del x\n",
        "async def f():\n    x = job()\n    return locals()\n",
        "async def f():\n    x = job()\n    return eval('x')\n",
        "async def f():\n    x = job()\n    import pdb\n    pdb.set_trace()\n",
        "async def f(shell):\n    x = job()\n    shell.embed()\n",
        "async def f():\n    x = job()\n    def g():\n        breakpoint()\n",
        "async def f():\n    global x\n    x = job()\n",
        "async def f():\n    x = 0\n    def g():\n        nonlocal x\n        x = job()\n    g()\n    return x\n",
        # not a scope where ``await`` may go, or where a name is private
        "x = job()\n",
        "class C:\n    x = job()\n",
        "async def f():\n    return [y for y in range(3) if job()]\n",
        "async def f():\n    return lambda: job() and 1\n",
        # not an assignment of the call itself, or not the builtin ``bool``
        "async def f():\n    x, y = job(), 1\n",
        "async def f():\n    x = y = job()\n",
        "async def f():\n    if (x := job()):\n        await x\n",
        "def bool(v):\n    return v\n\nasync def f():\n    return bool(job())\n",
        "async def f(a):\n    return job() or a\n",
        "async def f(a):\n    return a if a else job()\n",
        "async def f():\n    if job() is None:\n        pass\n",
    ],
)
def test_used_or_unsure(body: str) -> None:
    assert _shapes(body) == []
