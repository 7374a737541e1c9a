"""Run asyncmend over real code and check that it never breaks a file.

    python bench/corpus.py [--cache DIR] [--only stdlib,aiohttp,homeassistant] [-j N] [--plant aiohttp] [--out FILE]

Corpora are prepared once in a cache folder outside the repository (default
``~/.cache/asyncmend-corpora``, or ``$ASYNCMEND_CORPORA``): a copy of the running interpreter's standard
library, and the source distributions of aiohttp and homeassistant from PyPI (``pip download --no-deps
--no-binary :all:``, unpacked). For each corpus the script

1. copies it (for a corpus named in ``--plant``, a second copy also gets the three mistakes planted into every file,
   as in tests/fuzz_props.py, so that the rewriters run on every real file, not only on the few
   with findings);
2. runs ``asyncmend check --format json`` and ``asyncmend fix --diff --unsafe-fixes`` over the copy as a
   user would (every rule), and counts crashes: a traceback, an internal error, or exit code 2;
3. fixes the copy in place through the engine (unsafe fixes on), then checks every ``.py`` file: each
   changed file must compile if it compiled before, each file with nothing fixed must be byte-identical;
4. runs the fixer a second time over the fixed copy: nothing may change (idempotence).

It prints a Markdown table (also written to ``--out``) and the list of findings to review by hand.
"""
from __future__ import annotations

import argparse
import collections
import datetime
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sdists import REPO, SKIP, cache_dir, error_kind, extract, fetch_sdist, python_files, run_cli  # noqa: E402

from asyncmend import engine  # noqa: E402
from asyncmend.config import Settings  # noqa: E402
from asyncmend.source import compile_error  # noqa: E402
from asyncmend.codemods.registry import ALL_RULES  # noqa: E402

PACKAGES = ("aiohttp", "homeassistant")
CORPORA = ("stdlib", *PACKAGES)


def prepare_stdlib(cache: Path) -> tuple[Path, str]:
    version = platform.python_version()
    dest = cache / f"stdlib-{version}"
    if not dest.exists():
        src = Path(sysconfig.get_paths()["stdlib"])
        shutil.copytree(src, dest, ignore=shutil.ignore_patterns(*SKIP), symlinks=True)
    return dest, f"CPython {version}"


def prepare_package(cache: Path, name: str) -> tuple[Path, str]:
    archive = fetch_sdist(cache / "downloads", name, no_binary=":all:")
    stem = archive.name.removesuffix(".tar.gz").removesuffix(".zip")
    version = stem[len(name) + 1:].split("-")[0]
    extract(archive, cache / stem)
    return cache / stem, f"{name} {version}"


def prepare(cache: Path, name: str) -> tuple[Path, str]:
    return prepare_stdlib(cache) if name == "stdlib" else prepare_package(cache, name)


def plant_all(work: Path, files: dict[str, bytes]) -> list[tuple[str, str]]:
    """Plant the three mistakes into every file of the copy; (file, text of each expected mend)."""
    from tests.fuzz_props import plant

    expected = []
    for rel, data in files.items():
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        planted, mends = plant(text, random.Random(rel), count=2)
        if planted != text:
            (work / rel).write_bytes(planted.encode("utf-8"))
            expected.extend((rel, m) for m in mends)
    return expected


