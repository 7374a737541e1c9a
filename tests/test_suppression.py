"""Suppression comments: only a bare comment, our codes and our rule names silence our rules."""
from __future__ import annotations

import pytest

import asyncmend
from asyncmend.suppress import ALL, directives, in_comments, is_suppressed, suppressions

# Line 9 holds an AM101 (``work(1)`` never awaited) and line 12 an AM102 (``main()`` at top level).
PROGRAM = """\
import asyncio


async def work(n):
    print(n)


async def main():
    work(1){c9}


main(){c12}
"""


def _rules(c9: str = "", c12: str = "") -> list[tuple[int, str]]:
    found = asyncmend.check_source(PROGRAM.format(c9=c9, c12=c12), config=False)
    return [(f.line, f.rule) for f in found]


BOTH = [(9, "AM101"), (12, "AM102")]


def test_the_program_has_both_findings() -> None:
    assert _rules() == BOTH


@pytest.mark.parametrize(
    "comment, left",
    [
        ("  # noqa", [(12, "AM102")]),
        ("  # NOQA", [(12, "AM102")]),
        ("  # noqa: AM101", [(12, "AM102")]),
        ("  # noqa:am101", [(12, "AM102")]),
        ("  # noqa: E501, AM101", [(12, "AM102")]),
        ("  # noqa: E501 AM101", [(12, "AM102")]),
        ("  # noqa: unawaited-coroutine", [(12, "AM102")]),
        ("  # noqa: AM101 the call is awaited elsewhere", [(12, "AM102")]),
        ("  # asyncmend: ignore", [(12, "AM102")]),
        ("  # asyncmend: ignore[AM101]", [(12, "AM102")]),
        ("  # asyncmend: ignore[unawaited-coroutine]", [(12, "AM102")]),
        ("  # asyncmend: ignore[AM101, AM102]", [(12, "AM102")]),
        # other tools' codes, other rules of ours, an empty list: nothing silenced
        ("  # noqa: E501", BOTH),
        ("  # noqa: E501,W291", BOTH),
        ("  # noqa: ASYNC102", BOTH),
        ("  # noqa: AM102", BOTH),
        ("  # noqa: AM1", BOTH),
        ("  # noqa: coroutine-called-sync", BOTH),
        ("  # noqa: unawaited", BOTH),
        ("  # noqa:", BOTH),
        ("  # asyncmend: ignore[]", BOTH),
        ("  # asyncmend: ignore[E501]", BOTH),
        ("  # asyncmend: ignore[coroutine-called-sync]", BOTH),
        ("  # type: ignore", BOTH),
    ],
)
def test_comment_on_the_am101_line(comment: str, left: list) -> None:
    assert _rules(c9=comment) == left


@pytest.mark.parametrize(
    "comment, left",
    [
        ("  # noqa: coroutine-called-sync", [(9, "AM101")]),
        ("  # noqa: AM102", [(9, "AM101")]),
        ("  # noqa: unawaited-coroutine", BOTH),
        ("  # noqa: E501", BOTH),
    ],
)
def test_comment_on_the_am102_line(comment: str, left: list) -> None:
    assert _rules(c12=comment) == left


def test_suppression_holds_for_fix_too() -> None:
    result = asyncmend.fix_source(PROGRAM.format(c9="  # noqa: E501", c12="  # noqa: coroutine-called-sync"),
                                  config=False)
    assert "    await work(1)  # noqa: E501\n" in result.new_text
    assert "\nmain()  # noqa: coroutine-called-sync\n" in result.new_text


def test_table_keeps_what_each_line_names() -> None:
    text = "a  # noqa\nb  # noqa: E501, am101\nc\nd  # asyncmend: ignore[unawaited-coroutine]\ne  # noqa:\n"
    assert suppressions(text) == {
        1: frozenset({ALL}),
        2: frozenset({"E501", "AM101"}),
        4: frozenset({"unawaited-coroutine"}),
    }
    assert suppressions("x = 1\n") == {}


