"""Golden fixtures: ``fixtures/<family>/<case>.py`` with the files beside it, or a folder per case.

A case is named after the rule it is about, ``<CODE>_<what>`` (``AM201_straight_line_close``): a
negative case, whose input the rule must leave alone, after the rule whose silence it shows, with
``negative`` in its name (``AM204_negative_cancel_awaited``); a case about several rules after the
first or main one. Unless the case is negative, its findings snapshot shows that rule.

A file case ``<case>.py`` has beside it:

    <case>.expected.py        the input after ``fix --unsafe-fixes``; absent when the fix must leave the
                              input byte for byte as it is
    <case>.findings.txt       what ``check`` reports: one ``LINE:COL: CODE SAFETY`` a line (``safe``,
                              ``unsafe`` or ``no-fix``), in order; empty when nothing is reported
    <case>.safe.expected.py   the input after ``fix`` (safe fixes only); there exactly when the findings
                              show both a safe and an unsafe fix, since only then is the safe run's result
                              neither of the others (absent: ``fix`` gives what ``fix --unsafe-fixes``
                              gives, or the input itself when the findings show no safe fix)
    <case>.expected.out       the exact stdout of the expected program (every runnable case has one)

An input needs its expected file or its findings snapshot beside it (a case whose fix changes nothing
has only the snapshot, empty when nothing is reported), and no file may be a byte-identical twin of what
its absence would stand for: an expected file equal to its input, a safe-only file equal to what
``fix`` gives without it (``Case.safe_default``).

A folder case holds an ``input/`` tree (several files that matter together) and, as above,
``expected/`` and ``safe-expected/`` (each holding only the files that differ from the tree below it:
the input, then ``Case.safe_default``), ``findings.txt`` (lines start with the file's path:
``PATH:LINE:COL: ...``) and ``expected.out``; its program, if runnable, is ``main.py``. A case may
carry directives in a comment line of its input, at column 0:

    # fixture: run=no                      not a runnable program
    # fixture: options=unawaited_fix=task  engine settings (comma-separated key=value)
    # fixture: input-shows=Task was destroyed   running the input prints this (stdout or stderr)
    # fixture: input-lacks=server closed        running the input does not print this (stdout):
                                                a cleanup line the mistake loses

Anything the collector cannot place is an error, not a silently dropped case: a name that is not
``<CODE>_...`` with the code of a registered rule (``asyncmend.codemods.registry.RULES_BY_CODE``), a findings snapshot
without the rule a case that is not negative is named after, an input with neither expected file nor
findings snapshot, an expected file without its input (or, in a folder, a file the input lacks), a
twin, a folder without ``input/``, a stray file, a directive not at column 0 or with an unknown key.
``ASYNCMEND_UPDATE_SNAPSHOTS=1`` makes the fixture tests write the snapshots that are missing
(findings, safe-only output, program output) for review; without it a missing snapshot fails.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from asyncmend.codemods.registry import RULES_BY_CODE

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

_DIRECTIVE = re.compile(r"^#\s*fixture:\s*(.+)$", re.M)
_ANY_DIRECTIVE = re.compile(r"#\s*fixture:")
_KEYS = {"run": ("yes", "no"), "options": None, "input-shows": None, "input-lacks": None}
_OPTIONS = {"unawaited_fix", "select", "ignore"}  # unsafe_fixes is not one: both runs are checked
_NAME = re.compile(r"(AM\d{3})_\w+")

# What a file case may have beside ``<case>.py``.
FILE_SUFFIXES = (".expected.py", ".safe.expected.py", ".findings.txt", ".expected.out")
FOLDER_ENTRIES = {"input", "expected", "safe-expected", "findings.txt", "expected.out"}


class FixtureError(Exception):
    """A fixture the collector cannot turn into a case."""


def files(path: Path) -> dict[str, bytes]:
    """The Python files of a case's file or folder by their path in the program (a file case's file is
    ``main.py``); nothing for a path that does not exist."""
    if path.is_file():
        return {"main.py": path.read_bytes()}
    if not path.is_dir():
        return {}
    return {
        p.relative_to(path).as_posix(): p.read_bytes()
        for p in sorted(path.rglob("*.py"))
        if "__pycache__" not in p.parts
    }


@dataclass
class Case:
    id: str
    input: Path  # a file, or a folder (input/)
    expected: Path  # after fix --unsafe-fixes; absent: the input unchanged
    safe_expected: Path  # after fix (safe only); absent: safe_default()
    findings: Path  # the findings snapshot; may not exist yet
    expected_out: Path  # the program's stdout; may not exist yet
    directives: dict[str, str] = field(default_factory=dict)

    @property
    def family(self) -> str:
        return self.id.partition("/")[0]

    @property
    def name(self) -> str:
        return self.id.partition("/")[2]

    @property
    def rule(self) -> str:
        """The code of the rule the case is about."""
        return self.name.partition("_")[0]

    @property
    def negative(self) -> bool:
        return "negative" in self.name

    def expected_files(self) -> dict[str, bytes]:
        """What ``fix --unsafe-fixes`` must give: the input with the expected files over it."""
        return {**files(self.input), **files(self.expected)}

    def safeties(self) -> set[str]:
        """The fix safeties the findings snapshot shows (``safe``, ``unsafe``, ``no-fix``)."""
        if not self.findings.exists():
            return set()
        return {line.split()[-1] for line in self.findings.read_text("utf-8").splitlines() if line.strip()}

    def safe_default(self) -> dict[str, bytes]:
        """What ``fix`` gives where no safe-only file says otherwise: the expected result, or the input
        itself when the findings show no safe fix."""
        return self.expected_files() if "safe" in self.safeties() else files(self.input)

    def safe_expected_files(self) -> dict[str, bytes]:
        """What ``fix`` must give: ``safe_default`` with the safe-only files over it."""
        return {**self.safe_default(), **files(self.safe_expected)}

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
    if not (path / "input").is_dir():
        raise FixtureError(f"{where}: a folder case needs input/")
    stray = sorted(p.name for p in path.iterdir() if p.name not in FOLDER_ENTRIES)
    if stray:
        raise FixtureError(f"{where}: unexpected {', '.join(stray)} "
                           f"(a folder case holds {sorted(FOLDER_ENTRIES)})")
    inputs = sorted((path / "input").rglob("*.py"))
    if not inputs:
        raise FixtureError(f"{where}: input/ holds no Python file")
    directives: dict[str, str] = {}
    for f in inputs:
        directives.update(_directives(f.read_text("utf-8", "replace"), str(f.relative_to(family.parent))))
    case = Case(f"{family.name}/{path.name}", path / "input", path / "expected", path / "safe-expected",
                path / "findings.txt", path / "expected.out", directives)
    return _checked(case, family.parent)


def _checked(case: Case, root: Path) -> Case:
    """The case, once its name, its findings snapshot and its expected files are known to hold together;
    paths in errors are shown from ``root``, the folder of the families."""
    shown = (case.input.parent if case.is_folder else case.input).relative_to(root)
    match = _NAME.fullmatch(case.name)
    if not match or match[1] not in RULES_BY_CODE:
        raise FixtureError(f"{shown}: a case is named after the rule it is about, <CODE>_<what> with the code "
                           f"of a rule ({', '.join(RULES_BY_CODE)})")
    if not case.expected.exists() and not case.findings.exists():
        raise FixtureError(f"{shown}: neither {case.expected.name} nor {case.findings.name} beside it (a case "
                           f"the fix leaves unchanged has only its findings snapshot, empty when nothing is "
                           f"reported)")
    if case.findings.exists() and not case.negative:
        reported = [line.split()[-2] for line in case.findings.read_text("utf-8").splitlines() if line.strip()]
        if case.rule not in reported:
            raise FixtureError(f"{case.findings.relative_to(root)}: no {case.rule} finding, yet the case is named "
                               f"after it (name a case that shows the rule silent <CODE>_negative_<what>)")
    _no_twins(case.expected, files(case.input), root, "the input")
    unsafe_only = "unsafe" in case.safeties() and "safe" not in case.safeties()
    _no_twins(case.safe_expected, case.safe_default(), root,
              "the input (every fix is unsafe)" if unsafe_only else "the expected result")
    return case


def _no_twins(path: Path, below: dict[str, bytes], root: Path, what: str) -> None:
    """Each file of ``path`` replaces a file of ``below`` and differs from it."""
    for name, data in files(path).items():
        shown = path.relative_to(root) if path.is_file() else path.relative_to(root) / name
        if name not in below:
            raise FixtureError(f"{shown}: no such file in the input")
        if data == below[name]:
            raise FixtureError(f"{shown}: a byte-identical twin of {what}; delete it (an absent file "
                               f"stands for {what})")


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
        where = str(path.relative_to(family.parent))
        cases.append(_checked(Case(f"{family.name}/{stem}", path, family / f"{stem}.expected.py",
                                   family / f"{stem}.safe.expected.py", family / f"{stem}.findings.txt",
                                   family / f"{stem}.expected.out",
                                   _directives(path.read_text("utf-8", "replace"), where)), family.parent))
    return sorted(cases, key=lambda c: c.id)


def all_cases(root: Path = FIXTURES) -> list[Case]:
    families = sorted(p for p in root.iterdir() if p.is_dir())
    stray = sorted(p.name for p in root.iterdir() if not p.is_dir())
    if stray:
        raise FixtureError(f"fixtures/: files outside a family folder: {', '.join(stray)}")
    return [case for family in families for case in family_cases(family)]
