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
