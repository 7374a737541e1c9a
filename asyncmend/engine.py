"""The engine: discover files, analyse them in parallel, resolve, report and rewrite.

Map: each file is read and parsed once with ``ast`` in a worker, giving a small summary and the
findings that need nothing but the file. Reduce: the summaries make one project index in this process,
which decides the cross-file findings. Rewrite: only files with fixes to apply are parsed with LibCST,
again in workers; a file LibCST does not reproduce exactly is left alone, and an output that does not
compile (when the input did) is never written. A failure in one file is reported for that file and
the run goes on; docs/robustness.md lists what is guaranteed and how it is tested.
"""
from __future__ import annotations

import gc
import json
import os
import signal
import traceback
import warnings
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, ContextManager, Iterable, TypeVar

from asyncmend.codemods.external import ExternalResolver
from asyncmend.codemods.family import Family
from asyncmend.codemods.index import ProjectIndex
from asyncmend.codemods.registry import ALL_RULES, FAMILIES
from asyncmend.codemods.summary import ModuleSummary, summarize, summary_from_json, summary_to_json

from .cache import AnalysisCache
from .config import Settings, enabled_rules
from .discover import discover, excluded_explicitly, module_name, namespace_name, project_root
from .model import AsyncmendError, Finding
from .source import SourceFile, compile_error, content_digest, parse_ast, write_atomic
from .suppress import Directive, directives, is_suppressed, suppressions
from .suppress import add_noqa as with_noqa

GENERATED_MARKER = "@generated"
INTERNAL_ERROR = "internal error"
CACHE_DIR = ".asyncmend_cache"
INDEX_FORMAT = "asyncmend-index-1"
STDIN = "-"

# A progress display: called with a label and a total, gives a context manager whose value (if not
# None) has ``update(n)``; click.progressbar fits.
Progress = Callable[[str, int], ContextManager[Any]]

# The rules judged after a file's other findings (AM001): never given a ``noqa`` of their own.
JUDGED = frozenset(code for family in FAMILIES if family.judge is not None for code in family.codes)

# A family that keeps positions (edits only comments) rewrites first; the rest in the registry's order.
REWRITE_ORDER = tuple(sorted(FAMILIES, key=lambda family: not family.keeps_positions))

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
    unsafe_fixes: bool = False  # whether this file's settings apply unsafe fixes
    stdin: bool = False  # the text came from standard input (``path`` is its --stdin-filename or "-")

    def applies(self, finding: Finding) -> bool:
        """Whether ``fix`` applies this finding's fix (what ``[*]`` marks)."""
        return finding.fix is not None and (finding.fix.safety == "safe" or self.unsafe_fixes)

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
    directives: list[Directive] = field(default_factory=list)  # those that name codes (for AM001)
    error: str | None = None
    skipped: bool = False
    digest: str = ""
    source: SourceFile | None = None  # kept only for standard input
    stdin: bool = False
    legacy: bool = False  # read with the Python 3.6 grammar: reported, never rewritten


