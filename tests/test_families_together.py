"""Mistakes of every family in one file are all fixed in one run, and a second run changes nothing."""
from __future__ import annotations

from pathlib import Path

from asyncmend import engine
from asyncmend.config import Settings

SOURCE = '''\
import asyncio
import threading


async def ping():
    print("ping")


async def worker():
    ping()


def from_thread(loop):
    loop.call_soon(print, "hi")


def main():
    loop = asyncio.new_event_loop()
    t = threading.Thread(target=from_thread, args=(loop,))
    t.start()
    t.join()
    loop.run_until_complete(worker())
    for task in asyncio.all_tasks(loop):
        task.cancel()
    loop.close()
'''


def test_every_family_in_one_run(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text(SOURCE)
    settings = Settings(jobs=1, unsafe_fixes=True)
    before = {f.rule for f in engine.check([str(path)], settings).findings}
    assert {"AM101", "AM201", "AM301"} <= before
    engine.fix([str(path)], settings, write=True)
    fixed = path.read_text()
    assert "    await ping()\n" in fixed
    assert 'call_soon_threadsafe(print, "hi")' in fixed
    assert "return_exceptions=True" in fixed
    assert engine.check([str(path)], settings).findings == []
    engine.fix([str(path)], settings, write=True)
    assert path.read_text() == fixed
