"""How a coroutine called from synchronous code can be run by an event loop the code already holds.

The pattern is the one the asyncio docs show: ``task = loop.create_task(coro())`` in place of the
call, and ``loop.run_until_complete(task)`` before the loop is closed or the block ends. It is only
planned when every step is certain from the code: the call stands directly in the block that made the
loop (``asyncio.new_event_loop()``/``get_event_loop()``) or received it as a parameter annotated as a
loop, nothing between the call and the insertion point can leave the block early, and the loop is not
closed before the call.
"""
from __future__ import annotations

import ast
from typing import Callable

from .astwalk import dotted, walk_own
from .asyncio_api import GET_EVENT_LOOP, NEW_EVENT_LOOP

# A loop the code makes itself is its own to run; one it gets may be running already (an unsafe fix).
LOOP_MAKERS = {
    **{name.rpartition(".")[2]: "safe" for name in NEW_EVENT_LOOP},
    **{name.rpartition(".")[2]: "unsafe" for name in GET_EVENT_LOOP},
}
LOOP_TYPES = frozenset({"AbstractEventLoop", "BaseEventLoop"})


def _last(dotted: str | None) -> str:
    return (dotted or "").rpartition(".")[2]


def _loop_made_by(stmt: ast.stmt) -> tuple[str, str] | None:
    if (
        isinstance(stmt, ast.Assign)
        and len(stmt.targets) == 1
        and isinstance(stmt.targets[0], ast.Name)
        and isinstance(stmt.value, ast.Call)
        and _last(dotted(stmt.value.func)) in LOOP_MAKERS
    ):
        return stmt.targets[0].id, LOOP_MAKERS[_last(dotted(stmt.value.func))]
    return None


def _calls_method(stmt: ast.stmt, name: str, method: str) -> bool:
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Call)
        and dotted(stmt.value.func) == f"{name}.{method}"
    )


def _leaves_early(stmt: ast.stmt) -> bool:
    return any(isinstance(node, (ast.Return, ast.Raise)) for node in walk_own([stmt]))


def loop_plan(
    block: list[ast.stmt],
    stmt: ast.Expr,
    params: list[ast.arg],
    bound_once: Callable[[str], bool],
    position: Callable[[ast.stmt], tuple[int, int]],
) -> dict | None:
    """The plan for running ``stmt``'s coroutine on the block's loop, or None when not certain."""
    index = next((i for i, s in enumerate(block) if s is stmt), None)
    if index is None:
        return None
    loop = safety = None
    for arg in params:
        annotation = arg.annotation
        if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
            name = _last(annotation.value)
        else:
            name = _last(dotted(annotation)) if annotation is not None else ""
        if name in LOOP_TYPES and bound_once(arg.arg):
            loop, safety = arg.arg, "unsafe"
    for s in block[:index]:
        made = _loop_made_by(s)
        if made and bound_once(made[0]):
            loop, safety = made
        elif loop and _calls_method(s, loop, "close"):
            return None
    if loop is None:
        return None
    rest = block[index + 1:]
    close = next((j for j, s in enumerate(rest) if _calls_method(s, loop, "close")), None)
    if close is not None:
        anchor, between = ("before", rest[close]), rest[:close]
    elif rest and isinstance(rest[-1], ast.Return):
        anchor, between = ("before", rest[-1]), rest[:-1]
    else:
        anchor, between = ("after", rest[-1] if rest else stmt), rest
    where, node = anchor
    if any(_leaves_early(s) for s in between) or getattr(node, "decorator_list", None):
        return None
    return {"loop": loop, "safety": safety, "anchor": [where, *position(node)]}
