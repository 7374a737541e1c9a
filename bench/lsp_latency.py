"""How long ``asyncmend server`` takes from ``didChange`` to the document's diagnostics.

    python bench/lsp_latency.py PROJECT FILE [--edits 20]

Starts the server on PROJECT as an editor would (tests/test_lsp.py's client), opens FILE, and edits
it: each edit adds, or takes away again, a coroutine called without ``await`` at its end; the time is
from sending ``didChange`` to receiving the diagnostics of that version (the server's debounce
included). Run it twice: the first run, with no ``.asyncmend_cache`` in PROJECT, is the cold start.

- ``before index``: an edit sent right after start, while the project index is still being built;
- ``first after index``: the first edit once the index is in;
- ``warm``: the edits after that (median and worst).
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.test_lsp import Editor  # noqa: E402

PROBE = "\n\nasync def _bench_probe():\n    _bench_probe()\n"


async def measure(root: Path, name: str, edits: int) -> dict[str, float]:
    started = time.perf_counter()
    editor = Editor(root, timeout=1800)
    out: dict[str, float] = {}
    async with editor:
        text = (root / name).read_text()
        editor.open(name)
        await editor.diagnostics_of(name)
        out["open to diagnostics"] = time.perf_counter() - started

        async def edit(i: int) -> float:
            new = text + PROBE if i % 2 == 0 else text
            sent = time.perf_counter()
            editor.change(name, new)
            found = await editor.diagnostics_of(name)
            took = time.perf_counter() - sent
            probe_line = len(text.splitlines()) + 3
            assert any(d.range.start.line == probe_line for d in found) == (i % 2 == 0), found
            return took

        indexed = any("indexed" in m for m in editor.log)
        out["before index" if not indexed else "first edit"] = await edit(0)
        await editor.indexed()
        out["index ready"] = time.perf_counter() - started
        await asyncio.sleep(1)  # the re-check that follows the index
        out["first after index"] = await edit(1)
        warm = [await edit(i) for i in range(2, 2 + edits)]
        out["warm median"] = statistics.median(warm)
        out["warm worst"] = max(warm)
        pid = editor.client._server.pid
        status = Path(f"/proc/{pid}/status")
        if status.exists():
            peak = next(line for line in status.read_text().splitlines() if line.startswith("VmHWM"))
            out["server peak MB"] = int(peak.split()[1]) / 1024
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("file")
    parser.add_argument("--edits", type=int, default=20)
    args = parser.parse_args()
    for key, value in asyncio.run(measure(args.project.resolve(), args.file, args.edits)).items():
        print(f"{key}: {value:.3f}" if "MB" not in key else f"{key}: {value:.0f}")


if __name__ == "__main__":
    main()