def _internal(exc: BaseException) -> str:
    """A one-line report of a bug, naming where it happened, for a file that could not be processed."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {os.path.basename(frames[-1].filename)}:{frames[-1].lineno}" if frames else ""
    return f"{INTERNAL_ERROR}: {type(exc).__name__}: {exc}{where}; please report it"


def _is_generated(text: str) -> bool:
    head = text[:4096].splitlines()[:10]
    return any(GENERATED_MARKER in line for line in head)


def analyze_source(
    src: SourceFile, module: str, is_package: bool, settings: Settings, index_only: bool = False
) -> _Analysis:
    # The cyclic collector would run hundreds of times while a large tree is built and walked; one
    # young-generation collection afterwards frees the same garbage (measured: a third of the time).
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _analyze_source(src, module, is_package, settings, index_only)
    finally:
        if enabled:
            gc.enable()
            gc.collect(0)


def _analyze_source(
    src: SourceFile, module: str, is_package: bool, settings: Settings, index_only: bool
) -> _Analysis:
    if not settings.include_generated and _is_generated(src.text):
        return _Analysis(src.path, skipped=True)
    try:
        with warnings.catch_warnings():
            # Parsing warns of an invalid escape sequence: from Python 3.12 a SyntaxWarning printed
            # into our output, and with warnings as errors (-W error) a SyntaxError.
            warnings.simplefilter("ignore")
            src.tree  # noqa: B018 - parse once, here
            summary = summarize(src, module, is_package, with_calls=not index_only)
            if index_only:
                return _Analysis(src.path, summary, skipped=True)
            findings = [f for family in FAMILIES if family.check is not None for f in family.check(src)]
    except AsyncmendError as exc:
        return _Analysis(src.path, error=str(exc))
    except RecursionError:
        return _Analysis(src.path, error="cannot analyse: too deeply nested")
    except SyntaxError as exc:  # from the summary: parses, yet the compiler rejects it
        where = f" (line {exc.lineno})" if exc.lineno else ""
        return _Analysis(src.path, error=f"cannot compile: {exc.msg}{where}")
    except Exception as exc:  # a bug must cost one file, not the run
        return _Analysis(src.path, error=_internal(exc))
    found = directives(src.text)
    return _Analysis(
        src.path, summary, findings, suppressions(src.text, found), [d for d in found if d.codes],
        digest=src.digest, legacy=src.legacy,
    )


def _analyze_bytes(job: tuple[str, bytes, Settings, bool]) -> _Analysis:
    path, raw, settings, index_only = job
    settings = settings.for_path(path)
    try:
        src = SourceFile.from_bytes(path, raw)
    except AsyncmendError as exc:
        return _Analysis(path, error=str(exc), skipped=index_only)
    module, is_package = module_name(path)
    return analyze_source(src, module, is_package, settings, index_only)


def _run_jobs(
    jobs: list[tuple[str, bool]], settings: Settings, cache: AnalysisCache | None, progress: Progress | None = None
) -> list[_Analysis]:
    """Analyse (path, index_only) jobs: read here, take what the cache has, parse the rest in workers."""
    results: list[_Analysis | None] = [None] * len(jobs)
    todo = []
    for i, (path, index_only) in enumerate(jobs):
        # A file's own configuration may say whether generated files are skipped: part of the key.
        key = (path, index_only, settings.for_path(path).include_generated)
        try:
            st = os.stat(path)
            hit = cache.unchanged(key, st) if cache is not None else None
            if hit is not None:  # same size, mtime and inode as when it was analysed: not read again
                results[i] = hit
                continue
            with open(path, "rb") as f:
                raw = f.read()
        except OSError as exc:
            results[i] = _Analysis(path, error=f"cannot read: {exc.strerror or exc}", skipped=index_only)
            continue
        digest = content_digest(raw)
        if index_only and not _may_define_coroutines(raw, path):
            results[i] = _Analysis(path, skipped=True)
            if cache is not None:
                cache.put(key, digest, results[i], st)
            continue
        hit = cache.get(key, digest) if cache is not None else None
        if hit is not None:  # touched, not changed
            results[i] = hit
            cache.put(key, digest, hit, st)
        else:
            todo.append((i, digest, key, st, (path, raw, settings, index_only)))
    done = _map(_analyze_bytes, [job for *_, job in todo], _jobs(settings), progress, "Checking")
    for (i, digest, key, st, _), analysis in zip(todo, done):
        results[i] = analysis
        if cache is not None:
            cache.put(key, digest, analysis, st)
    return results


def open_cache(settings: Settings, files: list[str]) -> AnalysisCache | None:
    if not settings.cache:
        return None
    folder = Path(settings.cache_dir) if settings.cache_dir else project_root(files[0] if files else ".") / CACHE_DIR
    return AnalysisCache(folder, f"{settings.include_generated}")


def shard_of(files: list[str], shard: tuple[int, int]) -> list[str]:
    """The K-th of N deterministic shares of the (sorted) files."""
    k, n = shard
    return [f for i, f in enumerate(sorted(files)) if i % n == k - 1]


def load_index_file(path: str) -> tuple[list[ModuleSummary], list[ModuleSummary]]:
    """The summaries of the files under the paths the index was written for, and of the rest."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        if data.get("format") != INDEX_FORMAT:
            raise AsyncmendError(f"{path}: not an asyncmend index (format {INDEX_FORMAT})")
        primary = [summary_from_json(item) for item in data["modules"] if item.get("primary")]
        rest = [summary_from_json(item) for item in data["modules"] if not item.get("primary")]
        return primary, rest
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise AsyncmendError(f"{path}: cannot read the index: {exc}") from None


