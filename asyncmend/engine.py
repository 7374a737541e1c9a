"""The engine: discover files, analyse them in parallel, resolve, report and rewrite.

Map: each file is read and parsed once with ``ast`` in a worker, giving a small summary and the
findings that need nothing but the file. Reduce: the summaries make one project index in this process,
which decides the cross-file findings. Rewrite: only files with fixes to apply are parsed with LibCST,
again in workers, and an output that does not parse is never written.
"""
from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any, Callable, ContextManager, Iterable, TypeVar

from codemods import ALL_RULES, FAMILIES, unawaited
from codemods.index import ProjectIndex
from codemods.summary import ModuleSummary, summarize

from .config import Settings, enabled_rules
from .discover import discover, module_name
from .model import AsyncmendError, Finding
from .source import SourceFile, parse_ast, write_atomic
from .suppress import is_suppressed, suppressions

GENERATED_MARKER = "@generated"
STDIN = "-"

# A progress display: called with a label and a total, gives a context manager whose value (if not
# None) has ``update(n)``; click.progressbar fits.
Progress = Callable[[str, int], ContextManager[Any]]

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class FileResult:
    path: str
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None
    old: str | None = None
    new: str | None = None
    fixed: list[Finding] = field(default_factory=list)
    unsafe_held: int = 0

    @property
    def changed(self) -> bool:
        return self.new is not None and self.new != self.old


@dataclass
class RunResult:
    files: list[FileResult]

    @property
    def findings(self) -> list[Finding]:
        return [f for r in self.files for f in r.findings]

    @property
    def errors(self) -> list[FileResult]:
        return [r for r in self.files if r.error]


@dataclass
class _Analysis:
    """What a worker sends back for one file."""

    path: str
    summary: ModuleSummary | None = None
    findings: list[Finding] = field(default_factory=list)
    noqa: dict = field(default_factory=dict)
    error: str | None = None
    skipped: bool = False
    digest: str = ""
    source: SourceFile | None = None  # kept only for standard input


def _is_generated(text: str) -> bool:
    head = text[:4096].splitlines()[:10]
    return any(GENERATED_MARKER in line for line in head)


def analyze_source(src: SourceFile, module: str, is_package: bool, settings: Settings) -> _Analysis:
    if not settings.include_generated and _is_generated(src.text):
        return _Analysis(src.path, skipped=True)
    try:
        src.tree  # noqa: B018 - parse once, here
        summary = summarize(src, module, is_package)
        findings = [f for family in FAMILIES if hasattr(family, "check") for f in family.check(src)]
    except AsyncmendError as exc:
        return _Analysis(src.path, error=str(exc))
    except RecursionError:
        return _Analysis(src.path, error="cannot analyse: too deeply nested")
    return _Analysis(src.path, summary, findings, suppressions(src.text), digest=src.digest)


def _analyze_path(job: tuple[str, Settings]) -> _Analysis:
    path, settings = job
    try:
        src = SourceFile.read(path)
    except AsyncmendError as exc:
        return _Analysis(path, error=str(exc))
    module, is_package = module_name(path)
    return analyze_source(src, module, is_package, settings)


