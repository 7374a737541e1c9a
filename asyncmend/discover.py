"""Which files a run looks at, and what module each one is."""
from __future__ import annotations

import fnmatch
import functools
import os
import stat
from pathlib import Path


SKIP_DIRS = frozenset(
    {
        ".git", ".hg", ".svn", ".tox", ".nox", ".venv", "venv", ".eggs", "__pycache__", "build",
        "dist", "node_modules", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".asyncmend_cache",
        "site-packages",
    }
)

PROJECT_MARKERS = ("pyproject.toml", "setup.cfg", "setup.py", ".git")


def _excluded(path: Path, patterns: tuple[str, ...]) -> bool:
    text = path.as_posix()
    name = path.name
    return any(
        fnmatch.fnmatch(text, p) or fnmatch.fnmatch(name, p) or fnmatch.fnmatch(text, f"*/{p}")
        for p in patterns
    )


def _is_venv(folder: Path) -> bool:
    return (folder / "pyvenv.cfg").is_file()


def discover(paths: list[str], exclude: tuple[str, ...] = ()) -> tuple[list[str], list[tuple[str, str]]]:
    """Return (files, errors): ``*.py`` files under ``paths`` sorted, and (path, message) problems.

    Directories are walked without following links that lead out of the folder being walked (or in a
    loop); a file named explicitly is always taken, whatever its name or the exclude patterns. A file
    reached by several paths (links) is taken once, so it is never rewritten twice. Broken links, link
    loops and ``.py`` names that are not regular files (a pipe would block the reader) are errors.
    """
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
        if kind == "file":
            take(given)
        elif kind != "dir":
            errors.append((given, kind))
        else:
            _walk(p, exclude, take, errors)
    return sorted(set(files.values())), sorted(errors)


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


def _walk(top: Path, exclude: tuple[str, ...], take, errors: list[tuple[str, str]]) -> None:
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
            if d in SKIP_DIRS or d.endswith(".egg-info") or _excluded(sub, exclude) or _is_venv(sub):
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
            if _excluded(f, exclude):
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