def measure(name: str, root: Path, label: str, cache: Path, jobs: int, planted: bool) -> dict:
    row: dict = {"corpus": name, "version": label + (" + planted" if planted else "")}
    work = cache / "work" / name
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(root, work, symlinks=True, ignore=shutil.ignore_patterns(*SKIP))
    expected = plant_all(work, python_files(work)) if planted else []
    original = python_files(work)
    row["py_files"] = len(original)
    row["mb"] = round(sum(map(len, original.values())) / 1e6, 1)

    # 1. As a user runs it (nothing is written).
    code, out, err, secs = run_cli(["check", "--format", "json", "-j", str(jobs), "."], work)
    findings = json.loads(out) if out.strip() else []
    row["check_exit"], row["check_s"] = code, round(secs, 1)
    row["findings"] = dict(collections.Counter(f["rule"] for f in findings))
    crashes = int("Traceback" in err) + int(code == 2)
    code, diff, err2, secs = run_cli(["fix", "--diff", "--unsafe-fixes", "-j", str(jobs), "."], work)
    row["diff_exit"], row["diff_s"] = code, round(secs, 1)
    row["diff_files"] = diff.count("\n+++ b/") + diff.startswith("+++ b/")
    crashes += int("Traceback" in err2) + int(code == 2)
    if python_files(work) != original:
        sys.exit(f"{name}: check or fix --diff changed files")

    # 2. Fix the copy in place and look at every file.
    settings = Settings(unsafe_fixes=True, jobs=jobs)
    start = time.monotonic()
    first = engine.fix([str(work)], settings, write=True)
    row["fix_s"] = round(time.monotonic() - start, 1)
    errors = collections.Counter(error_kind(r.error) for r in first.errors)
    row["errors"] = dict(errors)
    row["crashes"] = crashes + errors.get("crash", 0)
    row["not_processed"] = sum(n for kind, n in errors.items() if kind != "crash")
    fixed = {os.path.relpath(r.path, work) for r in first.files if r.changed}
    row["fixed_files"] = len(fixed)
    row["fixes"] = sum(len(r.fixed) for r in first.files)
    after = python_files(work)
    row["bad_outputs"] = []
    row["touched_without_fix"] = []
    for rel, data in original.items():
        if rel in fixed:
            old, new = data.decode("utf-8", "replace"), after[rel].decode("utf-8", "replace")
            problem = compile_error(new, rel)
            if problem is not None and compile_error(old, rel) is None:
                row["bad_outputs"].append(f"{rel}: {problem}")
        elif after.get(rel) != data:
            row["touched_without_fix"].append(rel)
    row["planted_unawaited"] = len(expected)
    row["planted_mended"] = sum(m.encode() in after.get(rel, b"") for rel, m in expected)

    # 3. A second run changes nothing.
    second = engine.fix([str(work)], settings, write=True)
    row["second_run_changes"] = sorted(os.path.relpath(r.path, work) for r in second.files if r.changed)
    row["second_run_identical"] = python_files(work) == after
    row["sample"] = [f"{f['path']}:{f['line']}:{f['col']}: {f['rule']} {f['message']}" for f in findings]
    shutil.rmtree(work, ignore_errors=True)
    return row


def table(rows: list[dict]) -> str:
    rules = sorted({rule.code for rule in ALL_RULES} | {code for row in rows for code in row["findings"]})
    head = ["corpus", ".py files", "MB", "crashes", "not processed (why)", *[f"{r} findings" for r in rules],
            "files fixed (fixes)", "planted AM101 mended", "unparseable outputs", "changed without a fix",
            "idempotent",
            "check s", "diff s"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        why = ", ".join(f"{k} {v}" for k, v in sorted(row["errors"].items()) if k != "crash") or "-"
        cells = [
            row["version"], row["py_files"], row["mb"], row["crashes"], f"{row['not_processed']} ({why})",
            *[row["findings"].get(r, 0) for r in rules],
            f"{row['fixed_files']} ({row['fixes']})",
            f"{row['planted_mended']}/{row['planted_unawaited']}" if row["planted_unawaited"] else "-",
            len(row["bad_outputs"]), len(row["touched_without_fix"]),
            "yes" if row["second_run_identical"] and not row["second_run_changes"] else "NO",
            row["check_s"], row["diff_s"],
        ]
        lines.append("| " + " | ".join(map(str, cells)) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache")
    parser.add_argument("--only", default=",".join(CORPORA))
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--out", help="Write the table and details (JSON beside it) here.")
    parser.add_argument("--plant", default="", help="Corpora (comma-separated) also run with mistakes planted.")
    args = parser.parse_args()
    cache = cache_dir(args.cache, "ASYNCMEND_CORPORA", "asyncmend-corpora")
    commit = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=REPO, capture_output=True,
                            text=True).stdout.strip()
    rows = []
    for name in args.only.split(","):
        root, label = prepare(cache, name)
        print(f"{label}: {root}", file=sys.stderr, flush=True)
        rows.append(measure(name, root, label, cache, args.jobs, planted=False))
        if name in args.plant.split(","):
            rows.append(measure(name, root, label, cache, args.jobs, planted=True))
    from importlib import metadata

    header = (
        f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, asyncmend {commit}, "
        f"Python {platform.python_version()}, LibCST {metadata.version('libcst')}, "
        f"{os.cpu_count()} CPUs, -j {args.jobs}\n\n"
    )
    text = header + table(rows)
    print(text)
    for row in rows:
        for key in ("bad_outputs", "touched_without_fix", "second_run_changes"):
            for item in row[key]:
                print(f"{row['corpus']}: {key}: {item}")
    if args.out:
        Path(args.out).write_text(text)
        Path(args.out).with_suffix(".json").write_text(json.dumps(rows, indent=1))
    failed = any(
        r["crashes"] or r["bad_outputs"] or r["touched_without_fix"] or r["second_run_changes"]
        or not r["second_run_identical"]
        for r in rows
    )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
