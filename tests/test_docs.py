"""Rule docs (``asyncmend rules``/``explain``, docs/rules.md, the README table) and the README's snippets."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from asyncmend import engine, ruledocs
from asyncmend.cli import main
from asyncmend.codemods.registry import ALL_RULES
from asyncmend.config import Settings

ROOT = Path(__file__).resolve().parent.parent
SECTIONS = ["## What it does", "## Why is this bad?", "## Example", "## Use instead", "## Fix safety", "## References"]


@pytest.mark.parametrize("rule", ALL_RULES, ids=[r.code for r in ALL_RULES])
def test_rule_doc_has_ruffs_shape(rule) -> None:
    assert re.fullmatch(r"AM\d{3}", rule.code)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name)
    assert rule.fix_safety in ("safe", "unsafe", "sometimes", "none")
    positions = [rule.doc.find(s + "\n") for s in SECTIONS]
    assert -1 not in positions, [s for s, p in zip(SECTIONS, positions) if p < 0]
    assert positions == sorted(positions)


def _code_blocks(doc: str, heading: str) -> str:
    """The ``python`` code blocks of a doc's section, one after the other."""
    section = doc.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    return "\n".join(part.split("\n```", 1)[0] for part in section.split("```python\n")[1:])


def _reported(rule, code: str, tmp_path: Path) -> list[str]:
    """The rules ``check`` reports on ``code`` (a module that imports asyncio), ``rule`` selected too."""
    path = tmp_path / "example.py"
    path.write_text("import asyncio\n" + code + "\n", "utf-8")
    run = engine.check([str(path)], Settings(jobs=1, extend_select=(rule.code,)))
    assert not run.errors, [r.error for r in run.errors]
    return [f.rule for f in run.findings]


@pytest.mark.parametrize("rule", ALL_RULES, ids=[r.code for r in ALL_RULES])
def test_doc_example_is_reported_and_use_instead_is_not(rule, tmp_path: Path) -> None:
    """A doc's *Example* shows the rule's mistake and its *Use instead* the fixed code: run as they are
    (the examples may leave out ``import asyncio``), the first is reported and the second is not."""
    assert rule.code in _reported(rule, _code_blocks(rule.doc, "Example"), tmp_path)
    assert rule.code not in _reported(rule, _code_blocks(rule.doc, "Use instead"), tmp_path)


def test_codes_and_names_are_unique() -> None:
    assert len({r.code for r in ALL_RULES}) == len({r.name for r in ALL_RULES}) == len(ALL_RULES)


def test_rules_command_lists_every_rule() -> None:
    result = CliRunner().invoke(main, ["rules"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == len(ALL_RULES)
    for line, rule in zip(lines, ALL_RULES):
        assert line.split()[:3] == [rule.code, rule.name, rule.fix_safety]
        assert line.endswith(ruledocs.one_line(rule))


@pytest.mark.parametrize("rule", ALL_RULES, ids=[r.code for r in ALL_RULES])
def test_explain_prints_the_full_doc(rule) -> None:
    for key in (rule.code, rule.code.lower(), rule.name):
        result = CliRunner().invoke(main, ["explain", key])
        assert result.exit_code == 0
        assert result.stdout.startswith(f"# {rule.code} {rule.name}\n")
        assert rule.doc.strip() in result.stdout


def test_explain_unknown_rule_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["explain", "AM999"])
    assert result.exit_code == 2
    assert "'AM999' is not a rule" in result.stderr


def test_docs_rules_md_is_generated_from_the_rules() -> None:
    assert (ROOT / "docs" / "rules.md").read_text("utf-8") == ruledocs.rules_markdown(), (
        "docs/rules.md is out of date: run python -m asyncmend.ruledocs"
    )


def test_readme_rule_table_is_generated_from_the_rules() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    assert readme == ruledocs.with_table(readme, ruledocs.rules_table()), (
        "the README's rule table is out of date: run python -m asyncmend.ruledocs"
    )


def test_generated_docs_keep_code_comments() -> None:
    doc = ruledocs._demote_headings("## Example\n```python\n# a comment\n```\n## Fix safety\n")
    assert doc == "### Example\n```python\n# a comment\n```\n### Fix safety\n"


def test_with_table_needs_the_markers() -> None:
    with pytest.raises(ValueError, match="markers"):
        ruledocs.with_table("# no markers\n", "table")
    text = f"a\n{ruledocs.README_START}\nold\n{ruledocs.README_END}\nb\n"
    assert ruledocs.with_table(text, "new\n") == f"a\n{ruledocs.README_START}\nnew\n{ruledocs.README_END}\nb\n"


@pytest.mark.parametrize(
    "snippet, test",
    [
        ("docs/snippets/pre-commit-config.yaml", "tests/test_precommit.py::test_hooks_fix_on_commit"),
        ("docs/snippets/github-workflow.yml", "tests/test_ci_output.py::test_github_actions_snippet_runs"),
        ("docs/examples/migrate.py", "tests/test_api.py::test_example_migration_script"),
    ],
)
def test_readme_shows_the_tested_snippets(snippet: str, test: str) -> None:
    """Each snippet the README shows is a file that the test named beside it reads."""
    text = (ROOT / snippet).read_text("utf-8")
    assert text in (ROOT / "README.md").read_text("utf-8"), f"README.md must show {snippet} verbatim"
    assert Path(snippet).name in _test_source(test), f"{test} does not read {snippet}"


def _test_source(test: str) -> str:
    """The source of the named test function, with the module-level assignments of names it uses."""
    path, _, name = test.partition("::")
    source = (ROOT / path).read_text("utf-8")
    module = ast.parse(source)
    [function] = [n for n in module.body if isinstance(n, ast.FunctionDef) and n.name == name] or [None]
    assert function is not None, f"{path} has no test function {name}"
    used = {n.id for n in ast.walk(function) if isinstance(n, ast.Name)}
    parts = [ast.get_source_segment(source, function)]
    for node in module.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id in used for t in node.targets):
            parts.append(ast.get_source_segment(source, node))
    return "\n".join(parts)


def test_snippet_check_finds_a_missing_test() -> None:
    with pytest.raises(AssertionError, match="has no test function test_nothing"):
        _test_source("tests/test_api.py::test_nothing")
