"""The Python API: check and fix sources or paths from a script, with the CLI's options.

Every function takes the options of ``asyncmend check`` / ``asyncmend fix`` as keywords, each ``None``
meaning "as configured": ``select``, ``ignore`` (rule codes, prefixes or names), ``unsafe_fixes``,
``unawaited_fix`` (``"await"`` or ``"task"``) and, over paths, ``exclude`` (glob patterns, added to
the configured ones), ``include_generated`` and ``jobs``. Settings come from ``config`` (an
``asyncmend.toml``, or a pyproject.toml's ``[tool.asyncmend]`` table); when ``config`` is ``None`` the
closest such file at or above ``project_root`` (or the current folder) is read, and ``config=False``
reads none.

``project_root`` names the folder whose Python files make the project index, the cross-file knowledge
of which names are coroutine functions. Without it, the index is made of the paths given (as on the
command line) or, for a source string, of that source alone.

Bad input (a source that does not parse, an unknown rule code, a bad configuration) raises
:class:`AsyncmendError`; no LibCST exception escapes. Functions over paths report a file that cannot
be read, parsed or fixed in its :attr:`FileResult.error` and go on with the others.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Literal, Union

from asyncmend.codemods.registry import ALL_RULES

from . import engine
from .config import Settings, find_config, resolve_settings
from .discover import discover
from .model import AsyncmendError, Finding, Rule
from .report import unified_diff
from .source import SourceFile
from .workspace import Workspace

StrPath = Union[str, "os.PathLike[str]"]
Config = Union[StrPath, None, Literal[False]]


@dataclass(frozen=True)
class FileResult:
    """What happened to one file (or source string).

    ``findings`` are the problems left (all of them for a check); ``fixed`` the ones a fix removed.
    ``old_text`` is the text read and ``new_text`` the text after the fixes (equal when nothing
    changed; both ``None`` for a check or when ``error`` says why the file could not be processed).
    """

    path: str
    findings: tuple[Finding, ...] = ()
    fixed: tuple[Finding, ...] = ()
    old_text: str | None = None
    new_text: str | None = None
    unsafe_held: int = 0
    error: str | None = None

    @property
    def changed(self) -> bool:
        return self.new_text is not None and self.new_text != self.old_text

    @property
    def diff(self) -> str:
        """A unified diff from ``old_text`` to ``new_text``; empty when nothing changed."""
        if not self.changed:
            return ""
        return unified_diff(self.path, self.old_text or "", self.new_text or "")


def rules() -> tuple[Rule, ...]:
    """Every rule, with its code, name, fix safety and documentation."""
    return ALL_RULES


Selectors = Union[str, Iterable[str], None]


def check_source(
    source: str | bytes, *, path: str | None = None, select: Selectors = None, ignore: Selectors = None,
    unawaited_fix: str | None = None, project_root: StrPath | None = None, config: Config = None,
) -> list[Finding]:
    """The findings in one source string; ``path`` is the file name it is reported under."""
    options = {"select": select, "ignore": ignore, "unawaited_fix": unawaited_fix}
    return list(_one(source, path, project_root, config, options, fix=False).findings)


def fix_source(
    source: str | bytes, *, path: str | None = None, select: Selectors = None, ignore: Selectors = None,
    unsafe_fixes: bool | None = None, unawaited_fix: str | None = None, project_root: StrPath | None = None,
    config: Config = None,
) -> FileResult:
    """Fix one source string; nothing is written. ``new_text`` holds the fixed source."""
    options = {"select": select, "ignore": ignore, "unsafe_fixes": unsafe_fixes, "unawaited_fix": unawaited_fix}
    return _one(source, path, project_root, config, options, fix=True)


def check_paths(
    paths: StrPath | Iterable[StrPath], *, select: Selectors = None, ignore: Selectors = None,
    exclude: Selectors = None, unawaited_fix: str | None = None, include_generated: bool | None = None,
    jobs: int | None = None, project_root: StrPath | None = None, config: Config = None,
) -> list[FileResult]:
    """Check files and folders (``*.py`` under them); one result per file, sorted by path."""
    options = {"select": select, "ignore": ignore, "exclude": exclude, "unawaited_fix": unawaited_fix,
               "include_generated": include_generated, "jobs": jobs}
    return _many(paths, project_root, config, options, fix=False, write=False)


def fix_paths(
    paths: StrPath | Iterable[StrPath], *, write: bool = True, select: Selectors = None,
    ignore: Selectors = None, exclude: Selectors = None, unsafe_fixes: bool | None = None,
    unawaited_fix: str | None = None, include_generated: bool | None = None, jobs: int | None = None,
    project_root: StrPath | None = None, config: Config = None,
) -> list[FileResult]:
    """Fix files and folders in place (or, with ``write=False``, only compute the new texts)."""
    options = {"select": select, "ignore": ignore, "exclude": exclude, "unsafe_fixes": unsafe_fixes,
               "unawaited_fix": unawaited_fix, "include_generated": include_generated, "jobs": jobs}
    return _many(paths, project_root, config, options, fix=True, write=write)


def _settings(config: Config, project_root: StrPath | None, options: dict) -> Settings:
    for key in ("select", "ignore", "exclude"):
        value = options.get(key)
        if isinstance(value, str):
            options[key] = (value,)
        elif value is not None:
            options[key] = tuple(value)
    if config is False:
        path = None
    elif config is None:
        path = find_config(os.fspath(project_root) if project_root is not None else None)
    else:
        path = Path(config)
    # ``exclude`` adds to the configured patterns here, as it always has in this API.
    options["extend_exclude"] = options.pop("exclude", None)
    return resolve_settings(path, **options)


def _public(result: "engine.FileResult", fix: bool) -> FileResult:
    return FileResult(
        path=result.path,
        findings=tuple(result.findings),
        fixed=tuple(result.fixed),
        old_text=result.old if fix and result.error is None else None,
        new_text=result.new if fix and result.error is None else None,
        unsafe_held=result.unsafe_held,
        error=result.error,
    )


def _one(source, path, project_root, config, options, fix: bool) -> FileResult:
    settings = _settings(config, project_root, dict(options))
    name = os.fspath(path) if path is not None else "<string>"
    if isinstance(source, str):
        src = SourceFile(name, source.encode("utf-8", "surrogatepass"), source, "utf-8", False)
    elif isinstance(source, (bytes, bytearray)):
        src = SourceFile.from_bytes(name, bytes(source))
    else:
        raise AsyncmendError(f"source must be str or bytes, not {type(source).__name__}")
    with _no_library_errors():
        workspace = Workspace(settings, [os.fspath(project_root)] if project_root is not None else [])
        result = workspace.fix(src) if fix else workspace.analyse(src)
    if result.error:
        raise AsyncmendError(f"{name}: {result.error}")
    return _public(result, fix)


def _many(paths, project_root, config, options, fix: bool, write: bool) -> list[FileResult]:
    given = [os.fspath(paths)] if isinstance(paths, (str, os.PathLike)) else [os.fspath(p) for p in paths]
    settings = _settings(config, project_root, dict(options))
    with _no_library_errors():
        if project_root is None:
            run = engine.fix(given, settings, write) if fix else engine.check(given, settings)
            return [_public(r, fix) for r in run.files]
        workspace = Workspace(settings, [os.fspath(project_root)])
        files, problems = discover(given, settings=settings)
        results = [engine.FileResult(path, error=message) for path, message in problems]
        for path in files:
            try:
                src = SourceFile.read(path)
            except AsyncmendError as exc:
                results.append(engine.FileResult(path, error=str(exc)))
                continue
            results.append(workspace.fix(src, write) if fix else workspace.analyse(src))
    return [_public(r, fix) for r in sorted(results, key=lambda r: r.path)]


@contextmanager
def _no_library_errors() -> Iterator[None]:
    """Turn an exception from inside LibCST (a rewrite gone wrong) into an AsyncmendError."""
    try:
        yield
    except Exception as exc:
        if isinstance(exc, AsyncmendError) or not type(exc).__module__.startswith("libcst"):
            raise
        raise AsyncmendError(f"internal error while rewriting: {type(exc).__name__}: {exc}") from exc
