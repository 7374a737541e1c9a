"""Which files a run looks at, and what module each one is."""
from __future__ import annotations

import functools
import os
import re
import stat
from pathlib import Path

from .config import Settings
from .model import AsyncmendError


SKIP_DIRS = frozenset(
    {
        ".git", ".hg", ".svn", ".tox", ".nox", ".venv", "venv", ".eggs", "__pycache__", "build",
        "dist", "node_modules", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".asyncmend_cache",
        "site-packages",
    }
)

PROJECT_MARKERS = ("pyproject.toml", "asyncmend.toml", "setup.cfg", "setup.py", ".git")


class GitIgnore:
    """What the ``.gitignore`` files of a git repository (and ``.git/info/exclude``) leave out.

    As git reads them: each file's patterns are relative to its folder, a deeper file overrides a
    shallower one, and only files inside a git repository are affected.
    """

    def __init__(self) -> None:
        self._chains: dict[str, list] = {}

    def ignored(self, path: str | os.PathLike, is_dir: bool) -> bool:
        full = os.path.abspath(path)
        verdict = None
        for folder, (spec, any_ignore, negates) in self._chain(os.path.dirname(full)):
            rel = full[len(folder):].lstrip(os.sep).replace(os.sep, "/") + ("/" if is_dir else "")
            # One regex of all ignoring patterns first: most paths match none (pathspec would try each).
            if any_ignore.match(rel) is None and not (verdict and negates):
                continue
            include = spec.check_file(rel).include
            if include is not None:
                verdict = include
        return bool(verdict)

    def _chain(self, folder: str) -> list:
        """The compiled ignore files that apply in ``folder``, outermost first (empty outside git)."""
        chain = self._chains.get(folder)
        if chain is None:
            if os.path.exists(os.path.join(folder, ".git")):
                chain = _read_ignores(folder, [os.path.join(folder, ".git", "info", "exclude")])
            else:
                parent = os.path.dirname(folder)
                chain = [] if parent == folder else self._chain(parent)
                if chain or _git_root(Path(folder)) is not None:
                    chain = chain + _read_ignores(folder, [])
            self._chains[folder] = chain
        return chain


def _read_ignores(folder: str, extra: list[str]) -> list:
    lines: list[str] = []
    for source in [*extra, os.path.join(folder, ".gitignore")]:
        try:
            with open(source, encoding="utf-8", errors="replace") as f:
                lines += f.read().splitlines()
        except OSError:
            continue
    return [(folder, _compiled(lines))] if lines else []


def _compiled(lines: list[str]):
    """(spec, one regex matching where any ignoring pattern matches, whether any pattern negates)."""
    import pathspec  # here: a tree with no .gitignore never loads it (a third of a one-file run's imports)

    spec = pathspec.GitIgnoreSpec.from_lines(lines)
    ignoring = [p.regex.pattern.replace("(?P<ps_d>", "(?:") for p in spec.patterns if p.include and p.regex]
    any_ignore = re.compile("|".join(f"(?:{r})" for r in ignoring) if ignoring else r"(?!)")
    return spec, any_ignore, any(p.include is False for p in spec.patterns)


@functools.lru_cache(maxsize=4096)
def _git_root(folder: Path) -> Path | None:
    if (folder / ".git").exists():
        return folder
    return None if folder.parent == folder else _git_root(folder.parent)


def _is_venv(folder: Path) -> bool:
    return (folder / "pyvenv.cfg").is_file()


def discover(
    paths: list[str], exclude: tuple[str, ...] = (), settings: Settings | None = None,
    skip_bad_config: bool = False,
) -> tuple[list[str], list[tuple[str, str]]]:
    """Return (files, errors): ``*.py`` files under ``paths`` sorted, and (path, message) problems.

    Each folder is judged by its own settings (``settings.for_path``): ``exclude`` and
    ``extend-exclude`` patterns and, with ``respect-gitignore``, the repository's ``.gitignore`` files.
    Directories are walked without following links that lead out of the folder being walked (or in a
    loop); a file named explicitly is taken whatever its name, unless ``force-exclude`` applies the
    exclusions to it too. A file reached by several paths (links) is taken once, so it is never
    rewritten twice. Broken links, link loops and ``.py`` names that are not regular files (a pipe would
    block the reader) are errors. A configuration that cannot be read raises AsyncmendError, or with
    ``skip_bad_config`` (a walk for the project index, of files nobody asked to check) leaves its folder out.
    """
    settings = settings if settings is not None else Settings(exclude=tuple(exclude))
    skip = _skipper(settings, skip_bad_config)
    files: dict[str, str] = {}  # real path -> the path it was found by
    errors: list[tuple[str, str]] = []

    def take(path: str, real: str | None = None) -> None:
        real = real or os.path.realpath(path)
        seen = files.get(real)
        # One file reached by several paths is processed once, preferably by a path that is no link.
        if seen is None or (os.path.islink(seen) and not os.path.islink(path)):
            files[real] = os.path.normpath(path)

    for given in paths:
        p = Path(given)
        kind = _kind(p)
        if kind in ("file", "dir") and _skipped_explicitly(p, settings, skip):
            continue
        if kind == "file":
            take(given)
        elif kind != "dir":
            errors.append((given, kind))
        else:
            _walk(p, skip, take, errors)
    return sorted(set(files.values())), sorted(errors)


