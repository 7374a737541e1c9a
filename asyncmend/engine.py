"""The engine: discover files, analyse them in parallel, resolve, report and rewrite.

Map: each file is read and parsed once with ``ast`` in a worker, giving a small summary and the
findings that need nothing but the file. Reduce: the summaries make one project index in this process,
which decides the cross-file findings. Rewrite: only files with fixes to apply are parsed with LibCST,
again in workers; a file LibCST does not reproduce exactly is left alone, and an output that does not
compile (when the input did) is never written. A failure in one file is reported for that file and
the run goes on; docs/robustness.md lists what is guaranteed and how it is tested.
"""
from __future__ import annotations

import os
import signal
import traceback
import warnings
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Callable, Iterable, TypeVar

from codemods import ALL_RULES, FAMILIES, unawaited
from codemods.index import ProjectIndex
from codemods.summary import ModuleSummary, summarize

from .config import Settings, enabled_rules
from .discover import discover, module_name
from .model import AsyncmendError, Finding
from .source import SourceFile, compile_error, parse_ast, write_atomic
from .suppress import is_suppressed, suppressions

GENERATED_MARKER = "@generated"
STDIN = "-"
INTERNAL_ERROR = "internal error"

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

    @property
    def internal(self) -> bool:
        """The error is a bug in asyncmend, not a problem of the input."""
        return bool(self.error) and self.error.startswith(INTERNAL_ERROR)


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


