"""Time the drain family's detection (``DRAIN.check``) over a tree of Python files.

    python bench/drain_check.py /path/to/tree

Files are read and parsed with ``ast`` first; only ``DRAIN.check`` is timed. Prints the total, the
number of findings, and the three slowest files.
"""
from __future__ import annotations

import glob
import sys
import time

from asyncmend.model import AsyncmendError
from asyncmend.source import SourceFile
from asyncmend.codemods.registry import DRAIN


def main(root: str) -> None:
    sources = []
    for path in glob.glob(f"{root}/**/*.py", recursive=True):
        try:
            src = SourceFile.read(path)
            src.tree  # noqa: B018 - parse outside the timing
        except (AsyncmendError, OSError):
            continue
        sources.append(src)
    size = sum(len(s.raw) for s in sources) / 1e6
    timings, found = [], 0
    for src in sources:
        began = time.perf_counter()
        found += len(DRAIN.check(src))
        timings.append((time.perf_counter() - began, src.path))
    total = sum(t for t, _ in timings)
    print(f"{len(sources)} files, {size:.1f} MB: DRAIN.check {total * 1000:.0f} ms, {found} findings")
    for took, path in sorted(timings, reverse=True)[:3]:
        print(f"  {took * 1000:.0f} ms  {path}")


if __name__ == "__main__":
    main(sys.argv[1])
