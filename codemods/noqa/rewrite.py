"""AM001's rewrite: the stale codes taken out of each comment with LibCST. It edits only comments, so it
moves no code and the other families' positions still hold after it (``keeps_positions``)."""
from __future__ import annotations

import libcst as cst
from libcst.codemod import CodemodContext

from asyncmend.locate import Locator
from asyncmend.model import Finding

from .am001_unused_noqa import without


def rewrite(module: cst.Module, findings: list[Finding], locate: Locator, context: CodemodContext):
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


