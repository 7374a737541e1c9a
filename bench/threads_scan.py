"""Run the threads family's check over a tree of Python files: crashes, findings, time per MB.

    python bench/threads_scan.py DIR...
"""
import os
import sys
import time
import traceback

from asyncmend.model import AsyncmendError
from asyncmend.source import SourceFile
from asyncmend.codemods.registry import THREADS


def main(paths):
    files = [os.path.join(root, name) for path in paths for root, _, names in os.walk(path)
             for name in names if name.endswith(".py")]
    size = parse = check = 0.0
    found, crashed = [], 0
    for path in files:
        try:
            src = SourceFile.read(path)
            t = time.perf_counter()
            src.tree  # noqa: B018 - parse, and time it
            parse += time.perf_counter() - t
        except (AsyncmendError, RecursionError):
            continue
        size += len(src.raw)
        t = time.perf_counter()
        try:
            found.extend(THREADS.check(src))
        except Exception:
            crashed += 1
            print("CRASH", path)
            traceback.print_exc(limit=-2)
        check += time.perf_counter() - t
    for f in found:
        print(f"{f.path}:{f.line}:{f.col}: {f.rule} {f.message} [{f.fix.safety if f.fix else 'no fix'}]")
    print(f"{len(files)} files, {size / 1e6:.1f} MB; ast.parse {parse:.1f}s; THREADS.check {check:.1f}s; "
          f"{len(found)} findings; {crashed} crashes")


if __name__ == "__main__":
    main(sys.argv[1:])
