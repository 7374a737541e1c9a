"""Turning results into text: findings in each output format, diffs and summaries.

``[*]`` marks, and "fixable" counts, only the fixes that ``fix`` would apply with the file's settings;
unsafe fixes held back are counted apart, as ruff's "hidden fixes".
"""
from __future__ import annotations

import hashlib
import json
from typing import Callable

from .engine import RunResult
from .model import Finding
from .source import split_lines

# How text is coloured: ``style(text, role)``; the identity when there is no colour.
Style = Callable[[str, str], str]


def plain(text: str, role: str) -> str:
    return text


def finding_line(f: Finding, applies: bool = False, style: Style = plain) -> str:
    mark = " " + style("[*]", "fix") if applies else ""
    where = style(f.path, "path") + f":{f.line}:{f.col}:"
    return f"{where} {style(f.rule, 'code')}{mark} {f.message}"


def _pairs(run: RunResult):
    return [(r, f) for r in run.files for f in r.findings]


def as_text(run: RunResult, style: Style = plain) -> str:
    """The ``concise`` format: one finding a line."""
    return "".join(finding_line(f, r.applies(f), style) + "\n" for r, f in _pairs(run))


def as_full(run: RunResult, sources: dict[str, str], style: Style = plain) -> str:
    """The ``full`` format: each finding with the lines it covers, underlined, and whether a fix applies."""
    out = []
    for r, f in _pairs(run):
        out.append(finding_line(f, r.applies(f), style) + "\n")
        lines = split_lines(sources.get(f.path, ""))
        last = min(f.end_line, len(lines))
        width = len(str(last))
        out.append(f"{'':>{width}} |\n")
        for n in range(f.line, last + 1):
            text = lines[n - 1].rstrip("\r\n")
            out.append(f"{n:>{width}} | {text}\n")
            begin = f.col - 1 if n == f.line else len(text) - len(text.lstrip())
            end = f.end_col - 1 if n == f.end_line else len(text)
            out.append(f"{'':>{width}} | {' ' * begin}{style('^' * max(1, end - begin), 'code')}\n")
        if f.fix is not None:
            how = "available" if r.applies(f) else "available with --unsafe-fixes"
            out.append(f"{'':>{width}} = help: {f.fix.safety} fix {how}\n")
        out.append("\n")
    return "".join(out)


def as_json(run: RunResult) -> str:
    return json.dumps([f.to_dict() for f in run.findings], indent=2) + "\n"


def as_json_lines(run: RunResult) -> str:
    return "".join(json.dumps(f.to_dict()) + "\n" for f in run.findings)


def as_gitlab(run: RunResult) -> str:
    """GitLab Code Quality: a JSON list of issues. The fingerprint leaves out the line number, so an
    issue keeps its identity when code above it moves."""
    items, seen = [], {}
    for f in run.findings:
        key = f"{f.path}\0{f.rule}\0{f.message}"
        seen[key] = seen.get(key, 0) + 1
        items.append({
            "description": f"{f.rule} {f.message}",
            "check_name": f.rule,
            "fingerprint": hashlib.sha256(f"{key}\0{seen[key]}".encode()).hexdigest()[:32],
            "severity": "major",
            "location": {"path": f.path, "lines": {"begin": f.line, "end": f.end_line}},
        })
    for r in run.errors:
        items.append({
            "description": r.error, "check_name": "asyncmend", "severity": "blocker",
            "fingerprint": hashlib.sha256(f"{r.path}\0error".encode()).hexdigest()[:32],
            "location": {"path": r.path, "lines": {"begin": 1, "end": 1}},
        })
    return json.dumps(items, indent=2) + "\n"


def as_junit(run: RunResult) -> str:
    """JUnit XML: a test suite per file with findings, a failed test case per finding."""
    import xml.etree.ElementTree as ET  # here: only this format needs it

    suites = ET.Element("testsuites", name="asyncmend", tests=str(len(run.findings)),
                        failures=str(len(run.findings)), errors=str(len(run.errors)))
    for r in run.files:
        if not r.findings and not r.error:
            continue
        suite = ET.SubElement(suites, "testsuite", name=r.path, tests=str(len(r.findings) or 1),
                              failures=str(len(r.findings)), errors="1" if r.error else "0")
        for f in r.findings:
            case = ET.SubElement(suite, "testcase", name=f"{f.rule} at {f.line}:{f.col}", classname=f.path,
                                 file=f.path, line=str(f.line))
            failure = ET.SubElement(case, "failure", message=f.message, type=f.rule)
            failure.text = f"{f.path}:{f.line}:{f.col}: {f.rule} {f.message}"
        if r.error:
            case = ET.SubElement(suite, "testcase", name="asyncmend", classname=r.path, file=r.path)
            ET.SubElement(case, "error", message=r.error)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def unified_diff(path: str, old: str, new: str) -> str:
    import difflib  # here: a check without --diff never needs it

    lines = difflib.unified_diff(
        split_lines(old), split_lines(new), f"a/{path}", f"b/{path}"
    )
    out = []
    for line in lines:
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else ('es' if word.endswith('x') else 's')}"


