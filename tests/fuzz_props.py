"""What fuzzing checks, shared by the test suite (tests/test_fuzz.py) and the long run (bench/fuzz.py).

``plant`` puts the three mistakes asyncmend mends into a program (generated or real), at statement
boundaries it finds with ``ast``, keeping the program's own newline style. ``problems`` runs the fixer
on a program and returns what went wrong, as text, instead of raising, so a long run can count:

- the fixer raised, or reported an internal error;
- its output does not parse, or does not compile although the input did;
- a second run changes the output again;
- a line outside the edited statements changed (lines may only be inserted next to an edited
  statement, or as top-level imports and helper definitions);
- a planted unawaited call (planted where nothing can shadow it) was not mended.
"""
from __future__ import annotations

import ast
import difflib
import random
import re
import warnings

from asyncmend import engine
from asyncmend.config import Settings
from asyncmend.source import compile_error, split_lines

SETTINGS = Settings(unsafe_fixes=True, jobs=1)
PREFIX = "_am_"  # planted names; generated programs cannot clash with them in a way that matters

# The three mistakes. ``{p}`` becomes a unique prefix per planting.
UNAWAITED = "async def {p}coro():\n    pass\n\n\nasync def {p}caller():\n    {p}coro()\n"
CANCEL_THEN_CLOSE = (
    "import asyncio\n\n\ndef {p}shutdown(loop):\n    for task in asyncio.all_tasks(loop):\n"
    "        task.cancel()\n    loop.close()\n",
    "import asyncio\n\n\ndef {p}stop(loop):\n    pending = asyncio.all_tasks(loop)\n"
    "    for t in pending:\n        t.cancel()\n    loop.close()\n",
)
CALL_SOON_FROM_THREAD = (
    "import threading\n\n\ndef {p}worker(loop, callback):\n    loop.call_soon(callback)\n\n\n"
    "def {p}start(loop):\n    threading.Thread(target={p}worker, args=(loop, print)).start()\n",
    "import asyncio\n\n\ndef {p}blocking(loop, fut):\n    loop.call_soon(fut.set_result, 1)\n\n\n"
    "async def {p}run():\n    loop = asyncio.get_running_loop()\n    fut = loop.create_future()\n"
    "    await loop.run_in_executor(None, {p}blocking, loop, fut)\n    await fut\n",
)


def _newline(text: str) -> str:
    match = re.search(r"\r\n|\r|\n", text)
    return match.group() if match else "\n"


def _top_level_slots(tree: ast.Module, lines: list[str]) -> list[int]:
    """0-based line indexes where a top-level statement starts alone at column 0 (after __future__)."""
    slots = []
    seen_future = 0
    for node in tree.body:
        first = min([node.lineno, *(d.lineno - 1 for d in getattr(node, "decorator_list", ()))])
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            seen_future = node.end_lineno
        if node.col_offset == 0 and first - 1 < len(lines):
            slots.append(first - 1)
    slots.append(len(lines))
    return [s for s in slots if s >= seen_future]


def _async_body_slots(tree: ast.Module, lines: list[str]) -> list[tuple[int, str]]:
    """(0-based line, indentation) of first statements of ``async def`` bodies on their own line."""
    slots = []
    for node in ast.walk(tree):
        if isinstance(node, ast.AsyncFunctionDef) and node.body[0].lineno > node.lineno:
            stmt = node.body[0]
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
                continue  # keep a docstring a docstring
            line = lines[stmt.lineno - 1] if stmt.lineno - 1 < len(lines) else ""
            indent = line[: stmt.col_offset] if stmt.col_offset <= len(line) else ""
            if indent and indent.strip(" \t") == "" and line[len(indent):].strip():
                slots.append((stmt.lineno - 1, indent))
    return slots


