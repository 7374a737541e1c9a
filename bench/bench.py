"""asyncmend against ruff and LibCST on real code: wall time, CPU time and peak memory.

    python bench/bench.py [--corpora stdlib,aiohttp,homeassistant] [--runs 5] [--jobs 1,2]
                          [--libcst-runs 1] [--out docs/benchmark.md]

Corpora are prepared by bench/corpus.py in a cache folder outside the repository. Each command runs
in a fresh process under a small launcher that reports its children's resource use, so CPU is user +
system time of all processes and memory is the peak resident size of the largest process. Times are
medians over ``--runs`` runs (``--libcst-runs`` for LibCST's no-op codemod, which is slow).

- ``check cold``: ``asyncmend check`` with an empty cache folder (so it also writes the cache);
- ``check warm``: the same again, nothing changed;
- ``fix --diff``: ``asyncmend fix --diff --unsafe-fixes --no-cache``;
- ``ruff``: ``ruff check --isolated --no-cache --select ASYNC,RUF006`` (installed here if missing);
- ``libcst noop``: ``python -m libcst.tool codemod noop.NOOPCommand``.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from corpus import cache_dir, prepare, python_files  # noqa: E402
from sdists import ASYNCMEND  # noqa: E402

LAUNCHER = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
wall = time.perf_counter() - start
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall": wall, "cpu": r.ru_utime + r.ru_stime, "rss_mb": r.ru_maxrss / 1024, "code": code}))
"""


def measure(cmd: list[str], cwd: Path, runs: int, before=None) -> dict:
    samples = []
    for _ in range(runs):
        if before is not None:
            before()
        out = subprocess.run([sys.executable, "-c", LAUNCHER, *cmd], cwd=cwd, capture_output=True, text=True)
        samples.append(json.loads(out.stdout))
    return {
        "wall": statistics.median(s["wall"] for s in samples),
        "cpu": statistics.median(s["cpu"] for s in samples),
        "rss_mb": max(s["rss_mb"] for s in samples),
        "codes": sorted({s["code"] for s in samples}),
    }


def asyncmend(*args: str) -> list[str]:
    return [*ASYNCMEND, *args]


def ruff() -> list[str]:
    exe = shutil.which("ruff", path=os.path.dirname(sys.executable)) or shutil.which("ruff")
    if exe is None:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "ruff"], check=True)
        exe = shutil.which("ruff", path=os.path.dirname(sys.executable)) or shutil.which("ruff")
    return [exe]


def version_of(cmd: list[str]) -> str:
    return subprocess.run(cmd, capture_output=True, text=True).stdout.strip()


def bench_corpus(name: str, root: Path, label: str, args) -> list[dict]:
    files = python_files(root)
    mb = sum(map(len, files.values())) / 1e6
    rows = []
    cache = Path(tempfile.mkdtemp(prefix="asyncmend-bench-cache-"))
    try:
        for jobs in args.jobs:
            j = str(jobs)

            def empty_cache() -> None:
                shutil.rmtree(cache, ignore_errors=True)

            results = {
                "check cold": measure(asyncmend("check", "-j", j, "--cache-dir", str(cache), "."), root, args.runs,
                                      before=empty_cache),
                "check warm": measure(asyncmend("check", "-j", j, "--cache-dir", str(cache), "."), root, args.runs),
                "fix --diff": measure(asyncmend("fix", "--diff", "--unsafe-fixes", "--no-cache", "-j", j, "."), root,
                                      args.runs),
                "ruff": measure([*ruff(), "check", "--isolated", "--no-cache", "--select", "ASYNC,RUF006",
                                 "--exit-zero", "--quiet", "."], root, args.runs),
            }
            if args.libcst_runs:
                results["libcst noop"] = measure(
                    [sys.executable, "-m", "libcst.tool", "codemod", "noop.NOOPCommand", "-j", j, "--no-format", "."],
                    root, args.libcst_runs,
                )
            for what, r in results.items():
                rows.append({"corpus": label, "files": len(files), "mb": mb, "jobs": jobs, "what": what, **r})
                print(f"{label:>24} -j{jobs} {what:>12}: {r['wall']:7.2f} s wall {r['cpu']:7.2f} s cpu "
                      f"{r['rss_mb']:6.0f} MB  exit {r['codes']}", flush=True)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    return rows


def table(rows: list[dict]) -> str:
    out = ["| corpus | files | MB | -j | what | wall s | CPU s | peak MB |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        out.append(f"| {r['corpus']} | {r['files']} | {r['mb']:.1f} | {r['jobs']} | {r['what']} | "
                   f"{r['wall']:.2f} | {r['cpu']:.2f} | {r['rss_mb']:.0f} |")
    return "\n".join(out)


def ratios(rows: list[dict]) -> str:
    """The issue's targets, as ratios measured in this run."""
    out = []
    for corpus in dict.fromkeys(r["corpus"] for r in rows):
        for jobs in dict.fromkeys(r["jobs"] for r in rows):
            got = {r["what"]: r for r in rows if r["corpus"] == corpus and r["jobs"] == jobs}
            cold, warm, ruff_ = got["check cold"]["wall"], got["check warm"]["wall"], got["ruff"]["wall"]
            line = f"- {corpus}, -j {jobs}: cold/ruff = {cold / ruff_:.1f}x (target <= 5), warm/ruff = {warm / ruff_:.2f} (target <= 1)"
            if "libcst noop" in got:
                line += f", cold/libcst = {cold / got['libcst noop']['wall']:.3f} (target <= 0.1)"
            line += f", peak {max(r['rss_mb'] for r in got.values() if r['what'] != 'libcst noop'):.0f} MB (target <= 500)"
            out.append(line)
        one = [r for r in rows if r["corpus"] == corpus and r["what"] == "check cold" and r["jobs"] == 1]
        two = [r for r in rows if r["corpus"] == corpus and r["what"] == "check cold" and r["jobs"] == 2]
        if one and two:
            out.append(f"- {corpus}: cold -j 1 / -j 2 = {one[0]['wall'] / two[0]['wall']:.2f}x (target >= 1.7)")
        cold = [r for r in rows if r["corpus"] == corpus and r["what"] == "check cold"]
        for r in cold:
            out.append(f"- {corpus}, -j {r['jobs']}: {r['mb'] / r['wall']:.2f} MB/s cold")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", default="stdlib,aiohttp,homeassistant")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--libcst-runs", type=int, default=1)
    parser.add_argument("--jobs", default="1,2")
    parser.add_argument("--cache")
    parser.add_argument("--out")
    args = parser.parse_args()
    args.jobs = [int(j) for j in args.jobs.split(",")]
    cache = cache_dir(args.cache)
    rows = []
    for name in args.corpora.split(","):
        root, label = prepare(cache, name)
        rows += bench_corpus(name, root, label, args)
    from importlib.metadata import version

    head = (
        f"Measured {datetime.date.today()} on {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; asyncmend at {subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=REPO, capture_output=True, text=True).stdout.strip()}, "
        f"{version_of([*ruff(), '--version'])}, libcst {version('libcst')}; "
        f"median of {args.runs} runs ({args.libcst_runs} for LibCST)."
    )
    text = f"{head}\n\n{table(rows)}\n\n{ratios(rows)}\n"
    print("\n" + text)
    if args.out:
        Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
