"""The long fuzz run: N programs through the fixer, every problem counted (tests/fuzz_props.py).

    python bench/fuzz.py [-n 10000] [--workers 2] [--seed 0] [--out FILE]

Half the programs come from Python's grammar (hypothesmith), half are real modules of the running
interpreter's standard library (under 12 kB); most get the three mistakes planted (1 to 4 of them).
A grammar program is also fixed as generated. Unlike the test suite, a problem does not stop the run:
each is recorded with its program (first ones written beside ``--out``), and the exit code is 1 if any.
"""
from __future__ import annotations

import argparse
import collections
import json
import random
import subprocess
import sys
import sysconfig
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def real_modules() -> list[Path]:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    return sorted(
        p for p in stdlib.rglob("*.py")
        if "site-packages" not in p.parts and p.stat().st_size < 12_000
    )


def run_worker(count: int, seed: int) -> dict:
    import hypothesmith
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as fixed_seed
    from hypothesis import strategies as st

    from tests.fuzz_props import plant, problems

    warnings.simplefilter("ignore")
    real = real_modules()
    stats: collections.Counter = collections.Counter()
    failures: list[dict] = []
    seen: set[int] = set()

    def record(kind: str, text: str, expected: list[str]) -> None:
        stats["programs"] += 1
        if stats["programs"] % 500 == 0:
            print(f"seed {seed}: {dict(stats)}", file=sys.stderr, flush=True)
        seen.add(hash(text))
        found, result = problems(text, expected)
        if result is not None:
            stats["changed"] += result.changed
            stats["fixes"] += len(result.fixed)
            if result.error:
                stats["error: " + ": ".join(result.error.split(": ")[:2])[:70]] += 1
        if found:
            stats["with problems"] += 1
            failures.append({"kind": kind, "problems": found, "program": text})
            print("FAILURE " + json.dumps(failures[-1]), file=sys.stderr, flush=True)

    @fixed_seed(seed)
    @settings(
        max_examples=count, phases=[Phase.generate], database=None, deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        st.one_of(
            st.tuples(st.just("grammar"), hypothesmith.from_grammar()),
            st.tuples(st.just("real"), st.sampled_from(real)),
        ),
        st.randoms(use_true_random=False),
        st.integers(0, 4),
    )
    def one(source, rng: random.Random, plants: int) -> None:
        kind, value = source
        if kind == "real":
            try:
                text = value.read_bytes().decode("utf-8")
            except UnicodeDecodeError:
                stats["real file not UTF-8"] += 1
                return
        else:
            text = value
            record("grammar", text, [])
        if plants:
            text, expected = plant(text, rng, plants)
            record(f"{kind}+planted", text, expected)
        elif kind == "real":
            record(kind, text, [])

    one()
    stats["distinct programs"] = len(seen)
    return {"stats": dict(stats), "failures": failures}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=10_000, help="examples to draw (about 1.5 programs each)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        json.dump(run_worker(args.n, args.seed), sys.stdout)
        return
    start = time.monotonic()
    share = [args.n // args.workers + (i < args.n % args.workers) for i in range(args.workers)]
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, "--worker", "-n", str(n), "--seed", str(args.seed + i)],
            stdout=subprocess.PIPE, cwd=REPO,
        )
        for i, n in enumerate(share)
    ]
    stats: collections.Counter = collections.Counter()
    failures: list[dict] = []
    for proc in procs:
        out, _ = proc.communicate()
        if proc.returncode:
            sys.exit(f"a worker failed (exit {proc.returncode})")
        part = json.loads(out)
        stats.update(part["stats"])
        failures.extend(part["failures"])
    stats["seconds"] = round(time.monotonic() - start)
    report = {"examples": args.n, "seed": args.seed, "stats": dict(sorted(stats.items()))}
    print(json.dumps(report, indent=1))
    for failure in failures[:20]:
        print(f"--- {failure['kind']}: {failure['problems']}\n{failure['program'][:2000]}")
    if args.out:
        report["failures"] = failures[:200]
        Path(args.out).write_text(json.dumps(report, indent=1))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
