"""Mutation testing of the modules that decide, with mutmut (not part of CI: it is slow).

    python bench/mutation.py                 # every deciding module, then the score and the survivors
    python bench/mutation.py --module suppress --module source    # only these (names below)
    python bench/mutation.py --report-only   # print the score of the last run again
    python bench/mutation.py --again         # after adding tests: rerun only the last run's survivors
                                             # (and the mutants of functions changed since)

Needs ``pip install -e ".[mutation]"`` (mutmut 3). The run happens in a copy of this working tree
(``git ls-files``) under ``--work`` (default ``/tmp/asyncmend-mutation``), never in the tree itself:
mutmut writes its mutated copy to ``mutants/`` beside the sources. mutmut runs each mutant against only
the tests that reach the mutated function (it records which tests call which function first); the tests
it may pick from are the ones listed per module below, so one mutant costs a fraction of a second.

A mutant *survives* when no test fails with it in place. docs/testing.md lists the score of the last
full run and every survivor, each killed by a test since or explained as equivalent (no behaviour
changes). Exit code: 0 when the score reaches ``--target`` (85 %), 1 otherwise.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# The modules that decide: what is a coroutine, fix safety, suppression, cancel and thread-entry
# recognition, source writing. Each with the test files that exercise it: fast ones only (the
# end-to-end suites, test_fixtures.py and test_hostile.py, spawn processes; with them a run takes hours).
MODULES = {
    "suppress": ("asyncmend/suppress.py", ["tests/test_suppression.py", "tests/test_editing.py", "tests/test_cli_ruff.py"]),
    "source": ("asyncmend/source.py", ["tests/test_source.py", "tests/test_atomic_write.py", "tests/test_editing.py",
                                       "tests/test_precision.py"]),
    "cancels": ("asyncmend/codemods/drain/cancels.py", ["tests/test_cancel_filters.py", "tests/test_drain.py"]),
    "unawaited": ("asyncmend/codemods/unawaited/resolver.py", ["tests/test_fix_safety.py", "tests/test_rebinding.py"]),
    "am101": ("asyncmend/codemods/unawaited/am101_unawaited_coroutine.py",
              ["tests/test_fix_safety.py", "tests/test_rebinding.py", "tests/test_unawaited_shapes.py"]),
    "am102": ("asyncmend/codemods/unawaited/am102_coroutine_called_sync.py",
              ["tests/test_fix_safety.py", "tests/test_rebinding.py"]),
    "threadflow": ("asyncmend/codemods/threads/threadflow.py", ["tests/test_threads.py"]),
    # Added after the last run (issues 15 and 16): what the code shows a value's type to be, and
    # asyncio primitives touched from threads (AM101's selection also gained the dropped-use tests).
    "types": ("asyncmend/semantic/types.py", ["tests/test_types.py", "tests/test_recall.py"]),
    "am306": ("asyncmend/codemods/threads/am306_loop_primitive_from_thread.py", ["tests/test_threads.py"]),
}

CONFIG = """\
[mutmut]
source_paths =
    asyncmend
only_mutate =
{only}
pytest_add_cli_args_test_selection =
{tests}
pytest_add_cli_args =
    -p
    no:cacheprovider
also_copy =
    fixtures
    docs
    demo
    README.md
    CONTRIBUTING.md
    .pre-commit-hooks.yaml
    bench
