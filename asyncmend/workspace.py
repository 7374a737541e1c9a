"""One source at a time against a project index: the Python API and the LibCST codemod commands.

The CLI analyses every file of a run together (``engine.check`` / ``engine.fix``). Callers that hand
over one source at a time, a migration script or ``python -m libcst.tool codemod``, build a Workspace
once over the files that make the project, then ask it about each source. The analysis, the findings
and the fixes are the engine's own; only the order of work differs.
"""
from __future__ import annotations

import os

from . import engine
from .config import Settings
from .discover import module_name
from .source import SourceFile


class Workspace:
    """``index_only``: read the project's files for the index alone (as ``asyncmend index`` does),
    when only the sources handed over later are checked, as in the editor."""

    def __init__(self, settings: Settings, index_paths: list[str] | tuple[str, ...] = (), index_only: bool = False):
        self.settings = settings
        if index_only:
            self.index = engine.build_index(list(index_paths), settings)
            self._digests: dict[str, str] = {}
        else:
            analyses, self.index = engine.analyze(list(index_paths), settings)
            self._digests = {_key(a.path): a.digest for a in analyses if a.summary is not None}
        # The last analysis of each source handed over: asked again about the same text (another
        # file changed), only the cross-file resolution runs again.
        self._analyses: dict[str, engine._Analysis] = {}

    def analyse(self, src: SourceFile) -> engine.FileResult:
        """The findings for ``src`` (kept or suppressed exactly as the CLI would), or its error.

        When ``src`` is a newer text of an indexed file, the index learns the new text first.
        """
        return self._analyse(src)[0]

    def fix(self, src: SourceFile, write: bool = False) -> engine.FileResult:
        """Analyse ``src`` and apply its fixes (unsafe ones only when the settings allow them)."""
        result, digest = self._analyse(src)
        if result.error is None and any(f.fix for f in result.findings):
            return engine._fix_one((result, digest, self.settings, write, src))
        if result.error is None:
            result.new = src.text
        return result

    def _analyse(self, src: SourceFile) -> tuple[engine.FileResult, str]:
        if os.path.isfile(src.path):
            module, is_package = module_name(src.path)
        else:
            module, is_package = "__main__", False
        key = _key(src.path)
        analysis = self._analyses.get(key)
        if analysis is None or analysis.digest != src.digest or not analysis.digest:
            analysis = engine.analyze_source(src, module, is_package, self.settings)
            self._analyses[key] = analysis
        if analysis.skipped:
            return engine.FileResult(src.path, old=src.text, new=src.text), ""
        if analysis.summary is not None and self._digests.get(key) != analysis.digest:
            self.index.add(analysis.summary)
            self._digests[key] = analysis.digest
        result = engine._result(analysis, self.index, self.settings)
        result.old = src.text
        return result, analysis.digest


def _key(path: str) -> str:
    return os.path.realpath(path)