def write_index(paths: list[str], settings: Settings, output: str) -> int:
    """Summaries of every file of the projects under ``paths`` (for ``--index`` in shards)."""
    files, analyses = _index_analyses(paths, settings)
    given = set(files)
    modules = [
        {**summary_to_json(a.summary), "primary": a.path in given} for a in analyses if a.summary is not None
    ]
    data = json.dumps({"format": INDEX_FORMAT, "modules": modules}, sort_keys=True)
    try:
        Path(output).write_text(data, encoding="utf-8")
    except OSError as exc:
        raise AsyncmendError(f"{output}: cannot write the index: {exc.strerror or exc}") from None
    return len(modules)


def build_index(paths: list[str], settings: Settings) -> ProjectIndex:
    """The project index alone, from every file of the projects under ``paths`` read for the index
    only (through the cache): what a caller that then checks one file at a time needs (the editor)."""
    files, analyses = _index_analyses(paths, settings)
    given = set(files)
    return _make_index(
        [a.summary for a in analyses if a.summary is not None and a.path in given],
        [a.summary for a in analyses if a.summary is not None and a.path not in given],
        settings, paths, files,
    )


def _index_analyses(paths: list[str], settings: Settings) -> tuple[list[str], list[_Analysis]]:
    """The files under ``paths``, and the index-only analyses of those and the rest of their projects."""
    files, _ = discover(paths, settings=settings)
    everything = sorted({*files, *_project_files(files, paths, settings)})
    cache = open_cache(settings, files)
    analyses = _run_jobs([(f, True) for f in everything], settings, cache)
    if cache is not None:
        cache.save()
    return files, analyses


def _make_index(primary: list[ModuleSummary], rest: list[ModuleSummary], settings: Settings,
                paths: list[str], files: list[str]) -> ProjectIndex:
    """The files being checked (under ``paths``: ``files``) say what a module name is; the rest of the
    project only fills in."""
    index = ProjectIndex(primary, external=ExternalResolver(settings.python))
    for summary in rest:
        index.add(summary, fallback=True)
    # Folders that count as a project root when no marker is found: those given, and the folder of
    # each file given (as ``project_root`` takes it).
    given_dirs = [os.path.abspath(p) for p in paths if p != STDIN and os.path.isdir(p)]
    given_dirs += sorted({str(project_root(f)) for f in files})
    for summary in [*primary, *rest]:
        name = namespace_name(summary.path, given_dirs)
        if name is not None and name != summary.module:
            index.alias(name, summary)
    return index


def _may_define_coroutines(raw: bytes, path: str) -> bool:
    """Byte-level check for files read only for the index: a module with no ``async`` and no
    ``Coroutine`` defines no coroutine function; packages' ``__init__`` may still re-export one."""
    return b"async" in raw or b"Coroutine" in raw or os.path.basename(path) == "__init__.py"


def _project_files(files: list[str], paths: list[str], settings: Settings) -> list[str]:
    """The other files of the projects the given files belong to, for the index.

    A project inside a folder that was given is not walked again: all its files are given already.
    """
    walked = [Path(p).resolve() for p in paths if os.path.isdir(p)]
    seen = {os.path.abspath(f) for f in files}
    extra = []
    for root in sorted({project_root(f) for f in files}):
        if any(root == top or top in root.parents for top in walked):
            continue
        for f in discover([str(root)], settings=settings, skip_bad_config=True)[0]:
            real = os.path.abspath(f)
            if real not in seen:
                seen.add(real)
                extra.append(f)
    return extra


