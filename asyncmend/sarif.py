"""SARIF 2.1.0 output for code scanning: one run, the rules with their docs, results with fixes.

Columns count Unicode code points (``columnKind``), as asyncmend's findings do; relative paths are
given against ``%SRCROOT%``, the current folder. A result's fix is the change its own fix plan makes
to the file, as replacements of the smallest regions that differ.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict, Tuple
from urllib.parse import quote

from .engine import apply_fixes_each
from .model import AsyncmendError, Finding, Rule
from .ruledocs import PROJECT_URL as INFORMATION_URI
from .ruledocs import one_line
from .source import SourceFile, text_changes

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

# finding -> (its file's text, that text after this finding's fix alone)
FixTexts = Dict[Finding, Tuple[str, str]]


def _uri(path: str) -> dict[str, str]:
    p = Path(path)
    if p.is_absolute():
        return {"uri": p.as_uri()}
    return {"uri": quote(p.as_posix()), "uriBaseId": "%SRCROOT%"}


def _first_paragraph(doc: str, heading: str) -> str:
    lines = doc.split("\n")
    try:
        start = lines.index(heading) + 1
    except ValueError:
        return ""
    para: list[str] = []
    for line in lines[start:]:
        if line.startswith("#") or (not line.strip() and para):
            break
        if line.strip():
            para.append(line.strip())
    return " ".join(para)


def rule_descriptor(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": one_line(rule)},
        "fullDescription": {"text": _first_paragraph(rule.doc, "## What it does") or one_line(rule)},
        "help": {"text": rule.doc.strip(), "markdown": rule.doc.strip()},
        "defaultConfiguration": {"level": "warning"},
        "properties": {"fixSafety": rule.fix_safety, "tags": ["asyncio"]},
    }


def _position(text: str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of ``offset`` in ``text``, lines ending at ``\\n``."""
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


def _region(start: tuple[int, int], end: tuple[int, int]) -> dict[str, int]:
    return {"startLine": start[0], "startColumn": start[1], "endLine": end[0], "endColumn": end[1]}


def replacements(old: str, new: str) -> list[dict[str, Any]]:
    """The SARIF replacements that turn ``old`` into ``new`` (an insertion has an empty deleted region)."""
    out = []
    for start, end, inserted in text_changes(old, new):
        item: dict[str, Any] = {"deletedRegion": _region(_position(old, start), _position(old, end))}
        if inserted:
            item["insertedContent"] = {"text": inserted}
        out.append(item)
    return out


def _result(f: Finding, index: dict[str, int], fixes: FixTexts) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": f.rule,
        "ruleIndex": index[f.rule],
        "level": "warning",
        "message": {"text": f.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": _uri(f.path),
                    "region": _region((f.line, f.col), (f.end_line, f.end_col)),
                }
            }
        ],
    }
    if f.fix is not None:
        result["properties"] = {"fixSafety": f.fix.safety}
        texts = fixes.get(f)
        if texts is not None and texts[0] != texts[1]:
            result["fixes"] = [
                {
                    "description": {"text": f"{f.fix.action} ({f.fix.safety} fix)"},
                    "artifactChanges": [{"artifactLocation": _uri(f.path), "replacements": replacements(*texts)}],
                }
            ]
    return result


def fix_texts(findings: list[Finding], stdin_text: str | None = None, stdin_path: str = "-") -> FixTexts:
    """Each fixable finding's file text, and that text after the finding's own fix.

    LibCST is loaded here (by ``apply_fixes_each``), and parses each file once for all its findings; a
    file that cannot be read or rewritten gets no fixes.
    """
    by_path: dict[str, list[Finding]] = {}
    for f in findings:
        if f.fix is not None:
            by_path.setdefault(f.path, []).append(f)
    out: FixTexts = {}
    for path, mine in by_path.items():
        try:
            if path == stdin_path and stdin_text is not None:
                src = SourceFile.from_bytes(path, stdin_text.encode("utf-8"))
            else:
                src = SourceFile.read(path)
            fixed = apply_fixes_each(src, [[f] for f in mine])
        except (AsyncmendError, RecursionError):
            continue
        out.update((f, (src.text, new)) for f, new in zip(mine, fixed))
    return out


def as_sarif(findings: list[Finding], errors: list[tuple[str, str]], rules: tuple[Rule, ...], version: str,
             fixes: FixTexts | None = None) -> str:
    """The SARIF log. ``errors`` are (path, message) for files that could not be processed."""
    index = {rule.code: i for i, rule in enumerate(rules)}
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "asyncmend",
                "version": version,
                "informationUri": INFORMATION_URI,
                "rules": [rule_descriptor(r) for r in rules],
            }
        },
        "invocations": [
            {
                "executionSuccessful": not errors,
                "toolExecutionNotifications": [
                    {
                        "level": "error",
                        "message": {"text": message},
                        "locations": [{"physicalLocation": {"artifactLocation": _uri(path)}}],
                    }
                    for path, message in errors
                ],
            }
        ],
        "originalUriBaseIds": {"%SRCROOT%": {"uri": Path(os.getcwd()).as_uri() + "/"}},
        "columnKind": "unicodeCodePoints",
        "results": [_result(f, index, fixes or {}) for f in findings],
    }
    log = {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
