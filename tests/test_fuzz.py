"""Property-based tests: on any program the fixer never raises, its output parses, a second run is a
no-op, and nothing outside the edited statements changes (see fuzz_props for the exact checks).

Programs come from Python's grammar (hypothesmith) and from the standard library, with the three
mistakes planted into them. The example counts keep this file under a minute on two cores; the long
run is bench/fuzz.py.
"""
from __future__ import annotations

import random
import sysconfig
from pathlib import Path

import pytest

hypothesis = pytest.importorskip("hypothesis")
hypothesmith = pytest.importorskip("hypothesmith")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from .fuzz_props import plant, problems  # noqa: E402

FUZZ = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)

STDLIB = Path(sysconfig.get_paths()["stdlib"])
# Small real modules, many of them asyncio code: enough variety, cheap to rewrite.
REAL = sorted(
    p for pattern in ("asyncio/*.py", "*.py", "concurrent/futures/*.py", "json/*.py", "email/*.py")
    for p in STDLIB.glob(pattern)
    if p.stat().st_size < 12_000
)


@settings(FUZZ, max_examples=120)
@given(hypothesmith.from_grammar(), st.randoms(use_true_random=False))
def test_generated_programs(text: str, rng: random.Random) -> None:
    found, _ = problems(text)
    assert not found, text
    planted, expected = plant(text, rng)
    found, _ = problems(planted, expected)
    assert not found, planted


@settings(FUZZ, max_examples=80)
@given(st.sampled_from(REAL), st.randoms(use_true_random=False), st.integers(1, 4))
def test_real_code_with_mistakes(path: Path, rng: random.Random, count: int) -> None:
    text = path.read_bytes().decode("utf-8")
    planted, expected = plant(text, rng, count)
    found, _ = problems(planted, expected)
    assert not found, f"{path}: {found}"


def test_planting_plants() -> None:
    """The strategy itself: a planted program is valid, bigger, and its unawaited call gets mended."""
    text = "import os\r\n\r\nasync def main():\r\n    x = 1\r\n    return x\r\n"
    planted, expected = plant(text, random.Random(3), count=6)
    compile(planted, "<planted>", "exec")
    assert planted != text and "\r\n" in planted and "\n" not in planted.replace("\r\n", "")
    assert "_coro()" in planted
    found, result = problems(planted, expected)
    assert not found
    assert result.changed
