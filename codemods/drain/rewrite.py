"""The drain family's rewrite: the findings' plain edits (``edits``) applied with LibCST, and the imports
they need."""
from __future__ import annotations

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor

from asyncmend.locate import Locator
from asyncmend.model import Finding

from .. import edits as edit_plans


def rewrite(module: cst.Module, findings: list[Finding], locate: Locator, context: CodemodContext) -> cst.Module:
    plans = [edit for f in findings if f.fix for edit in f.fix.params["edits"]]
    new = edit_plans.apply(module, plans, locate)
    if new is not module:
        for f in findings:
            for name in f.fix.params.get("imports", ()) if f.fix else ():
                AddImportsVisitor.add_needed_import(context, name)
    return new