def test_is_suppressed_by_line() -> None:
    table = {3: frozenset({"AM101"}), 5: frozenset({ALL}), 7: frozenset({"E501"}), 9: frozenset()}
    assert is_suppressed(3, "AM101", table)
    assert not is_suppressed(3, "AM102", table)
    assert not is_suppressed(4, "AM101", table)
    assert is_suppressed(5, "AM301", table)
    assert not is_suppressed(7, "AM101", table)
    assert not is_suppressed(9, "AM101", table)


def test_add_noqa_puts_codes_only_where_a_comment_can_go() -> None:
    from asyncmend.suppress import add_noqa

    text = 'x = 1  # noqa: E501\ny = """a\nb"""\nz = 2 \\\n  + 1\nw = "# noqa: E1"\n'
    wanted = {1: ["AM101"], 2: ["AM101"], 3: ["AM101"], 4: ["AM101"], 6: ["AM101", "AM102", "AM101"]}
    assert add_noqa(text, wanted) == (
        'x = 1  # noqa: E501, AM101\ny = """a\nb"""  # noqa: AM101\nz = 2 \\\n  + 1\n'
        'w = "# noqa: E1"  # noqa: AM101, AM102\n',
        3,
    )


def test_only_directives_in_comments_count_with_where_their_comment_starts() -> None:
    # AM001 reports (and its fix edits) only these: a directive's text inside a string is no directive.
    text = "x = '# noqa: AM101'  # noqa: AM102\ny = 1  # a # noqa: AM103\nz = '''\n# noqa: AM104\n'''\n"
    assert [(d.line, d.codes, col) for d, col in in_comments(text, directives(text))] == [
        (1, ("AM102",), 21), (2, ("AM103",), 7)
    ]
    assert in_comments("x = (\n# noqa: AM101\n", directives("x = (\n# noqa: AM101\n")) == []  # not tokenizable
    text = "x = 1\ry = '# noqa: AM101'  # noqa: AM102\r"  # a lone CR ends a line
    assert [(d.line, d.codes, col) for d, col in in_comments(text, directives(text))] == [(2, ("AM102",), 21)]


def test_an_empty_noqa_list_does_not_hide_a_later_directive_on_its_line() -> None:
    assert suppressions("f()  # noqa:  # noqa: AM101\n") == {1: frozenset({"AM101"})}


def test_add_noqa_counts_no_line_where_it_changes_nothing() -> None:
    from asyncmend.suppress import add_noqa

    old = "import asyncio\nx = asyncio.async(f())\n"  # Python 3.6: today's parser rejects it
    assert add_noqa(old, {2: ["AM202"]}) == (old, 0)
    assert add_noqa("def f(:\n", {1: ["AM101"]}) == ("def f(:\n", 0)


def test_add_noqa_writes_nothing_that_would_change_what_the_code_means(monkeypatch: pytest.MonkeyPatch) -> None:
    # Where the tokenizer and the compiler disagree on where a string ends (as Python 3.11's did on a
    # string continued after a backslash and a lone CR), a comment can land inside a string: the
    # tree would change, so nothing is written and nothing counted.
    from asyncmend import suppress

    text = 's = """\ntext\n"""\n'
    monkeypatch.setattr(suppress, "_noqa_insertions", lambda text, wanted: {2: (12, 12, "  # noqa: AM101")})
    assert suppress.add_noqa(text, {2: ["AM101"]}) == (text, 0)
    # the same kind of insertion at the end of a line of code is written and counted
    text = "s = 1\nt = f()\n"
    monkeypatch.setattr(suppress, "_noqa_insertions", lambda text, wanted: {2: (13, 13, "  # noqa: AM101")})
    assert suppress.add_noqa(text, {2: ["AM101"]}) == ("s = 1\nt = f()  # noqa: AM101\n", 1)