def _leave_sigint_to_parent() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _map(fn: Callable[[T], R], items: list[T], jobs: int, progress: Progress | None = None,
         label: str = "", max_chunk: int = 64) -> list[R]:
    """``map`` over worker processes when it pays, in order; ``progress`` hears of each item done.

    Ctrl-C reaches only the parent (workers ignore SIGINT): it cancels the work not yet started and
    waits for the items being processed, so a file being written is finished, never cut in half.
    """
    with progress(label, len(items)) if progress else nullcontext() as bar:
        if jobs <= 1 or len(items) < 2 * jobs:
            return [_tick(bar, fn(item)) for item in items]
        chunk = max(1, min(max_chunk, len(items) // (jobs * 8)))
        pool = ProcessPoolExecutor(max_workers=jobs, initializer=_leave_sigint_to_parent)
        try:
            return [_tick(bar, r) for r in pool.map(fn, items, chunksize=chunk)]
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


def _tick(bar, result: R) -> R:
    if bar is not None:
        bar.update(1)
    return result


def _jobs(settings: Settings) -> int:
    return settings.jobs or os.cpu_count() or 1


def _filter(analysis: _Analysis, found: Iterable[Finding], settings: Settings) -> list[Finding]:
    """The findings of enabled rules that no ``noqa`` silences, and (AM001) the ``noqa`` codes that
    silence nothing."""
    enabled = enabled_rules(settings, ALL_RULES, analysis.path)
    found = [f for f in found if f.rule in enabled]
    kept = [f for f in found if not is_suppressed(f.line, f.rule, analysis.noqa, f.name)]
    for family in FAMILIES:
        if family.judge is not None and family.codes & enabled and analysis.directives:
            text = analysis.source.text if analysis.source is not None else None
            kept += family.judge(analysis.path, analysis.directives, text, found, enabled, ALL_RULES)
    return sorted(kept, key=lambda f: (f.line, f.col, f.rule))


def analyze(paths: list[str], settings: Settings, stdin_text: str | None = None,
            progress: Progress | None = None, stdin_path: str = STDIN) -> tuple[list[_Analysis], ProjectIndex]:
    """``stdin_path`` (``--stdin-filename``) is where standard input's text belongs: its module name,
    its settings and the project whose files are indexed with it; the file there is not read."""
    files, problems = discover([p for p in paths if p != STDIN], settings=settings)
    in_place = os.path.abspath(stdin_path) if stdin_text is not None and stdin_path != STDIN else None
    if in_place is not None:
        files = [f for f in files if os.path.abspath(f) != in_place]
    mine = shard_of(files, settings.shard) if settings.shard else files
    loaded = load_index_file(settings.index_file) if settings.index_file else ([], [])
    jobs = [(path, False) for path in mine]
    if not settings.index_file:
        chosen = set(mine)
        jobs += [(path, True) for path in files if path not in chosen]
        anchors = files + ([stdin_path] if in_place is not None else [])
        jobs += [(path, True) for path in _project_files(anchors, paths, settings) if os.path.abspath(path) != in_place]
    cache = open_cache(settings, files)
    analyses = _run_jobs(jobs, settings, cache, progress)
    analyses.extend(_Analysis(path, error=message) for path, message in problems)
    if stdin_text is not None:
        src = SourceFile(stdin_path, stdin_text.encode("utf-8"), stdin_text, "utf-8", False)
        if in_place is None:
            analysis = analyze_source(src, "__main__", False, settings)
        elif excluded_explicitly(stdin_path, settings):
            analysis = _Analysis(stdin_path)  # --force-exclude: passed through untouched
        else:
            analysis = analyze_source(src, *module_name(stdin_path), settings.for_path(stdin_path))
        analysis.source, analysis.stdin = src, True
        analyses.append(analysis)
    given = set(files)
    index = _make_index(
        [*(a.summary for a in analyses if a.summary is not None and a.path in given), *loaded[0]],
        [*(a.summary for a in analyses if a.summary is not None and a.path not in given), *loaded[1]],
        settings, paths, files,
    )
    if cache is not None:
        cache.save()
    return [a for a in analyses if not a.skipped], index


def _findings(analysis: _Analysis, index: ProjectIndex, settings: Settings) -> list[Finding]:
    if analysis.summary is None:
        return []
    settings = settings.for_path(analysis.path)
    found = [*analysis.findings]
    for family in FAMILIES:
        if family.resolve is not None:
            found += family.resolve(analysis.summary, index, settings)
    if analysis.legacy:
        found = [_without_fix(f, LEGACY_NO_FIX) if f.fix is not None else f for f in found]
    return _filter(analysis, found, settings)


LEGACY_NO_FIX = (
    "no fix: this file uses `async` or `await` as names (Python 3.6 syntax), which the rewriter "
    "(LibCST) cannot parse"
)


def _without_fix(finding: Finding, why: str) -> Finding:
    return replace(finding, message=f"{finding.message}; {why}", fix=None)


def check(paths: list[str], settings: Settings, stdin_text: str | None = None,
          progress: Progress | None = None, stdin_path: str = STDIN) -> RunResult:
    analyses, index = analyze(paths, settings, stdin_text, progress, stdin_path)
    results = [_result(a, index, settings) for a in analyses]
    return RunResult(sorted(results, key=lambda r: r.path))


def _result(a: _Analysis, index: ProjectIndex, settings: Settings) -> FileResult:
    return FileResult(
        a.path, _findings(a, index, settings), a.error,
        unsafe_fixes=settings.for_path(a.path).unsafe_fixes, stdin=a.stdin,
    )


def _applicable(result: FileResult) -> tuple[list[Finding], int]:
    fixable = [f for f in result.findings if f.fix is not None]
    chosen = [f for f in fixable if result.applies(f)]
    return chosen, len(fixable) - len(chosen)


def apply_fixes(src: SourceFile, findings: list[Finding]) -> str:
    """Rewrite ``src`` with the fix plans of ``findings``; the result is checked to parse."""
    return apply_fixes_each(src, [findings])[0]


def apply_fixes_each(src: SourceFile, groups: list[list[Finding]]) -> list[str]:
    """``apply_fixes`` for each group of findings on its own, parsing ``src`` with LibCST once."""
    original = _parse_cst(src.text)
    compiled = compile_error(src.text, src.path) is None
    texts = []
    for findings in groups:
        new = _rewrite(src, original, findings)
        # The output must compile whenever the input did (an ``await`` put into a plain ``def``
        # parses but does not compile), and must at least parse otherwise.
        problem = compile_error(new, src.path) if compiled else None
        if problem is not None:
            raise AsyncmendError(f"{INTERNAL_ERROR}: the fixed code does not compile ({problem}); not written")
        try:
            parse_ast(new, src.path)
        except AsyncmendError as exc:
            raise AsyncmendError(f"{INTERNAL_ERROR}: the fixed code does not parse ({exc}); not written") from None
        texts.append(new)
    return texts


# LibCST is imported inside the functions that rewrite: a run that only checks never loads it (its
# import alone takes about 0.85 s).
def _parse_cst(text: str):
    import libcst as cst

    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        raise AsyncmendError(f"cannot rewrite: LibCST cannot parse this file: {exc.message}") from None
    if module.code != text:
        # LibCST 1.9 drops indented comment lines at the end of a module after a top-level simple
        # statement ("x\n    # a\n    # b\n" comes back as "x\n    # b\n"): never rewrite what
        # does not round-trip.
        raise AsyncmendError("cannot rewrite: LibCST does not reproduce this file exactly; not fixed")
    return module


def _rewrite(src: SourceFile, original, findings: list[Finding]) -> str:
    """Each family in turn rewrites the text the previous one left.

    A LibCST transform rebuilds every node, so a family's targets are located in a module parsed from
    the text it is given. Positions from the analysis hold for the original text only: a family that
    comes after a change finds its mistakes again in the new text (those with a ``check`` can), keeping
    those of the rules, fix safeties and lines (``noqa``) that were chosen in the first place. A family
    that edits only comments (``keeps_positions``, AM001's) moves no code, so the positions still hold.
    """
    from libcst.codemod import CodemodContext
    from libcst.codemod.visitors import AddImportsVisitor

    from .locate import Locator

    context = CodemodContext(filename=src.path)
    module, text = original, src.text
    moved = False  # whether code has moved since the analysis
    for family in REWRITE_ORDER:
        mine = [f for f in findings if f.rule in family.codes]
        if not mine:
            continue
        if moved:
            if family.check is None:
                continue  # not found again here; the next run fixes it
            mine = _found_again(family, SourceFile(src.path, src.raw, text, src.encoding, src.bom), mine)
            if not mine:
                continue
            module = _parse_cst(text)
        module = family.rewrite(module, mine, Locator(module), context)
        moved = moved or (module.code != text and not family.keeps_positions)
        text = module.code
    if context.scratch.get(AddImportsVisitor.CONTEXT_KEY):
        module = AddImportsVisitor(context).transform_module(module)
        text = module.code
    return text


def _found_again(family: Family, src: SourceFile, chosen: list[Finding]) -> list[Finding]:
    rules = {f.rule for f in chosen}
    safeties = {f.fix.safety for f in chosen if f.fix is not None}
    table = suppressions(src.text)
    return [
        f for f in family.check(src)
        if f.rule in rules and f.fix is not None and f.fix.safety in safeties
        and not is_suppressed(f.line, f.rule, table, f.name)
    ]


def _fix_one(job: tuple[FileResult, str, Settings, bool, SourceFile | None]) -> FileResult:
    result, digest, settings, write, src = job
    try:
        if src is None:
            src = SourceFile.read(result.path)
            if src.digest != digest:
                raise AsyncmendError("file changed on disk while it was being checked; not fixed")
        chosen, held = _applicable(result)
        result.unsafe_held = held
        result.old = src.text
        new = apply_fixes(src, chosen) if chosen else src.text
        if new != src.text and write and not result.stdin:
            write_atomic(src, new)  # raises, and nothing counts as fixed, when it cannot write
        result.new = new
        if new != src.text:
            result.fixed = chosen
            result.findings = [f for f in result.findings if f not in chosen]
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


def fix(paths: list[str], settings: Settings, write: bool, stdin_text: str | None = None,
        progress: Progress | None = None, stdin_path: str = STDIN) -> RunResult:
    """Apply (or, with ``write=False``, only compute) the fixes; unsafe ones only when enabled."""
    analyses, index = analyze(paths, settings, stdin_text, progress, stdin_path)
    done: list[FileResult] = []
    jobs = []
    for a in analyses:
        result = _result(a, index, settings)
        if result.error is None and any(f.fix for f in result.findings):
            jobs.append((result, a.digest, settings, write, a.source))
        else:
            done.append(result)
    # One file per task: on Ctrl-C at most one file per worker is still to be finished.
    done.extend(_map(_fix_one, jobs, _jobs(settings), progress, "Fixing", max_chunk=1))
    return RunResult(sorted(done, key=lambda r: r.path))


def add_noqa(paths: list[str], settings: Settings, progress: Progress | None = None) -> tuple[int, RunResult]:
    """Add ``# noqa: CODE`` to every line with a finding (``check --add-noqa``); how many lines changed."""
    run = check(paths, settings, progress=progress)
    count = 0
    for r in run.files:
        wanted: dict[int, list[str]] = {}
        for f in r.findings:
            if f.rule not in JUDGED:
                wanted.setdefault(f.line, []).append(f.rule)
        if not wanted or r.error:
            continue
        try:
            src = SourceFile.read(r.path)
            new, n = with_noqa(src.text, wanted)
            if n:
                write_atomic(src, new)
                count += n
        except AsyncmendError as exc:
            r.error = str(exc)
    return count, run


def fix_source(text: str, settings: Settings | None = None, path: str = STDIN) -> FileResult:
    """Fix one source string (as if it were the only file of its project)."""
    settings = settings or Settings()
    result = fix([], settings, write=False, stdin_text=text).files[0]
    result.path = path
    return result