def _internal(exc: BaseException) -> str:
    """A one-line report of a bug, naming where it happened, for a file that could not be processed."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {os.path.basename(frames[-1].filename)}:{frames[-1].lineno}" if frames else ""
    return f"{INTERNAL_ERROR}: {type(exc).__name__}: {exc}{where}; please report it"


def _is_generated(text: str) -> bool:
    head = text[:4096].splitlines()[:10]
    return any(GENERATED_MARKER in line for line in head)


def analyze_source(src: SourceFile, module: str, is_package: bool, settings: Settings) -> _Analysis:
    if not settings.include_generated and _is_generated(src.text):
        return _Analysis(src.path, skipped=True)
    try:
        with warnings.catch_warnings():
            # symtable compiles the file again: with warnings as errors (-W error), an invalid escape
            # sequence would become a SyntaxError, and from Python 3.12 it prints a SyntaxWarning.
            warnings.simplefilter("ignore")
            src.tree  # noqa: B018 - parse once, here
            summary = summarize(src, module, is_package)
            findings = [f for family in FAMILIES if hasattr(family, "check") for f in family.check(src)]
    except AsyncmendError as exc:
        return _Analysis(src.path, error=str(exc))
    except RecursionError:
        return _Analysis(src.path, error="cannot analyse: too deeply nested")
    except SyntaxError as exc:  # from symtable: parses, yet the compiler rejects it
        where = f" (line {exc.lineno})" if exc.lineno else ""
        return _Analysis(src.path, error=f"cannot compile: {exc.msg}{where}")
    except Exception as exc:  # a bug must cost one file, not the run
        return _Analysis(src.path, error=_internal(exc))
    return _Analysis(src.path, summary, findings, suppressions(src.text), digest=src.digest)


def _analyze_path(job: tuple[str, Settings]) -> _Analysis:
    path, settings = job
    try:
        src = SourceFile.read(path)
    except AsyncmendError as exc:
        return _Analysis(path, error=str(exc))
    module, is_package = module_name(path)
    return analyze_source(src, module, is_package, settings)


def _leave_sigint_to_parent() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _map(fn: Callable[[T], R], items: list[T], jobs: int, max_chunk: int = 64) -> list[R]:
    """``map`` over worker processes when it pays, in order.

    Ctrl-C reaches only the parent (workers ignore SIGINT): it cancels the work not yet started and
    waits for the items being processed, so a file being written is finished, never cut in half.
    """
    if jobs <= 1 or len(items) < 2 * jobs:
        return [fn(item) for item in items]
    chunk = max(1, min(max_chunk, len(items) // (jobs * 8)))
    pool = ProcessPoolExecutor(max_workers=jobs, initializer=_leave_sigint_to_parent)
    try:
        return list(pool.map(fn, items, chunksize=chunk))
    except BrokenProcessPool:
        raise AsyncmendError(
            f"{INTERNAL_ERROR}: a worker process died (a crash in native code?); files already fixed "
            "keep their fixes; run with -j 1 to see which file"
        ) from None
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True)


def _jobs(settings: Settings) -> int:
    return settings.jobs or os.cpu_count() or 1


def _filter(analysis: _Analysis, found: Iterable[Finding], settings: Settings) -> list[Finding]:
    enabled = enabled_rules(settings, ALL_RULES, analysis.path)
    kept = [
        f for f in found if f.rule in enabled and not is_suppressed(f.line, f.rule, analysis.noqa)
    ]
    return sorted(kept, key=lambda f: (f.line, f.col, f.rule))


def analyze(paths: list[str], settings: Settings, stdin_text: str | None = None) -> tuple[
    list[_Analysis], ProjectIndex
]:
    files, problems = discover([p for p in paths if p != STDIN], settings.exclude)
    jobs = _jobs(settings)
    analyses = _map(_analyze_path, [(path, settings) for path in files], jobs)
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


def check(paths: list[str], settings: Settings, stdin_text: str | None = None) -> RunResult:
    analyses, index = analyze(paths, settings, stdin_text)
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
    import libcst as cst
    from libcst.codemod import CodemodContext
    from libcst.codemod.visitors import AddImportsVisitor

    from .locate import Locator

    try:
        module = cst.parse_module(src.text)
    except cst.ParserSyntaxError as exc:
        raise AsyncmendError(f"cannot rewrite: LibCST cannot parse this file: {exc.message}") from None
    if module.code != src.text:
        # LibCST 1.9 drops indented comment lines at the end of a module after a top-level simple
        # statement ("x\n    # a\n    # b\n" comes back as "x\n    # b\n"): never rewrite what
        # does not round-trip.
        raise AsyncmendError("cannot rewrite: LibCST does not reproduce this file exactly; not fixed")
    locate = Locator(module)
    context = CodemodContext(filename=src.path)
    for family in FAMILIES:
        codes = {rule.code for rule in family.RULES}
        mine = [f for f in findings if f.rule in codes]
        if mine:
            module = family.rewrite(module, mine, locate, context)
    if context.scratch.get(AddImportsVisitor.CONTEXT_KEY):
        module = AddImportsVisitor(context).transform_module(module)
    new = module.code
    # The output must compile whenever the input did (an ``await`` put into a plain ``def`` parses but
    # does not compile), and must at least parse otherwise.
    problem = compile_error(new, src.path)
    if problem is not None and compile_error(src.text, src.path) is None:
        raise AsyncmendError(f"{INTERNAL_ERROR}: the fixed code does not compile ({problem}); not written")
    try:
        parse_ast(new, src.path)
    except AsyncmendError as exc:
        raise AsyncmendError(f"{INTERNAL_ERROR}: the fixed code does not parse ({exc}); not written")
    return new


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
    except Exception as exc:  # a bug in a rewriter must cost one file, not the run
        result.error = _internal(exc)
        result.new = None
    return result


def fix(paths: list[str], settings: Settings, write: bool, stdin_text: str | None = None) -> RunResult:
    """Apply (or, with ``write=False``, only compute) the fixes; unsafe ones only when enabled."""
    analyses, index = analyze(paths, settings, stdin_text)
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
    # One file per task: on Ctrl-C at most one file per worker is still to be finished.
    done.extend(_map(_fix_one, jobs, _jobs(settings), max_chunk=1))
    return RunResult(sorted(done, key=lambda r: r.path))


def fix_source(text: str, settings: Settings | None = None, path: str = STDIN) -> FileResult:
    """Fix one source string (as if it were the only file of its project)."""
    settings = settings or Settings()
    result = fix([], settings, write=False, stdin_text=text).files[0]
    result.path = path
    return result

