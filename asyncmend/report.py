"""Turning results into text: findings, diffs and summaries."""
from __future__ import annotations

import difflib
import json

from .engine import RunResult
from .model import Finding
from .source import split_lines


def finding_line(f: Finding) -> str:
    mark = " [*]" if f.fixable else ""
    return f"{f.path}:{f.line}:{f.col}: {f.rule}{mark} {f.message}"


def as_text(run: RunResult) -> str:
    return "".join(finding_line(f) + "\n" for f in run.findings)


def as_json(run: RunResult) -> str:
    return json.dumps([f.to_dict() for f in run.findings], indent=2) + "\n"


def unified_diff(path: str, old: str, new: str) -> str:
    lines = difflib.unified_diff(
        split_lines(old), split_lines(new), f"a/{path}", f"b/{path}"
    )
    out = []
    for line in lines:
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else ('es' if word.endswith('x') else 's')}"


def check_summary(run: RunResult) -> str:
    findings = run.findings
    files = len({f.path for f in findings})
    fixable = sum(f.fixable for f in findings)
    if not findings:
        text = "No problems found."
    else:
        text = f"Found {plural(len(findings), 'problem')} ({fixable} fixable) in {plural(files, 'file')}."
    return text + _errors_note(run)


def fix_summary(run: RunResult, wrote: bool) -> str:
    fixed = sum(len(r.fixed) for r in run.files)
    files = sum(r.changed for r in run.files)
    verb = "Fixed" if wrote else "Would fix"
    text = f"{verb} {plural(fixed, 'problem')} in {plural(files, 'file')}."
    left = run.findings
    if left:
        text += f" {plural(len(left), 'problem')} left."
    held = sum(r.unsafe_held for r in run.files)
    if held:
        text += f" {plural(held, 'unsafe fix')} held back (use --unsafe-fixes)."
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
    for f in run.findings:
        entry = counts.setdefault((f.rule, f.name), [0, 0])
        entry[0] += 1
        entry[1] += f.fixable
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
