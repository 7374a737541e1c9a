"""Suppression comments that silence nothing (AM001, as ruff's RUF100), and their fix.

A family of one rule, this file. The engine decides what is unused once the findings of a file are
known (``unused``, the family's ``judge`` phase); ``rewrite`` edits only comments, so it moves no code
and the other families' positions still hold after it (``keeps_positions``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from asyncmend.model import AsyncmendError, Finding, Fix, Rule
from asyncmend.source import SourceFile
from asyncmend.suppress import Directive, in_comments, normalized

from .family import Family

# LibCST is imported inside the functions that rewrite, never at the top: `asyncmend check` loads
# this module and must not pay for LibCST (its import alone takes about 0.85 s).
if TYPE_CHECKING:
    import libcst as cst
    from libcst.codemod import CodemodContext

    from asyncmend.locate import Locator

AM001 = Rule(
    code="AM001",
    name="unused-noqa",
    summary="Unused suppression (unused: {codes})",
    fix_safety="safe",
    default=False,
    doc="""\
## What it does
Finds `# noqa: AM...` and `# asyncmend: ignore[AM...]` comments that name an asyncmend rule which
reports nothing on that line. It is off unless selected (`extend-select = ["AM001"]`), as ruff's
`RUF100`. Codes of other tools (`# noqa: E501`) and bare `# noqa` are left alone.

## Why is this bad?
A suppression that silences nothing is stale: the code it once excused has changed, and it would
hide a new mistake on that line without anyone deciding so.

## Example
```python
async def handler(record):
    await save(record)  # noqa: AM101
```

## Use instead
```python
async def handler(record):
    await save(record)
```

## Fix safety
Safe: the fix removes only the stale codes from the comment (the whole comment when nothing else is
left in it); other codes and any text after the directive stay.

## References
- [ruff: unused-noqa (RUF100)](https://docs.astral.sh/ruff/rules/unused-noqa/)
""",
)



def unused(path: str, directives_found: list[Directive], text: str | None, found: list[Finding],
           enabled: set[str], rules: tuple[Rule, ...]) -> list[Finding]:
    """AM001 findings: the enabled rules' codes (or names) in directives with no finding of that rule on
    their line. ``found`` are the file's findings before suppression; ``rules`` every rule there is."""
    by_key = {r.code: r.code for r in rules} | {r.name: r.code for r in rules}
    hit = {(f.line, f.rule) for f in found}
    stale = []
    for d in directives_found:
        gone = [
            c for c in d.codes
            if by_key.get(normalized(c)) in enabled - {AM001.code} and (d.line, by_key[normalized(c)]) not in hit
        ]
        if gone:
            stale.append((d, gone))
    if not stale:
        return []
    if text is None:
        try:
            text = SourceFile.read(path).text
        except AsyncmendError:
            return []
    real = dict(in_comments(text, [d for d, _ in stale]))
    out = []
    for d, gone in stale:
        if d not in real:
            continue  # the text of a directive inside a string
        shown = ", ".join(f"`{c}`" for c in gone)
        plan = Fix("remove-codes", "safe", {
            "comment_col": real[d], "start": d.start, "end": d.end, "codes_start": d.codes_start,
            "codes_end": d.codes_end, "codes": list(d.codes), "remove": gone,
        })
        out.append(Finding(path, AM001.code, AM001.name, AM001.summary.format(codes=shown),
                           d.line, d.start + 1, d.line, d.end + 1, plan))
    return out


def without(comment: str, params: dict) -> str:
    """``comment`` (from its ``#``) with the plan's codes removed: the whole directive when none of its
    codes is left, the whole comment when nothing else is in it ("")."""
    shift = params["comment_col"]
    start, end = params["start"] - shift, params["end"] - shift
    codes_start, codes_end = params["codes_start"] - shift, params["codes_end"] - shift
    left = [c for c in params["codes"] if c not in params["remove"]]
    if left:
        return comment[:codes_start] + ", ".join(left) + comment[codes_end:]
    head, rest = comment[:start].rstrip(), comment[end:].strip()
    if head:
        return f"{head} {rest}" if rest else head
    if rest:
        return rest if rest.startswith("#") else f"# {rest}"
    return ""


def rewrite(module: "cst.Module", findings: list[Finding], locate: "Locator", context: "CodemodContext"):
    import libcst as cst

    targets: dict[int, str] = {}  # id(Comment) -> its new value
    for f in findings:
        if f.fix is None:
            continue
        node = locate.at(f.line, f.fix.params["comment_col"], cst.Comment)
        if node is not None and id(node) not in targets:  # a second directive in it: the next run
            targets[id(node)] = without(node.value, f.fix.params)
    if not targets:
        return module

    class Edit(cst.CSTTransformer):
        def leave_TrailingWhitespace(self, original, updated):
            if original.comment is not None and id(original.comment) in targets:
                value = targets[id(original.comment)]
                if not value:
                    return updated.with_changes(comment=None, whitespace=cst.SimpleWhitespace(""))
                return updated.with_changes(comment=cst.Comment(value))
            return updated

        def leave_EmptyLine(self, original, updated):
            if original.comment is not None and id(original.comment) in targets:
                value = targets[id(original.comment)]
                if not value:
                    return cst.RemoveFromParent()
                return updated.with_changes(comment=cst.Comment(value))
            return updated

    return module.visit(Edit())



# Rewriting comments moves no code: findings located in the original text still hold afterwards.
FAMILY = Family(
    "noqa", "suppression comments that silence nothing", (AM001,), rewrite, judge=unused, keeps_positions=True,
)
