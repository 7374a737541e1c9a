"""How AM101/AM102 resolve callees, and what the project index costs.

    python bench/resolution.py            # counts per fixture set, then the stdlib index timing

Counts: for the input side of every unawaited fixture, how many findings were resolved in the module
itself, through the project index, through typeshed (the standard library) and through installed
packages. Timing: summarising every module of the running interpreter's standard library (as the
project index does for files outside the given paths, and with call sites as for checked files),
then building the index from those summaries, on one process.
"""
from __future__ import annotations

import collections
import sys
import sysconfig
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from asyncmend import engine  # noqa: E402
from asyncmend.config import Settings  # noqa: E402
from asyncmend.discover import discover, module_name  # noqa: E402
from asyncmend.model import AsyncmendError  # noqa: E402
from asyncmend.source import SourceFile  # noqa: E402
from asyncmend.codemods.index import ProjectIndex  # noqa: E402
from asyncmend.codemods.summary import summarize  # noqa: E402

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "unawaited"


def fixture_counts() -> None:
    total: collections.Counter = collections.Counter()
    print("| fixture | module | index | typeshed | package |")
    print("| --- | --- | --- | --- | --- |")
    for case in sorted(FIXTURES.iterdir()):
        if case.is_file() and (case.suffix != ".py" or case.name.endswith(".expected.py")):
            continue  # not an input: an expected file or a snapshot
        target = case / "input" if case.is_dir() else case
        run = engine.check([str(target)], Settings(jobs=1))
        counts = collections.Counter(f.fix.params.get("via") for f in run.findings if f.fix)
        counts.update("module" for f in run.findings if f.fix is None)  # reported without a fix
        total.update(counts)
        name = case.name.removesuffix(".py")
        print(f"| {name} | " + " | ".join(str(counts[k]) for k in ("module", "index", "typeshed", "package")) + " |")
    print("| **all** | " + " | ".join(str(total[k]) for k in ("module", "index", "typeshed", "package")) + " |")


def stdlib_index() -> None:
    root = Path(sysconfig.get_paths()["stdlib"])
    files, _ = discover([str(root)], ("test", "tests", "idlelib", "lib2to3", "site-packages"))
    size = 0
    for with_calls in (False, True):
        start = time.perf_counter()
        summaries = []
        for path in files:
            try:
                src = SourceFile.read(path)
                size += len(src.raw) if not with_calls else 0
                summaries.append(summarize(src, *module_name(path), with_calls=with_calls))
            except (AsyncmendError, RecursionError):
                continue
        mid = time.perf_counter()
        index = ProjectIndex(summaries)
        end = time.perf_counter()
        kind = "summaries with call sites" if with_calls else "index-only summaries"
        print(
            f"stdlib {root}: {len(files)} files, {size / 1e6:.1f} MB; {kind}: {mid - start:.2f} s, "
            f"index build: {(end - mid) * 1000:.0f} ms, {len(index.modules)} modules, {len(index.classes)} classes"
        )


if __name__ == "__main__":
    fixture_counts()
    stdlib_index()