def _map(fn: Callable[[T], R], items: list[T], jobs: int, progress: Progress | None = None,
         label: str = "") -> list[R]:
    """``map`` over worker processes when it pays, in order; ``progress`` hears of each item done."""
    with progress(label, len(items)) if progress else nullcontext() as bar:
        if jobs <= 1 or len(items) < 2 * jobs:
            return [_tick(bar, fn(item)) for item in items]
        chunk = max(1, min(64, len(items) // (jobs * 8)))
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            return [_tick(bar, r) for r in pool.map(fn, items, chunksize=chunk)]


def _tick(bar, result: R) -> R:
    if bar is not None:
        bar.update(1)
    return result


def _jobs(settings: Settings) -> int:
    return settings.jobs or os.cpu_count() or 1


def _filter(analysis: _Analysis, found: Iterable[Finding], settings: Settings) -> list[Finding]:
    enabled = enabled_rules(settings, ALL_RULES, analysis.path)
    kept = [
        f for f in found if f.rule in enabled and not is_suppressed(f.line, f.rule, analysis.noqa)
    ]
    return sorted(kept, key=lambda f: (f.line, f.col, f.rule))


def analyze(paths: list[str], settings: Settings, stdin_text: str | None = None,
            progress: Progress | None = None) -> tuple[list[_Analysis], ProjectIndex]:
    files, problems = discover([p for p in paths if p != STDIN], settings.exclude)
    jobs = _jobs(settings)
    analyses = _map(_analyze_path, [(path, settings) for path in files], jobs, progress, "Checking")
    analyses.extend(_Analysis(path, error=message) for path, message in problems)
    if stdin_text is not None:
        src = SourceFile(STDIN, stdin_text.encode("utf-8"), stdin_text, "utf-8", False)
        analysis = analyze_source(src, "__main__", False, settings)
        analysis.source = src
        analyses.append(analysis)
    index = ProjectIndex(a.summary for a in analyses if a.summary is not None)
    return analyses, index


def _findings(analysis: _Analysis, index: ProjectIndex, settings: Settings) -> list[Finding]:
    if analysis.summary is None:
        return []
    found = [*analysis.findings, *unawaited.resolve(analysis.summary, index)]
    return _filter(analysis, found, settings)


def check(paths: list[str], settings: Settings, stdin_text: str | None = None,
          progress: Progress | None = None) -> RunResult:
    analyses, index = analyze(paths, settings, stdin_text, progress)
    results = [
        FileResult(a.path, _findings(a, index, settings), a.error)
        for a in analyses
        if not a.skipped
    ]
    return RunResult(sorted(results, key=lambda r: r.path))


def _applicable(findings: list[Finding], settings: Settings) -> tuple[list[Finding], int]:
    fixable = [f for f in findings if f.fix is not None]
    chosen = [f for f in fixable if f.fix.safety == "safe" or settings.unsafe_fixes]
    return chosen, len(fixable) - len(chosen)


def apply_fixes(src: SourceFile, findings: list[Finding]) -> str:
    """Rewrite ``src`` with the fix plans of ``findings``; the result is checked to parse."""
    return apply_fixes_each(src, [findings])[0]


def apply_fixes_each(src: SourceFile, groups: list[list[Finding]]) -> list[str]:
    """``apply_fixes`` for each group of findings on its own, parsing ``src`` with LibCST once."""
    import libcst as cst
    from libcst.codemod import CodemodContext
    from libcst.codemod.visitors import AddImportsVisitor

    from .locate import Locator

    try:
        original = cst.parse_module(src.text)
    except cst.ParserSyntaxError as exc:
        raise AsyncmendError(f"cannot rewrite: LibCST cannot parse this file: {exc.message}") from None
    locate = Locator(original)
    texts = []
    for findings in groups:
        module = original
        context = CodemodContext(filename=src.path)
        for family in FAMILIES:
            codes = {rule.code for rule in family.RULES}
            mine = [f for f in findings if f.rule in codes]
            if mine:
                module = family.rewrite(module, mine, locate, context)
        if context.scratch.get(AddImportsVisitor.CONTEXT_KEY):
            module = AddImportsVisitor(context).transform_module(module)
        new = module.code
        try:
            parse_ast(new, src.path)
        except AsyncmendError as exc:
            raise AsyncmendError(f"internal error: the fixed code does not parse ({exc}); not written")
        texts.append(new)
    return texts


def _fix_one(job: tuple[FileResult, str, Settings, bool, SourceFile | None]) -> FileResult:
    result, digest, settings, write, src = job
    try:
        if src is None:
            src = SourceFile.read(result.path)
            if src.digest != digest:
                raise AsyncmendError("file changed on disk while it was being checked; not fixed")
        chosen, held = _applicable(result.findings, settings)
        result.unsafe_held = held
        result.old = src.text
        new = apply_fixes(src, chosen) if chosen else src.text
        result.new = new
        if new != src.text:
            result.fixed = chosen
            result.findings = [f for f in result.findings if f not in chosen]
            if write and src.path != STDIN:
                write_atomic(src, new)
    except AsyncmendError as exc:
        result.error = str(exc)
        result.new = None
    except RecursionError:
        result.error = "cannot rewrite: too deeply nested for LibCST"
        result.new = None
    return result


def fix(paths: list[str], settings: Settings, write: bool, stdin_text: str | None = None,
        progress: Progress | None = None) -> RunResult:
    """Apply (or, with ``write=False``, only compute) the fixes; unsafe ones only when enabled."""
    analyses, index = analyze(paths, settings, stdin_text, progress)
    done: list[FileResult] = []
    jobs = []
    for a in analyses:
        if a.skipped:
            continue
        result = FileResult(a.path, _findings(a, index, settings), a.error)
        if result.error is None and any(f.fix for f in result.findings):
            jobs.append((result, a.digest, settings, write, a.source))
        else:
            done.append(result)
    done.extend(_map(_fix_one, jobs, _jobs(settings), progress, "Fixing"))
    return RunResult(sorted(done, key=lambda r: r.path))


def fix_source(text: str, settings: Settings | None = None, path: str = STDIN) -> FileResult:
    """Fix one source string (as if it were the only file of its project)."""
    settings = settings or Settings()
    result = fix([], settings, write=False, stdin_text=text).files[0]
    result.path = path
    return result

