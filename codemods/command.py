"""The rule families as LibCST codemod commands, for ``python -m libcst.tool codemod``: one ordinary class
a family (``DrainCommand``, ...), which users name through the family's folder
(``asyncmend.codemods.drain.DrainCommand``: the folder hands it out on demand).

    python -m libcst.tool codemod -x asyncmend.codemods.unawaited.UnawaitedCommand --no-format src/

(``--no-format``: otherwise ``libcst.tool`` runs black over every changed file, and a fix must leave
everything outside the edited node as it was.)

A command runs the CLI's own analysis on the module it is given (``ast``, the family's findings after
select/ignore, per-file ignores and ``# noqa`` from the project's pyproject.toml) and the family's own
rewrite; the imports a fix needs go through the codemod context (``AddImportsVisitor``), which
``CodemodCommand`` applies after the rewrite.

Cross-file knowledge (the unawaited family asks the project index whether an imported name is a
coroutine function): when ``libcst.tool`` provides a full-repository manager in the context (it does
whenever it runs on paths, with ``repo_root`` from ``.libcst.codemod.yaml`` or the current folder), the
index covers every file of that run, as ``asyncmend check`` with the same paths would; it is built
once per worker process. Without one (standard input, or a codemod built by hand with a bare
``CodemodContext``), the index holds the single module being transformed.

This module imports LibCST and the engine at the top: it sits above both, and nothing that checks
imports it (so ``asyncmend check`` never pays for LibCST).
"""
from __future__ import annotations

import argparse
import os
from typing import ClassVar

import libcst as cst
from libcst.codemod import CodemodCommand, CodemodContext, SkipFile

from asyncmend.config import find_config, resolve_settings
from asyncmend.locate import Locator
from asyncmend.model import AsyncmendError
from asyncmend.source import SourceFile, parse_ast
from asyncmend.workspace import Workspace

from .family import Family
from .registry import DRAIN, THREADS, UNAWAITED

_workspaces: dict[tuple, Workspace] = {}


class FamilyCommand(CodemodCommand):
    """Find one family's mistakes in a module and apply their fixes, exactly as ``asyncmend fix``.

    A subclass names its family (``FAMILY``); its description (``libcst.tool``'s help) is made from the
    family's rule codes and summary.
    """

    FAMILY: ClassVar[Family]

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        codes = ", ".join(sorted(cls.FAMILY.codes))
        cls.DESCRIPTION = f"asyncmend {codes}: {cls.FAMILY.summary}"

    @staticmethod
    def add_args(arg_parser: argparse.ArgumentParser) -> None:
        arg_parser.add_argument(
            "--unsafe-fixes", action="store_true", default=None,
            help="Also apply fixes marked unsafe [default: the project's unsafe-fixes setting].",
        )

    def __init__(self, context: CodemodContext, unsafe_fixes: bool | None = None) -> None:
        super().__init__(context)
        self.unsafe_fixes = unsafe_fixes

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        path = self.context.filename or "-"
        try:
            src = SourceFile.from_bytes(path, tree.bytes)
            workspace = self._workspace(path)
            result = workspace.analyse(src)
        except AsyncmendError as exc:
            raise SkipFile(f"asyncmend: {exc}") from None
        if result.error:
            raise SkipFile(f"asyncmend: {result.error}")
        codes = self.FAMILY.codes
        unsafe = workspace.settings.unsafe_fixes
        chosen = [
            f for f in result.findings
            if f.rule in codes and f.fix is not None and (f.fix.safety == "safe" or unsafe)
        ]
        held = sum(1 for f in result.findings if f.rule in codes and f.fix is not None) - len(chosen)
        if held:
            self.warn(f"{held} unsafe fix(es) held back (use --unsafe-fixes)")
        if not chosen:
            return tree
        module = self.FAMILY.rewrite(tree, chosen, Locator(tree), self.context)
        try:
            parse_ast(module.code, path)
        except AsyncmendError as exc:
            raise AsyncmendError(f"internal error: the fixed code does not parse ({exc}); not written")
        return module

    def _workspace(self, path: str) -> Workspace:
        """The settings of the file's project and an index over the files of this run (see above)."""
        manager = self.context.metadata_manager
        paths = tuple(getattr(manager, "_paths", ())) if manager is not None else ()
        folder = os.path.dirname(os.path.abspath(path)) if path != "-" else None
        config = find_config(folder)
        key = (config, paths, self.unsafe_fixes)
        if key not in _workspaces:
            # libcst.tool has already decided about generated files, and runs this in its workers.
            settings = resolve_settings(config, include_generated=True, unsafe_fixes=self.unsafe_fixes, jobs=1)
            _workspaces[key] = Workspace(settings, paths)
        return _workspaces[key]


class UnawaitedCommand(FamilyCommand):
    FAMILY = UNAWAITED


class DrainCommand(FamilyCommand):
    FAMILY = DRAIN


class ThreadsCommand(FamilyCommand):
    FAMILY = THREADS
