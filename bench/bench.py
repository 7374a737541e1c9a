"""asyncmend against ruff, ty and LibCST on real code: wall time, CPU time and peak memory.

    python bench/bench.py [--corpora stdlib,aiohttp,homeassistant] [--runs 5] [--jobs 1,2]
                          [--libcst-runs 1] [--case-runs 5] [--no-cases] [--out docs/benchmark.md]

Corpora are prepared by bench/corpus.py in a cache folder outside the repository. Each command runs
in a fresh process under a small launcher that reports its children's resource use, so CPU is user +
system time of all processes and memory is the peak resident size of the largest process. Times are
medians over ``--runs`` runs (``--libcst-runs`` for LibCST's no-op codemod, which is slow).

Per corpus, for each ``--jobs``:

- ``check cold``: ``asyncmend check`` with an empty cache folder (so it also writes the cache);
- ``check warm``: the same again, nothing changed;

and once (the largest ``--jobs`` where it applies):

- ``fix --diff``: ``asyncmend fix --diff --unsafe-fixes --no-cache``;
- ``ast.parse``: CPython's parser over every file and nothing else, the floor for a tool built on it;
- ``ruff``: ``ruff check --isolated --no-cache --select ASYNC,RUF006`` (installed here if missing);
- ``ty``: ``ty check`` (installed here if missing): whole-program type inference, which also finds
  unawaited coroutines across modules;
- ``libcst noop``: ``python -m libcst.tool codemod noop.NOOPCommand`` (``--libcst-runs 0``: left out).

Then the cases that are not a corpus: ``one clean file`` (``asyncmend check`` of one small file in a bare
folder, whole process, with its cache warm as in a pre-commit hook, and without a cache) beside ruff on
it, and ``fix`` of a generated big file: one finding in 35,000 lines, 500 findings in 40,000 lines.
The package is compiled to bytecode first, as ``pip install`` does.
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


def ty() -> list[str]:
    exe = shutil.which("ty", path=os.path.dirname(sys.executable)) or shutil.which("ty")
    if exe is None:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "ty"], check=True)
        exe = shutil.which("ty", path=os.path.dirname(sys.executable)) or shutil.which("ty")
    return [exe]


# CPython's parser alone over the files of the current folder, as asyncmend finds them.
PARSE_ONLY = """
import ast, os, warnings
warnings.simplefilter("ignore")
for folder, dirs, names in os.walk("."):
    dirs[:] = [d for d in dirs if d not in ("site-packages", "__pycache__")]
    for name in names:
        if name.endswith(".py"):
            with open(os.path.join(folder, name), "rb") as f:
                raw = f.read()
            try:
                ast.parse(raw)
            except (SyntaxError, ValueError):
                pass
