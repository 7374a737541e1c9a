"""Applying plain-data edit plans to a LibCST module: insert or replace statements, replace expressions.

An edit is a dict that the analysis builds from the ``ast`` (so it can cross processes and caches):

    {"op": "before" | "after" | "replace", "line": 1-based, "col": 0-based chars,
     "check": "text the statement contains", "code": ["statement", ...]}
    {"op": "expr", "line", "col", "end_line", "end_col", "check": "exact old text", "code": "new text"}

Generated code is written with four-space indents and ``\\n``; it is re-indented and re-terminated to
the module's own style before parsing. A target is only edited when it is found at its position *and*
its text matches ``check``, so a module already changed by another family is never edited blindly.
Nodes off the path to a target are left as the very same objects, so that families rewriting after
this one still find their own targets by identity.
"""
from __future__ import annotations

from typing import Any

import libcst as cst

from asyncmend.locate import Locator

Edit = dict[str, Any]


def apply(module: cst.Module, edits: list[Edit], locate: Locator) -> cst.Module:
    if module not in locate.positions:
        locate = Locator(module)
    statements: dict[int, tuple[list, list | None, list]] = {}
    expressions: dict[int, cst.BaseExpression] = {}
    targets = []
    for edit in edits:
        if edit["op"] == "expr":
            node = _expression_at(module, locate, edit)
            if node is not None:
                expressions[id(node)] = cst.parse_expression(edit["code"], config=module.config_for_parsing)
                targets.append(node)
            continue
        node = _statement_at(module, locate, edit)
        if node is None:
            continue
        targets.append(node)
        before, replace, after = statements.setdefault(id(node), ([], None, []))
        new = [_parse_statement(module, code) for code in edit["code"]]
        if edit["op"] == "before":
            before.extend(new)
        elif edit["op"] == "after":
            after.extend(new)
        else:
            statements[id(node)] = (before, new, after)
    if not statements and not expressions:
        return module
    keep = _ancestors(module, targets, locate.positions)
    return module.visit(_Apply(keep, statements, expressions))


def _parse_statement(module: cst.Module, code: str) -> cst.BaseStatement:
    lines = []
    for line in code.split("\n"):
        stripped = line.lstrip(" ")
        lines.append(module.default_indent * ((len(line) - len(stripped)) // 4) + stripped)
    text = module.default_newline.join(lines)
    if not text.endswith(module.default_newline):
        text += module.default_newline
    return cst.parse_statement(text, config=module.config_for_parsing)


def _statement_at(module: cst.Module, locate: Locator, edit: Edit):
    for kind in (cst.SimpleStatementLine, cst.BaseCompoundStatement):
        node = locate.at(edit["line"], edit["col"], kind)
        if isinstance(node, cst.SimpleStatementLine) and len(node.body) != 1:
            return None  # ``a; b``: the edit would take the neighbour along
        if node is not None and edit["check"] in module.code_for_node(node):
            return node
    return None


def _expression_at(module: cst.Module, locate: Locator, edit: Edit):
    for node in reversed(locate.spanning(edit["line"], edit["col"], edit["end_line"], edit["end_col"])):
        # outermost first
        if isinstance(node, cst.BaseExpression) and module.code_for_node(node) == edit["check"]:
            return node
    return None


def _ancestors(module: cst.Module, targets: list, positions) -> set[int]:
    """Ids of the nodes on the way from ``module`` down to each target.

    The way down follows the children whose source range holds the target's, so only a few nodes
    per level are looked at; a full walk is the fallback should positions ever not lead there.
    """
    found: set[int] = set()
    for target in targets:
        path = _path_by_position(module, target, positions)
        if path is None:
            return _ancestors_by_walk(module, {id(t) for t in targets})
        found.update(path)
    return found


def _path_by_position(module: cst.Module, target, positions) -> list[int] | None:
    want = positions.get(target)
    if want is None:
        return None
    path, node = [], module
    while node is not target:
        path.append(id(node))
        for child in node.children:
            where = positions.get(child)
            if child is target or (
                where is not None
                and (where.start.line, where.start.column) <= (want.start.line, want.start.column)
                and (want.end.line, want.end.column) <= (where.end.line, where.end.column)
            ):
                node = child
                break
        else:
            return None
    return path


def _ancestors_by_walk(module: cst.Module, targets: set[int]) -> set[int]:
    found: set[int] = set()

    class Walk(cst.CSTVisitor):
        def __init__(self) -> None:
            self.stack: list[int] = []

        def on_visit(self, node: cst.CSTNode) -> bool:
            if id(node) in targets:
                found.update(self.stack)
            self.stack.append(id(node))
            return True

        def on_leave(self, original_node: cst.CSTNode) -> None:
            self.stack.pop()

    module.visit(Walk())
    return found


def _with_comment_as_line(statement, new: list):
    """Keep a replaced statement's leading lines, and its trailing comment as a line of its own."""
    lines = list(statement.leading_lines)
    trailing = getattr(statement, "trailing_whitespace", None)
    if trailing is not None and trailing.comment is not None:
        lines.append(cst.EmptyLine(comment=trailing.comment))
    if lines and new:
        new[0] = new[0].with_changes(leading_lines=[*lines, *new[0].leading_lines])
    return new


def _Apply(keep: set[int], statements: dict, expressions: dict):
    class Apply(cst.CSTTransformer):
        def on_visit(self, node: cst.CSTNode) -> bool:
            return id(node) in keep

        def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode):
            if id(original_node) in expressions:
                return expressions[id(original_node)]
            if isinstance(original_node, (cst.Module, cst.IndentedBlock)):
                body, changed = [], False
                for old, new in zip(original_node.body, updated_node.body):
                    plan = statements.get(id(old))
                    if plan is None:
                        body.append(new)
                        continue
                    before, replace, after = plan
                    middle = [new] if replace is None else _with_comment_as_line(old, list(replace))
                    body.extend([*before, *middle, *after])
                    changed = True
                if changed:
                    return updated_node.with_changes(body=body)
            return updated_node

    return Apply()


def after_docstring_and_imports(body: list[cst.BaseStatement]) -> int:
    """The index in a module's body after its leading docstring and imports: where new module-level
    code goes."""
    at = 0
    for i, stmt in enumerate(body):
        if isinstance(stmt, cst.SimpleStatementLine) and all(
            isinstance(s, (cst.Import, cst.ImportFrom)) or (i == 0 and _is_docstring(s)) for s in stmt.body
        ):
            at = i + 1
        else:
            break
    return at


def _is_docstring(stmt: cst.BaseSmallStatement) -> bool:
    return isinstance(stmt, cst.Expr) and isinstance(stmt.value, (cst.SimpleString, cst.ConcatenatedString))
