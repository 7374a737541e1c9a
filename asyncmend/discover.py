"""Which files a run looks at, and what module each one is."""
from __future__ import annotations

import fnmatch
import functools
import os
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
    loop); a file named explicitly is always taken, whatever its name or the exclude patterns.
    """
    files: set[str] = set()
    errors: list[tuple[str, str]] = []
    for given in paths:
        p = Path(given)
        if not p.exists() and not p.is_symlink():
            errors.append((given, "no such file or directory"))
            continue
        if p.is_file():
            files.add(os.path.normpath(given))
            continue
        if not p.is_dir():
            errors.append((given, "not a file or directory (a broken link?)"))
            continue
        root = p.resolve()
        for folder, dirnames, filenames in os.walk(p, followlinks=True):
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
                    target = sub.resolve()
                    if target == root or target in real.parents or real == target or (
                        root not in target.parents
                    ):
                        continue  # a loop, or a link out of the tree
                keep.append(d)
            dirnames[:] = keep
            for name in filenames:
                if not name.endswith(".py"):
                    continue
                f = here / name
                if _excluded(f, exclude):
                    continue
                if f.is_symlink():
                    target = f.resolve()
                    if root not in target.parents:
                        continue
                files.add(os.path.normpath(str(f)))
    return sorted(files), errors


def project_root(path: str) -> Path:
    """The nearest folder upward holding a project marker; a bare folder is its own project."""
    start = Path(path).resolve()
    folder = start if start.is_dir() else start.parent
    for candidate in (folder, *folder.parents):
        if any((candidate / marker).exists() for marker in PROJECT_MARKERS):
            return candidate
    return folder


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
