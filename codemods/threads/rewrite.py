"""The thread family's rewrite: each finding's fix plan carried out at its position with LibCST.

- ``rename``: ``loop.call_soon(...)`` becomes ``loop.call_soon_threadsafe(...)``;
- ``defer``: ``recv.method(args)`` becomes ``loop.call_soon_threadsafe(recv.method, args)``, the loop
  being the receiver (``receiver``) or its ``get_loop()`` (``get_loop``);
- ``run_coroutine_threadsafe``: ``loop.create_task(c)`` / ``ensure_future(c, loop=loop)`` becomes
  ``asyncio.run_coroutine_threadsafe(c, loop)``;
- ``wrap_future``: ``await f`` becomes ``await asyncio.wrap_future(f)``;
- ``mirror``: ``fut.result()`` becomes ``adapter(fut).result()``, the adapter (``adapter.ADAPTER``)
  inserted once after the docstring and imports.
"""
from __future__ import annotations

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor

from asyncmend.locate import Locator
from asyncmend.model import Finding, Fix

from ..edits import after_docstring_and_imports
from .adapter import ADAPTER, ADAPTER_DOC


def rewrite(module: cst.Module, findings: list[Finding], locate: Locator, context: CodemodContext):
    targets: dict[int, Finding] = {}
    for f in findings:
        if f.fix:
            for node in locate.spanning(f.line, f.col - 1, f.end_line, f.end_col - 1):
                if isinstance(node, (cst.Call, cst.Await)):
                    targets[id(node)] = f
    if not targets:
        return module
    adapter = next((f.fix.params for f in targets.values() if f.fix.action == "mirror"), None)
    for f in targets.values():
        if f.fix.params.get("import"):
            AddImportsVisitor.add_needed_import(context, _import_of(f.fix.action))

    class Mend(cst.CSTTransformer):
        def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
            found = targets.get(id(original_node))
            return _mend_call(updated_node, found.fix) if found else updated_node

        def leave_Await(self, original_node: cst.Await, updated_node: cst.Await) -> cst.Await:
            found = targets.get(id(original_node))
            if not found:
                return updated_node
            wrap = cst.Call(func=_attr(cst.Name(found.fix.params["asyncio"]), "wrap_future"),
                            args=[cst.Arg(updated_node.expression)])
            return updated_node.with_changes(expression=wrap)

    module = module.visit(Mend())
    if adapter and adapter["insert"]:
        module = _insert_adapter(module, adapter["adapter"])
    return module


def _import_of(action: str) -> str:
    return "concurrent.futures" if action == "mirror" else "asyncio"


def _attr(value: cst.BaseExpression, name: str) -> cst.Attribute:
    return cst.Attribute(value=value, attr=cst.Name(name))


def _mend_call(call: cst.Call, fix: Fix) -> cst.BaseExpression:
    func = call.func
    comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    if fix.action == "run_coroutine_threadsafe":
        positional = [a.value for a in call.args if a.keyword is None]
        named = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
        if "loop" in fix.params:  # asyncio.create_task(c): the loop in reach
            loop = cst.parse_expression(fix.params["loop"])
        else:  # ensure_future(c, loop=l) / l.create_task(c)
            loop = named["loop"] if "loop" in named else func.value
        return cst.Call(
            func=_attr(cst.Name(fix.params["asyncio"]), "run_coroutine_threadsafe"),
            args=[cst.Arg(positional[0], comma=comma), cst.Arg(loop)],
        )
    assert isinstance(func, cst.Attribute)
    if fix.action == "rename":
        return call.with_changes(func=func.with_changes(attr=cst.Name(fix.params["attr"])))
    if fix.action == "defer":
        recv = func.value
        if fix.params["loop"] == "given":  # AM306: the loop in reach
            loop = cst.parse_expression(fix.params["expr"])
        else:
            loop = recv if fix.params["loop"] == "receiver" else cst.Call(func=_attr(recv.deep_clone(), "get_loop"))
        first = cst.Arg(value=_attr(recv.deep_clone(), func.attr.value),
                        comma=comma if call.args else cst.MaybeSentinel.DEFAULT)
        return call.with_changes(func=_attr(loop, "call_soon_threadsafe"), args=[first, *call.args])
    if fix.action == "mirror":
        wrapped = cst.Call(func=cst.Name(fix.params["adapter"]), args=[cst.Arg(func.value)])
        return call.with_changes(func=func.with_changes(value=wrapped))
    return call


def _insert_adapter(module: cst.Module, name: str) -> cst.Module:
    """Put the adapter after the module's leading docstring and imports, with two blank lines around."""
    body = list(module.body)
    at = after_docstring_and_imports(body)
    blank = [cst.EmptyLine(), cst.EmptyLine()]
    adapter = cst.parse_statement(ADAPTER.format(name=name, doc=ADAPTER_DOC))
    adapter = adapter.with_changes(leading_lines=blank if at else [])
    if at < len(body):
        after = body[at]
        lines = list(after.leading_lines)
        empty = 0
        while empty < len(lines) and not lines[empty].comment:
            empty += 1
        body[at] = after.with_changes(leading_lines=[*blank[: max(0, 2 - empty)], *lines])
    body.insert(at, adapter)
    return module.with_changes(body=body)

