"""Golden fixtures: ``fixtures/<family>/<case>.py`` and ``<case>.expected.py``, or a folder per case.

A folder case holds ``input/`` and ``expected/`` trees (several files that matter together); its
program, if runnable, is ``main.py``. A case may carry directives in a comment line of its input:

    # fixture: run=no                      not a runnable program
    # fixture: options=unsafe_fixes=false   engine settings (comma-separated key=value)
    # fixture: input-shows=Task was destroyed   running the input prints this (stdout or stderr)
    # fixture: input-lacks=server closed        running the input does not print this (stdout):
                                                a cleanup line the mistake loses

Expected output of a run, when it matters, is ``<case>.expected.out`` (or ``expected.out`` in a folder
case): the exact stdout of the expected program.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

_DIRECTIVE = re.compile(r"^#\s*fixture:\s*(.+)$", re.M)


@dataclass
class Case:
    id: str
    input: Path  # a file, or a folder (input/)
    expected: Path
    directives: dict[str, str] = field(default_factory=dict)
    expected_out: Path | None = None

    @property
    def is_folder(self) -> bool:
        return self.input.is_dir()

    @property
    def runnable(self) -> bool:
        return self.directives.get("run", "yes") != "no"

    def options(self) -> dict:
        out: dict = {"unsafe_fixes": True}
        raw = self.directives.get("options", "")
        for item in filter(None, (s.strip() for s in raw.split(","))):
            key, _, value = item.partition("=")
            out[key.strip()] = {"true": True, "false": False}.get(value.strip(), value.strip())
        return out


def _directives(text: str) -> dict[str, str]:
    out = {}
    for line in _DIRECTIVE.findall(text):
        for part in line.split(";"):
            key, _, value = part.strip().partition("=")
            if key:
                out[key.strip()] = value.strip()
    return out


def all_cases() -> list[Case]:
    cases = []
    for family in sorted(p for p in FIXTURES.iterdir() if p.is_dir()):
        for path in sorted(family.iterdir()):
            if path.is_dir() and (path / "input").is_dir():
                text = "".join(f.read_text("utf-8", "replace") for f in sorted((path / "input").rglob("*.py")))
                out = path / "expected.out"
                cases.append(
                    Case(f"{family.name}/{path.name}", path / "input", path / "expected", _directives(text),
                         out if out.exists() else None)
                )
            elif path.suffix == ".py" and not path.name.endswith(".expected.py"):
                expected = path.with_name(path.stem + ".expected.py")
                if not expected.exists():
                    continue
                out = path.with_name(path.stem + ".expected.out")
                cases.append(
                    Case(f"{family.name}/{path.stem}", path, expected,
                         _directives(path.read_text("utf-8", "replace")), out if out.exists() else None)
                )
    return cases