def plant(text: str, rng: random.Random, count: int = 3) -> tuple[str, list[str]]:
    """``text`` with up to ``count`` mistakes planted, and the names of the mended calls to expect.

    Returns the text unchanged (and no names) when it does not parse or no planting keeps it valid.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return text, []
    nl = _newline(text)
    lines = split_lines(text)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += nl
    insertions: dict[int, list[str]] = {}
    expected: list[str] = []
    star = any(isinstance(n, ast.ImportFrom) and any(a.name == "*" for a in n.names) for n in ast.walk(tree))
    top = _top_level_slots(tree, lines)
    inner = _async_body_slots(tree, lines)
    for i in range(count):
        p = f"{PREFIX}{rng.randrange(10**6)}_{i}_"
        kind = rng.choice(("unawaited", "unawaited-inside", "drain", "thread"))
        if kind == "unawaited-inside" and inner:
            at, indent = rng.choice(inner)
            insertions.setdefault(at, []).append(f"{indent}{p}coro(){nl}")
            insertions.setdefault(len(lines), []).append(f"{nl}{nl}async def {p}coro():{nl}    pass{nl}")
            continue
        snippet = {
            "drain": rng.choice(CANCEL_THEN_CLOSE),
            "thread": rng.choice(CALL_SOON_FROM_THREAD),
        }.get(kind, UNAWAITED)
        block = snippet.format(p=p).replace("\n", nl)
        insertions.setdefault(rng.choice(top), []).append(f"{nl}{nl}{block}{nl}{nl}")
        if snippet is UNAWAITED and not star:
            expected.append(f"await {p}coro()")
    out = []
    for index in range(len(lines) + 1):
        out.extend(insertions.get(index, ()))
        if index < len(lines):
            out.append(lines[index])
    planted = "".join(out)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(planted, "<planted>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return text, []
    return planted, expected


def _statement_lines(text: str) -> set[int]:
    """0-based indexes of lines holding a top-level import or definition in ``text``'s block."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return set()
    allowed = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return {i for n in tree.body if isinstance(n, allowed) for i in range(n.lineno - 1, n.end_lineno)}


def _outside_edits(old: str, new: str, fixed) -> list[str]:
    """Changes of ``old`` into ``new`` that no fixed finding accounts for."""
    a = split_lines(old)
    b = split_lines(new)
    # A finding may name only the head of a compound statement (``for t in all_tasks(loop):``);
    # its fix may then go right after the whole statement.
    ends = {n.lineno: n.end_lineno for n in ast.walk(ast.parse(old)) if isinstance(n, ast.stmt)}
    spans = [(f.line - 1, max(f.end_line, ends.get(f.line, 0))) for f in fixed]  # 0-based, end exclusive

    def inside(i1: int, i2: int) -> bool:
        return all(any(lo <= k < hi for lo, hi in spans) for k in range(i1, i2))

    def next_to(i: int) -> bool:
        return any(lo <= i <= hi for lo, hi in spans)

    bad = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        if tag in ("replace", "delete") and inside(i1, i2):
            continue
        if tag == "insert":
            block = "".join(b[j1:j2])
            if next_to(i1):
                continue
            if not block.strip():
                continue
            lines = _statement_lines(block)
            nonblank = {
                k for k, line in enumerate(b[j1:j2]) if line.strip() and not line.lstrip().startswith("#")
            }
            if nonblank <= lines and not block[:1].isspace():
                continue
        bad.append(f"{tag} old lines {i1 + 1}-{i2} -> {''.join(b[j1:j2])[:200]!r}")
    return bad


def problems(text: str, expected: list[str] = ()) -> tuple[list[str], engine.FileResult | None]:
    """Everything wrong with fixing ``text``, and the fix result."""
    try:
        result = engine.fix_source(text, SETTINGS)
    except Exception as exc:  # the very thing we hunt
        return [f"raised {type(exc).__name__}: {exc}"], None
    found = []
    if result.error and result.internal:
        found.append(result.error)
    if not result.changed:
        if result.error is None and expected:
            found.append(f"planted mistakes not mended: {expected}")
        return found, result
    new = result.new
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(new)
    except (SyntaxError, ValueError) as exc:
        return [*found, f"output does not parse: {exc}"], result
    if compile_error(result.old) is None and compile_error(new) is not None:
        return [*found, f"output does not compile: {compile_error(new)}"], result
    try:
        again = engine.fix_source(new, SETTINGS)
    except Exception as exc:
        return [*found, f"second run raised {type(exc).__name__}: {exc}"], result
    if again.changed:
        found.append("second run changed the output again")
    if again.error:
        found.append(f"second run: {again.error}")
    found.extend(f"outside the edits: {d}" for d in _outside_edits(result.old, new, result.fixed))
    missing = [e for e in expected if e not in new]
    if missing:
        found.append(f"planted mistakes not mended: {missing}")
    return found, result