"""


def _copy_tree(work: Path) -> None:
    """The working tree as it is now (committed or not), without mutmut's earlier output, laid out as
    installed: ``codemods/`` inside ``asyncmend/`` (``asyncmend/cli.py``, a link, becomes a copy), so
    that the mutants of ``asyncmend.codemods`` are the ones imported."""
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO, check=True,
                            capture_output=True).stdout.decode().split("\0")
    keep = work / "mutants"
    for child in work.iterdir() if work.exists() else []:
        if child != keep:
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file():
            dest = work / ("asyncmend/" + name if name.startswith("codemods/") else name)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest)


def _write_config(work: Path, names: list[str]) -> None:
    only = "\n".join(f"    {MODULES[n][0]}" for n in names)
    tests = sorted({t for n in names for t in MODULES[n][1] if (REPO / t).exists()})
    (work / "setup.cfg").write_text(CONFIG.format(only=only, tests="\n".join(f"    {t}" for t in tests)))


SURVIVED = ("survived", "no tests")  # mutmut's statuses of a mutant no test killed


def _results(work: Path) -> dict[str, str]:
    """Mutant name → status, read from ``mutmut results --all true``."""
    proc = subprocess.run([sys.executable, "-m", "mutmut", "results", "--all", "true"], cwd=work,
                          capture_output=True, text=True)
    out = {}
    for line in proc.stdout.splitlines():
        name, sep, status = line.strip().rpartition(": ")
        if sep and name:
            out[name] = status
    return out


def _module_of(mutant: str) -> str:
    dotted = mutant.partition(".x")[0].partition(".xǁ")[0]
    for name, (path, _) in MODULES.items():
        if dotted == path[:-3].replace("/", "."):
            return name
    return "?"


def report(work: Path, target: float) -> int:
    results = _results(work)
    if not results:
        print("no mutmut results in", work, file=sys.stderr)
        return 1
    by_module: dict[str, dict[str, int]] = {}
    survivors = []
    for mutant, status in sorted(results.items()):
        counts = by_module.setdefault(_module_of(mutant), {})
        counts[status] = counts.get(status, 0) + 1
        if status in SURVIVED:
            survivors.append((mutant, status))
    print("| module | mutants | killed | survived | no tests | timeout | other | score |")
    print("|---|---|---|---|---|---|---|---|")
    total_killed = total = 0
    for module, counts in sorted(by_module.items()):
        n = sum(counts.values())
        killed = counts.get("killed", 0) + counts.get("timeout", 0)
        other = n - killed - counts.get("survived", 0) - counts.get("no tests", 0)
        total += n
        total_killed += killed
        print(f"| {module} | {n} | {counts.get('killed', 0)} | {counts.get('survived', 0)} | "
              f"{counts.get('no tests', 0)} | {counts.get('timeout', 0)} | {other} | {100 * killed / n:.1f} % |")
    score = 100 * total_killed / total
    print(f"\nscore: {total_killed}/{total} = {score:.1f} % (killed or timed out)")
    (work / "survivors.json").write_text(json.dumps(survivors, indent=1))
    print(f"\n{len(survivors)} survivors (diffs: cd {work} && python -m mutmut show NAME):")
    for mutant, status in survivors:
        print(f"  {mutant}  [{status}]")
    return 0 if score >= target else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--module", action="append", choices=sorted(MODULES), help="default: all")
    parser.add_argument("--work", type=Path, default=Path("/tmp/asyncmend-mutation"))
    parser.add_argument("--max-children", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--target", type=float, default=85.0)
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument("--again", action="store_true",
                        help="keep the mutants and results of the last run in --work; copy the tree anew, run "
                             "the mutants of the functions changed since, and rerun the last run's survivors "
                             "(a mutant killed before stays killed: tests were only added)")
    args = parser.parse_args(argv)
    if not args.report_only:
        try:
            import mutmut  # noqa: F401
        except ImportError:
            print('mutmut is not installed: pip install -e ".[mutation]"', file=sys.stderr)
            return 2
        names = args.module or sorted(MODULES)
        args.work.mkdir(parents=True, exist_ok=True)
        again = []
        if args.again:
            again = [name for name, status in _results(args.work).items() if status in SURVIVED]
        else:
            shutil.rmtree(args.work / "mutants", ignore_errors=True)
        _copy_tree(args.work)
        _write_config(args.work, names)
        # Every mutant not run yet: all of them, or with --again those of the functions changed since
        # the last run (mutmut keeps the results of a function whose code is unchanged).
        if not _mutmut_run(args.work, args.max_children, []):
            return 2
        if again:  # then the survivors of the last run that are still there, against the tests as they are now
            now = _results(args.work)
            again = [name for name in again if now.get(name) in SURVIVED]
            if again and not _mutmut_run(args.work, args.max_children, again):
                return 2
    return report(args.work, args.target)


def _mutmut_run(work: Path, max_children: int, mutants: list[str]) -> bool:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    proc = subprocess.run([sys.executable, "-m", "mutmut", "run", "--max-children", str(max_children), *mutants],
                          cwd=work, env=env)
    if proc.returncode not in (0, 1):
        print(f"mutmut run failed (exit {proc.returncode})", file=sys.stderr)
    return proc.returncode in (0, 1)


if __name__ == "__main__":
    sys.exit(main())
