"""Rule documentation from the rules' own docstrings: ``asyncmend rules``/``explain``, docs/rules.md and
the README's rule table all come from here, so they cannot drift apart.

    python -m asyncmend.ruledocs          # rewrite docs/rules.md and the README table
    python -m asyncmend.ruledocs --check  # exit 1 when either is out of date
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

from asyncmend.codemods.registry import ALL_RULES

from .model import Rule

README_START = "<!-- rules:start -->"
README_END = "<!-- rules:end -->"
ROOT = Path(__file__).resolve().parent.parent
RULES_MD = ROOT / "docs" / "rules.md"
README = ROOT / "README.md"
PROJECT_URL = "https://pypi.org/project/asyncmend/"


def one_line(rule: Rule) -> str:
    """The rule's message with its placeholders elided: ``Coroutine `…()` is called but never awaited``."""
    return re.sub(r"\{[^{}]*\}", "…", rule.summary)


def find_rule(key: str) -> Rule | None:
    """A rule by code (any case) or kebab-case name."""
    for rule in ALL_RULES:
        if key.upper() == rule.code or key == rule.name:
            return rule
    return None


def _anchor(rule: Rule) -> str:
    return f"{rule.code.lower()}-{rule.name}"


def doc_url(rule: Rule) -> str:
    """Where to read a rule's doc: its section of docs/rules.md in this copy of asyncmend (a clone or
    an editable install), else the project's page."""
    if RULES_MD.is_file():
        return f"{RULES_MD.as_uri()}#{_anchor(rule)}"
    return PROJECT_URL


def rules_listing(rules: tuple[Rule, ...] | None = None) -> str:
    """The plain-text list of ``asyncmend rules``: code, name, fix safety, one line."""
    rules = ALL_RULES if rules is None else rules
    width = max((len(r.name) for r in rules), default=0)
    return "".join(f"{r.code}  {r.name:<{width}}  {r.fix_safety:<6}  {one_line(r)}\n" for r in rules)


def explain(rule: Rule) -> str:
    """The full doc of ``asyncmend explain``."""
    return f"# {rule.code} {rule.name}\n\nFix: {rule.fix_safety}. Message: {rule.summary}\n\n{rule.doc.strip()}\n"


def rules_table(rules: tuple[Rule, ...] | None = None, link: str = "docs/rules.md") -> str:
    """The README's Markdown table, each code linking to its section of docs/rules.md."""
    rules = ALL_RULES if rules is None else rules
    rows = ["| Code | Name | Fix | What it finds |", "| --- | --- | --- | --- |"]
    for r in rules:
        summary = one_line(r).replace("|", "\\|")
        rows.append(f"| [{r.code}]({link}#{_anchor(r)}) | `{r.name}` | {r.fix_safety} | {summary} |")
    return "\n".join(rows) + "\n"


def rules_markdown(rules: tuple[Rule, ...] | None = None) -> str:
    """The whole of docs/rules.md: every rule's doc, its headings one level down."""
    rules = ALL_RULES if rules is None else rules
    out = [
        "# Rules\n",
        "<!-- Generated from the rules' docstrings by `python -m asyncmend.ruledocs`; do not edit. -->\n",
        rules_table(rules, link=""),
    ]
    for r in rules:
        body = _demote_headings(r.doc.strip())
        out.append(f"## {r.code} {r.name}\n\nFix: {r.fix_safety}. Message: {r.summary}\n\n{body}\n")
    return "\n".join(out)


def _demote_headings(markdown: str) -> str:
    """Markdown headings one level down, leaving code blocks (and their ``#`` comments) alone."""
    out, fenced = [], False
    for line in markdown.split("\n"):
        if line.startswith("```"):
            fenced = not fenced
        out.append("#" + line if not fenced and re.match(r"#+ ", line) else line)
    return "\n".join(out)


def with_table(readme: str, table: str) -> str:
    """``readme`` with the text between the rules markers replaced by ``table``."""
    start, end = readme.find(README_START), readme.find(README_END)
    if start < 0 or end < start:
        raise ValueError(f"README has no {README_START} ... {README_END} markers")
    return readme[: start + len(README_START)] + "\n" + table + readme[end:]


def main(argv: list[str]) -> int:
    check = "--check" in argv
    wanted = {RULES_MD: rules_markdown(), README: with_table(README.read_text("utf-8"), rules_table())}
    stale = [path for path, text in wanted.items() if not path.exists() or path.read_text("utf-8") != text]
    for path in stale:
        if check:
            print(f"{path.relative_to(ROOT)} is out of date: run python -m asyncmend.ruledocs", file=sys.stderr)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(wanted[path], "utf-8")
            print(f"wrote {path.relative_to(ROOT)}", file=sys.stderr)
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