def _skipper(settings: Settings, skip_bad_config: bool = False):
    """``skip(path, is_dir)``: whether a walk leaves ``path`` out, judged by its folder's settings."""
    gitignore = GitIgnore()

    def skip(path: Path, is_dir: bool) -> bool:
        try:
            here = settings.for_path(path if is_dir else path.parent)
        except AsyncmendError:
            if skip_bad_config:
                return True
            raise
        return here.excluded(path) or (here.respect_gitignore and gitignore.ignored(path, is_dir))

    return skip


def excluded_explicitly(path: str, settings: Settings) -> bool:
    """Whether ``force-exclude`` leaves out ``path`` although it is named on the command line (or is
    standard input's ``--stdin-filename``)."""
    return _skipped_explicitly(Path(path), settings, _skipper(settings))


def _skipped_explicitly(p: Path, settings: Settings, skip) -> bool:
    """With ``force-exclude``, a path named explicitly is left out when it, or a folder it is in below
    its configuration's folder, would be left out by a walk."""
    full = Path(os.path.abspath(p))
    here = settings.for_path(full)
    if not here.force_exclude:
        return False
    if skip(full, full.is_dir()):
        return True
    root = Path(here.root or os.getcwd())
    return any(
        folder.name in SKIP_DIRS or skip(folder, True) for folder in full.parents if root in folder.parents
    )


def _kind(p: Path) -> str:
    """"file", "dir", or why ``p`` cannot be processed."""
    try:
        st = p.stat()
    except FileNotFoundError:
        return "a broken symbolic link" if p.is_symlink() else "no such file or directory"
    except OSError as exc:  # ELOOP, EACCES, ENAMETOOLONG, ...
        return f"cannot open: {exc.strerror or exc}"
    if stat.S_ISDIR(st.st_mode):
        return "dir"
    if stat.S_ISREG(st.st_mode):
        return "file"
    return "not a regular file (a pipe, socket or device); skipped"


def _inside(path: Path, root: Path) -> bool:
    """Whether ``path`` resolves to ``root`` or below it; a link loop resolves nowhere."""
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return False
    return target == root or root in target.parents


def _walk(top: Path, skip, take, errors: list[tuple[str, str]]) -> None:
    root = top.resolve()
    for folder, dirnames, filenames in os.walk(top, followlinks=True):
        here = Path(folder)
        real = here.resolve()
        if real != root and root not in real.parents:
            dirnames[:] = []
            continue
        keep = []
        for d in sorted(dirnames):
            sub = here / d
            if d in SKIP_DIRS or d.endswith(".egg-info") or _is_venv(sub) or skip(sub, True):
                continue
            if sub.is_symlink():
                if not _inside(sub, root):
                    continue  # a link out of the tree, or a broken one
                target = sub.resolve()
                if target == real or target in real.parents:
                    continue  # a loop back to a folder being walked
            keep.append(d)
        dirnames[:] = keep
        for name in filenames:
            if not name.endswith(".py"):
                continue
            f = here / name
            if skip(f, False):
                continue
            kind = _kind(f)
            link = kind == "file" and f.is_symlink()
            if link and not _inside(f, root):
                continue  # a link out of the tree is not followed
            if kind == "file":
                take(str(f), None if link else os.path.join(real, name))
            else:
                errors.append((os.path.normpath(str(f)), kind))


def project_root(path: str) -> Path:
    """The nearest folder upward holding a project marker; a bare folder is its own project."""
    start = Path(path).resolve()
    folder = start if start.is_dir() else start.parent
    return _marked_root(folder) or folder


@functools.lru_cache(maxsize=4096)
def _marked_root(folder: Path) -> Path | None:
    if any((folder / marker).exists() for marker in PROJECT_MARKERS):
        return folder
    return None if folder.parent == folder else _marked_root(folder.parent)


def namespace_names(path: str, given_dirs: list[str]) -> list[str]:
    """The dotted names ``path`` is imported as when the folders between it and an import root are
    namespace packages (no ``__init__.py``, PEP 420): ``lib/helpers.py`` as ``lib.helpers``. The
    import roots are the project root (the folder of the nearest project marker upward or, without
    one, the outermost folder given) and its ``src/`` folder."""
    full = os.path.abspath(path)
    root = _marked_root(Path(full).parent)
    if root is None:
        root = next((Path(d) for d in sorted(given_dirs, key=len) if full.startswith(d.rstrip(os.sep) + os.sep)), None)
    if root is None:
        return []
    names = []
    for base in (root, root / "src"):
        if not full.startswith(str(base).rstrip(os.sep) + os.sep):
            continue
        parts = list(Path(full).relative_to(base).with_suffix("").parts)
        if parts and parts[-1] == "__init__":
            parts.pop()
        if len(parts) >= 2 and all(p.isidentifier() for p in parts):
            names.append(".".join(parts))
    return names


def module_name(path: str) -> tuple[str, bool]:
    """The dotted module name a file is imported as, judged by its ``__init__.py`` packages."""
    p = Path(os.path.abspath(path))
    is_package = p.name == "__init__.py"
    package = _package_of(str(p.parent))
    name = package if is_package else ".".join(x for x in (package, p.stem) if x)
    return name or p.stem, is_package


@functools.lru_cache(maxsize=4096)
def _package_of(folder: str) -> str:
    """The dotted package a folder is, or "" when it holds no ``__init__.py``."""
    if not os.path.isfile(os.path.join(folder, "__init__.py")):
        return ""
    parent = os.path.dirname(folder)
    if parent == folder:
        return ""
    outer = _package_of(parent)
    name = os.path.basename(folder)
    return f"{outer}.{name}" if outer else name
