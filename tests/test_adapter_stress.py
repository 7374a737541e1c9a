"""The AM305 adapter under load: threads wait on mirrors of asyncio futures and tasks while the loop
resolves, fails and cancels them, some before the mirror is made and some after."""
from __future__ import annotations

import asyncio
import concurrent.futures
import random
import threading

import pytest

from asyncmend.codemods.threads.adapter import ADAPTER, ADAPTER_DOC

ROUNDS = 5
FUTURES = 300
THREADS = 8


def _adapter():
    namespace = {"concurrent": concurrent}
    exec(ADAPTER.format(name="mirror", doc=ADAPTER_DOC), namespace)
    return namespace["mirror"]


def _wait(mirror, fut, how):
    """What a thread sees through the adapter."""
    try:
        if how == "exception":
            error = mirror(fut).exception(timeout=10)
            return ("error", error.args[0]) if error else ("result", None)
        return ("result", mirror(fut).result(timeout=10))
    except concurrent.futures.CancelledError:
        return ("cancelled",)
    except ValueError as exc:
        return ("error", exc.args[0])


async def _hang():
    await asyncio.sleep(3600)


async def _fail(i):
    await asyncio.sleep(0)
    raise ValueError(i)


async def _round(seed: int) -> None:
    mirror = _adapter()
    rng = random.Random(seed)
    loop = asyncio.get_running_loop()
    futures, wanted = [], []
    for i in range(FUTURES):
        fate = rng.choice(("result", "error", "cancelled", "task-error", "task-cancelled"))
        if fate == "task-error":
            futures.append(loop.create_task(_fail(i)))
            wanted.append(("error", i))
        elif fate == "task-cancelled":
            futures.append(loop.create_task(_hang()))
            wanted.append(("cancelled",))
        else:
            futures.append(loop.create_future())
            wanted.append((fate, i) if fate != "cancelled" else ("cancelled",))
    order = list(range(FUTURES))
    rng.shuffle(order)
    hows = [rng.choice(("result", "exception")) for _ in range(FUTURES)]
    started = threading.Barrier(THREADS + 1)

    def waiter(indexes):
        started.wait(timeout=10)
        return {i: _wait(mirror, futures[i], hows[i]) for i in indexes}

    with concurrent.futures.ThreadPoolExecutor(THREADS) as pool:
        jobs = [pool.submit(waiter, order[k::THREADS]) for k in range(THREADS)]
        await loop.run_in_executor(None, started.wait, 10)
        for n, i in enumerate(rng.sample(range(FUTURES), FUTURES)):
            fut, (fate, *rest) = futures[i], wanted[i]
            if isinstance(fut, asyncio.Task):
                if fate == "cancelled":
                    fut.cancel()
            elif fate == "result":
                fut.set_result(rest[0])
            elif fate == "error":
                fut.set_exception(ValueError(rest[0]))
            else:
                fut.cancel()
            if n % 7 == 0:
                await asyncio.sleep(0)
        seen = {}
        for job in jobs:
            seen.update(await asyncio.wait_for(asyncio.wrap_future(job), 20))
    await asyncio.gather(*futures, return_exceptions=True)
    for i in range(FUTURES):
        expected = wanted[i]
        if hows[i] == "exception" and expected[0] == "result":
            expected = ("result", None)
        assert seen[i] == expected, (i, seen[i], expected)


@pytest.mark.parametrize("seed", range(ROUNDS))
def test_adapter_mirrors_every_outcome(seed: int) -> None:
    asyncio.run(_round(seed), debug=True)


def test_adapter_on_a_done_future_needs_no_running_loop() -> None:
    mirror = _adapter()
    loop = asyncio.new_event_loop()
    try:
        fut = loop.create_future()
        fut.set_result(5)
        assert mirror(fut).result(timeout=0) == 5
    finally:
        loop.close()