def _counts(run: RunResult) -> tuple[int, int]:
    """(fixes ``fix`` would apply, unsafe fixes it holds back)."""
    pairs = _pairs(run)
    applies = sum(r.applies(f) for r, f in pairs)
    return applies, sum(f.fix is not None for _, f in pairs) - applies


def hidden_note(hidden: int) -> str:
    return f" ({hidden} hidden {'fix' if hidden == 1 else 'fixes'} can be enabled with `--unsafe-fixes`)" if hidden else ""


def check_summary(run: RunResult) -> str:
    findings = run.findings
    files = len({f.path for f in findings})
    fixable, hidden = _counts(run)
    if not findings:
        text = "No problems found."
    else:
        text = f"Found {plural(len(findings), 'problem')} in {plural(files, 'file')}."
        if fixable:
            text += f"\n[*] {fixable} fixable with `asyncmend fix` or `check --fix`{hidden_note(hidden)}."
        elif hidden:
            text += f"\nNo fixes available{hidden_note(hidden)}."
    return text + _errors_note(run)


def check_fix_summary(run: RunResult) -> str:
    """``check --fix``: what was fixed and what remains, as ruff says it."""
    fixed = sum(len(r.fixed) for r in run.files)
    left = len(run.findings)
    _, hidden = _counts(run)
    if not fixed and not left:
        text = "No problems found."
    else:
        text = f"Found {plural(fixed + left, 'problem')} ({fixed} fixed, {left} remaining)."
    if hidden:
        text += f"\nNo fixes available{hidden_note(hidden)}."
    return text + _errors_note(run)


def show_fixes(run: RunResult) -> str:
    """``--show-fixes``: what was fixed, per file and rule."""
    rows = []
    for r in run.files:
        counts: dict[tuple[str, str], int] = {}
        for f in r.fixed:
            counts[(f.rule, f.name)] = counts.get((f.rule, f.name), 0) + 1
        rows += [f"  {r.path}:\n"] if counts else []
        rows += [f"    {n} × {code} ({name})\n" for (code, name), n in sorted(counts.items())]
    total = sum(len(r.fixed) for r in run.files)
    return f"Fixed {plural(total, 'problem')}:\n" + "".join(rows) if total else ""


def fix_summary(run: RunResult, wrote: bool) -> str:
    fixed = sum(len(r.fixed) for r in run.files)
    files = sum(r.changed for r in run.files)
    verb = "Fixed" if wrote else "Would fix"
    text = f"{verb} {plural(fixed, 'problem')} in {plural(files, 'file')}."
    left = run.findings
    if left:
        text += f" {plural(len(left), 'problem')} left{hidden_note(sum(r.unsafe_held for r in run.files))}."
    return text + _errors_note(run)


def _errors_note(run: RunResult) -> str:
    errors = run.errors
    return f" {plural(len(errors), 'file')} could not be processed." if errors else ""


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def as_github(run: RunResult) -> str:
    """GitHub Actions workflow commands: a warning annotation per finding, an error per unreadable file."""
    out = []
    for f in run.findings:
        props = (
            f"file={_escape_property(f.path)},line={f.line},col={f.col},"
            f"endLine={f.end_line},endColumn={f.end_col},title={_escape_property(f.rule)}"
        )
        out.append(f"::warning {props}::{_escape_data(f'{f.rule} {f.message}')}\n")
    for r in run.errors:
        out.append(f"::error file={_escape_property(r.path)},title=asyncmend::{_escape_data(r.error or '')}\n")
    return "".join(out)


def statistics(run: RunResult) -> list[dict]:
    """Findings counted per rule, most frequent first."""
    counts: dict[tuple[str, str], list[int]] = {}
    for r, f in _pairs(run):
        entry = counts.setdefault((f.rule, f.name), [0, 0])
        entry[0] += 1
        entry[1] += r.applies(f)
    rows = [
        {"code": code, "name": name, "count": n, "fixable": fixable}
        for (code, name), (n, fixable) in counts.items()
    ]
    return sorted(rows, key=lambda r: (-r["count"], r["code"]))


def statistics_text(run: RunResult) -> str:
    rows = statistics(run)
    width = max((len(str(r["count"])) for r in rows), default=1)
    return "".join(
        f"{r['count']:>{width}}\t{r['code']}\t{'[*]' if r['fixable'] else '   '} {r['name']}\n"
        for r in rows
    )


def statistics_json(run: RunResult) -> str:
    return json.dumps(statistics(run), indent=2) + "\n"
