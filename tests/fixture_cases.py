"""Golden fixtures: ``fixtures/<family>/<case>.py`` with the files beside it, or a folder per case.

A file case ``<case>.py`` has beside it:

    <case>.expected.py        the input after ``fix --unsafe-fixes`` (the input itself when nothing is fixed)
    <case>.findings.txt       what ``check`` reports: one ``LINE:COL: CODE SAFETY`` a line (``safe``,
                              ``unsafe`` or ``no-fix``), in order; empty when nothing is reported
    <case>.safe.expected.py   the input after ``fix`` (safe fixes only); there exactly when the findings
                              show an unsafe fix, since only then do the two runs differ
    <case>.expected.out       the exact stdout of the expected program (every runnable case has one)

A folder case holds ``input/`` and ``expected/`` trees (several files that matter together), and
``safe-expected/``, ``findings.txt`` (lines start with the file's path: ``PATH:LINE:COL: ...``) and
``expected.out`` as above; its program, if runnable, is ``main.py``. A case may carry directives in a
comment line of its input, at column 0:

    # fixture: run=no                      not a runnable program
    # fixture: options=unawaited_fix=task  engine settings (comma-separated key=value)
    # fixture: input-shows=Task was destroyed   running the input prints this (stdout or stderr)
    # fixture: input-lacks=server closed        running the input does not print this (stdout):
                                                a cleanup line the mistake loses

Anything the collector cannot place is an error, not a silently dropped case: an input without its
expected file, an expected file without its input, a folder without ``input/``, a stray file, a
directive not at column 0 or with an unknown key. ``ASYNCMEND_UPDATE_SNAPSHOTS=1`` makes the fixture
tests write the snapshots that are missing (findings, safe-only output, program output) for review;
without it a missing snapshot fails.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

_DIRECTIVE = re.compile(r"^#\s*fixture:\s*(.+)$", re.M)
_ANY_DIRECTIVE = re.compile(r"#\s*fixture:")
_KEYS = {"run": ("yes", "no"), "options": None, "input-shows": None, "input-lacks": None}
_OPTIONS = {"unawaited_fix", "select", "ignore"}  # unsafe_fixes is not one: both runs are checked

# What a file case may have beside ``<case>.py``.
FILE_SUFFIXES = (".expected.py", ".safe.expected.py", ".findings.txt", ".expected.out")
FOLDER_ENTRIES = {"input", "expected", "safe-expected", "findings.txt", "expected.out"}


class FixtureError(Exception):
    """A fixture the collector cannot turn into a case."""


@dataclass
class Case:
    id: str
    input: Path  # a file, or a folder (input/)
    expected: Path  # after fix --unsafe-fixes
    safe_expected: Path  # after fix (safe only); may not exist
    findings: Path  # the findings snapshot; may not exist yet
    expected_out: Path  # the program's stdout; may not exist yet
    directives: dict[str, str] = field(default_factory=dict)

    @property
    def family(self) -> str:
        return self.id.partition("/")[0]

    @property
    def is_folder(self) -> bool:
        return self.input.is_dir()

    @property
    def runnable(self) -> bool:
        return self.directives.get("run", "yes") != "no"

    def options(self) -> dict:
        """Engine settings from the ``options`` directive (``unsafe_fixes`` is set by each test)."""
        out: dict = {}
        raw = self.directives.get("options", "")
        for item in filter(None, (s.strip() for s in raw.split(","))):
            key, _, value = item.partition("=")
            out[key.strip()] = {"true": True, "false": False}.get(value.strip(), value.strip())
        return out


def _directives(text: str, where: str) -> dict[str, str]:
    for lineno, line in enumerate(text.splitlines(), 1):
        if _ANY_DIRECTIVE.search(line) and not _DIRECTIVE.match(line):
            raise FixtureError(f"{where}:{lineno}: a `# fixture:` directive must start at column 0")
    out = {}
    for line in _DIRECTIVE.findall(text):
        for part in line.split(";"):
            key, sep, value = part.strip().partition("=")
            key, value = key.strip(), value.strip()
            if key not in _KEYS or not sep or not value:
                raise FixtureError(f"{where}: bad directive {part.strip()!r} (keys: {', '.join(_KEYS)})")
            if _KEYS[key] is not None and value not in _KEYS[key]:
                raise FixtureError(f"{where}: {key}= must be one of {', '.join(_KEYS[key])}")
            out[key] = value
    case = Case("", Path(), Path(), Path(), Path(), Path(), out)
    unknown = set(case.options()) - _OPTIONS
    if unknown:
        raise FixtureError(f"{where}: options {', '.join(sorted(unknown))} are not case options "
                           f"(allowed: {', '.join(sorted(_OPTIONS))})")
    return out


def _folder_case(family: Path, path: Path) -> Case:
    where = path.relative_to(family.parent)
    if not (path / "input").is_dir() or not (path / "expected").is_dir():
        raise FixtureError(f"{where}: a folder case needs input/ and expected/")
    stray = sorted(p.name for p in path.iterdir() if p.name not in FOLDER_ENTRIES)
    if stray:
        raise FixtureError(f"{where}: unexpected {', '.join(stray)} (a folder case holds {sorted(FOLDER_ENTRIES)})")
    inputs = sorted((path / "input").rglob("*.py"))
    if not inputs:
        raise FixtureError(f"{where}: input/ holds no Python file")
    directives: dict[str, str] = {}
    for f in inputs:
        directives.update(_directives(f.read_text("utf-8", "replace"), str(f.relative_to(family.parent))))
    return Case(f"{family.name}/{path.name}", path / "input", path / "expected", path / "safe-expected",
                path / "findings.txt", path / "expected.out", directives)


def _case_name(name: str) -> tuple[str, str]:
    """``<case><suffix>`` split, the longest known suffix first; ("", name) for an input file."""
    for suffix in sorted(FILE_SUFFIXES, key=len, reverse=True):
        if name.endswith(suffix):
            return name[: -len(suffix)], suffix
    return "", name


def family_cases(family: Path) -> list[Case]:
    cases = []
    inputs: set[str] = set()
    companions: list[tuple[str, Path]] = []
    for path in sorted(family.iterdir()):
        if path.name == "__pycache__":
            continue
        if path.is_dir():
            cases.append(_folder_case(family, path))
            continue
        stem, suffix = _case_name(path.name)
        if stem:
            companions.append((stem, path))
        elif path.suffix == ".py":
            inputs.add(path.stem)
        else:
            raise FixtureError(f"{path.relative_to(family.parent)}: not a fixture file (an input is <case>.py; "
                               f"beside it: {', '.join('<case>' + s for s in FILE_SUFFIXES)})")
    for stem, path in companions:
        if stem not in inputs:
            raise FixtureError(f"{path.relative_to(family.parent)}: no input {stem}.py beside it")
    for stem in sorted(inputs):
        path = family / f"{stem}.py"
        expected = family / f"{stem}.expected.py"
        where = str(path.relative_to(family.parent))
        if not expected.is_file():
            raise FixtureError(f"{where}: no {expected.name} beside it (for a negative case, a copy of the input)")
        cases.append(Case(f"{family.name}/{stem}", path, expected, family / f"{stem}.safe.expected.py",
                          family / f"{stem}.findings.txt", family / f"{stem}.expected.out",
                          _directives(path.read_text("utf-8", "replace"), where)))
    return sorted(cases, key=lambda c: c.id)


def all_cases(root: Path = FIXTURES) -> list[Case]:
    families = sorted(p for p in root.iterdir() if p.is_dir())
    stray = sorted(p.name for p in root.iterdir() if not p.is_dir())
    if stray:
        raise FixtureError(f"fixtures/: files outside a family folder: {', '.join(stray)}")
    return [case for family in families for case in family_cases(family)]