"""


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
            }
            if jobs == max(args.jobs):
                results["fix --diff"] = measure(
                    asyncmend("fix", "--diff", "--unsafe-fixes", "--no-cache", "-j", j, "."), root, args.runs)
                results["ast.parse"] = measure([sys.executable, "-c", PARSE_ONLY], root, args.runs)
                results["ruff"] = measure([*ruff(), "check", "--isolated", "--no-cache", "--select", "ASYNC,RUF006",
                                           "--exit-zero", "--quiet", "."], root, args.runs)
                results["ty"] = measure([*ty(), "check", "--exit-zero", "--no-progress", "."], root, args.runs)
            if args.libcst_runs and jobs == max(args.jobs):
                results["libcst noop"] = measure(
                    [sys.executable, "-m", "libcst.tool", "codemod", "noop.NOOPCommand", "-j", j, "--no-format", "."],
                    root, args.libcst_runs,
                )
            for what, r in results.items():
                rows.append(_row(label, len(files), mb, jobs, what, r))
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    return rows


ONE_CLEAN = "import asyncio\n\n\nasync def main() -> None:\n    await asyncio.sleep(0)\n"


def big_module(lines: int, findings: int) -> str:
    """A module of about ``lines`` lines: small async functions, ``findings`` of them (spread evenly)
    calling a coroutine function without awaiting it (AM101, whose fix is safe), the rest awaiting it."""
    head = ["import asyncio", "", "", "async def fetch(n):", "    await asyncio.sleep(0)", "    return n", ""]
    count = (lines - len(head)) // 7
    step = count // findings
    out = head
    for i in range(count):
        call = "fetch(y)" if i % step == 0 and i // step < findings else "await fetch(y)"
        out += ["", f"async def step_{i}(x):", f"    y = x + {i}", "    if y > 3:", "        y -= 1", f"    {call}",
                "    return y"]
    return "\n".join(out) + "\n"


def _row(corpus: str, files: int, mb: float, jobs, what: str, result: dict) -> dict:
    row = {"corpus": corpus, "files": files, "mb": mb, "jobs": jobs, "what": what, **result}
    print(f"{corpus:>24} -j{jobs} {what:>12}: {result['wall']:7.2f} s wall {result['cpu']:7.2f} s cpu "
          f"{result['rss_mb']:6.0f} MB  exit {result['codes']}", flush=True)
    return row


def bench_cases(args) -> list[dict]:
    """One small clean file (the pre-commit case), and fixes in a big generated file."""
    rows = []
    work = Path(tempfile.mkdtemp(prefix="asyncmend-bench-cases-"))
    try:
        one = work / "one"
        one.mkdir()
        (one / "one_clean.py").write_text(ONE_CLEAN)
        mb = len(ONE_CLEAN) / 1e6
        subprocess.run(asyncmend("check", "one_clean.py"), cwd=one, capture_output=True)  # its cache, warm
        for what, cmd in (("check", asyncmend("check", "one_clean.py")),
                          ("check --no-cache", asyncmend("check", "--no-cache", "one_clean.py")),
                          ("ruff", [*ruff(), "check", "--isolated", "--no-cache", "--select", "ASYNC,RUF006",
                                    "one_clean.py"])):
            rows.append(_row("one clean file", 1, mb, "-", what, measure(cmd, one, args.case_runs)))
        big = work / "big"
        big.mkdir()
        target = big / "big.py"
        for lines, findings in ((35_000, 1), (40_000, 500)):
            text = big_module(lines, findings)
            result = measure(asyncmend("fix", "--no-cache", "big.py"), big, args.case_runs,
                             before=lambda: target.write_text(text))
            fixed = target.read_text().count("    await fetch(y)") - text.count("    await fetch(y)")
            if fixed != findings:
                sys.exit(f"fix of {findings} findings in {lines} lines fixed {fixed}")
            label = f"{text.count(chr(10)):,} lines"
            rows.append(_row(label, 1, len(text) / 1e6, "-", f"fix {findings}", result))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return rows


def table(rows: list[dict]) -> str:
    out = ["| corpus | files | MB | -j | what | wall s | CPU s | peak MB |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        out.append(f"| {r['corpus']} | {r['files']} | {r['mb']:.1f} | {r['jobs']} | {r['what']} | "
                   f"{r['wall']:.2f} | {r['cpu']:.2f} | {r['rss_mb']:.0f} |")
    return "\n".join(out)


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def ratios(rows: list[dict]) -> str:
    """The targets (issue 19), as measured in this run."""
    out = []
    for corpus in dict.fromkeys(r["corpus"] for r in rows if r["jobs"] != "-"):
        got = {(r["what"], r["jobs"]): r for r in rows if r["corpus"] == corpus}
        jobs = sorted({j for _, j in got})
        one, most = jobs[0], jobs[-1]
        cold, warm = got["check cold", one], got["check warm", one]
        if ("ast.parse", most) in got:
            x = cold["cpu"] / got["ast.parse", most]["cpu"]
            out.append(f"- {corpus}: cold check CPU (-j {one}) / ast.parse CPU = {x:.2f}x (target <= 2.0: {_met(x <= 2)})")
        if ("ruff", most) in got:
            x = warm["cpu"] / got["ruff", most]["cpu"]
            out.append(f"- {corpus}: warm check CPU (-j {one}) / ruff cold CPU = {x:.2f}x (target <= 1: {_met(x <= 1)})")
        if ("ty", most) in got:
            out.append(f"- {corpus}: ty CPU / cold check CPU (-j {one}) = {got['ty', most]['cpu'] / cold['cpu']:.2f}x")
        if ("check cold", 2) in got and ("check cold", 1) in got:
            x = got["check cold", 1]["wall"] / got["check cold", 2]["wall"]
            out.append(f"- {corpus}: cold wall -j 1 / -j 2 = {x:.2f}x (target >= 1.8: {_met(x >= 1.8)})")
        peak = max(r["rss_mb"] for (what, _), r in got.items() if what.startswith(("check", "fix")))
        out.append(f"- {corpus}: asyncmend's peak memory {peak:.0f} MB (target <= 300: {_met(peak <= 300)})")
    for r in rows:
        if r["corpus"] == "one clean file" and r["what"] == "check":
            out.append(f"- one clean file, warm cache: {r['wall']:.3f} s wall (target <= 0.08: {_met(r['wall'] <= 0.08)})")
        elif r["what"] == "fix 1":
            out.append(f"- fix 1 finding, {r['corpus']}: {r['wall']:.2f} s wall (target <= 2: {_met(r['wall'] <= 2)})")
        elif r["what"] == "fix 500":
            ok = r["wall"] <= 8 and r["rss_mb"] <= 300
            out.append(f"- fix 500 findings, {r['corpus']}: {r['wall']:.2f} s wall, {r['rss_mb']:.0f} MB "
                       f"(target <= 8 s and <= 300 MB: {_met(ok)})")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", default="stdlib,aiohttp,homeassistant")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--libcst-runs", type=int, default=1)
    parser.add_argument("--jobs", default="1,2")
    parser.add_argument("--cache")
    parser.add_argument("--out")
    parser.add_argument("--no-cases", action="store_true", help="Leave out the one-file and big-file cases.")
    parser.add_argument("--case-runs", type=int, default=5, help="Runs of each one-file and big-file case.")
    args = parser.parse_args()
    args.jobs = [int(j) for j in args.jobs.split(",")]
    cache = cache_dir(args.cache, "ASYNCMEND_CORPORA", "asyncmend-corpora")
    # As installed by pip, whose install compiles the package to bytecode (this checkout's may be stale).
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "asyncmend"), str(REPO / "codemods")],
                   check=True, env={k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"})
    rows = []
    for name in filter(None, args.corpora.split(",")):
        root, label = prepare(cache, name)
        rows += bench_corpus(name, root, label, args)
    if not args.no_cases:
        rows += bench_cases(args)
    from importlib.metadata import version

    head = (
        f"Measured {datetime.date.today()} on {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; asyncmend at {subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=REPO, capture_output=True, text=True).stdout.strip()}, "
        f"{version_of([*ruff(), '--version'])}, {version_of([*ty(), '--version'])}, libcst {version('libcst')}; "
        f"median of {args.runs} runs ({args.libcst_runs} for LibCST, {args.case_runs} for the one-file and "
        f"big-file cases); peak memory is the largest process's."
    )
    text = f"{head}\n\n{table(rows)}\n\n{ratios(rows)}\n"
    print("\n" + text)
    if args.out:
        Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
