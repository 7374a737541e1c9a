"""Coroutine functions outside the project: the standard library (typeshed's stubs) and the packages
installed in the user's environment (their ``.pyi`` stubs or ``.py`` sources), read with
``typeshed_client`` and never imported.

Which environment is read is the user's choice, as with ty and pyright: ``--python`` (an interpreter
or a virtual environment), else the active ``$VIRTUAL_ENV``, else the interpreter asyncmend runs in.
"""
from __future__ import annotations

import ast
import os
import sys
from pathlib import Path

from .astwalk import yields
from .summary import KEEPS_COROUTINE

_KEEPS = {name.rpartition(".")[2] for name in KEEPS_COROUTINE}

# typeshed_client is imported inside the functions that use it: it is asked only about names the project
# index cannot resolve itself, and many runs never do.


def interpreter(python: str | None) -> str:
    """The interpreter whose ``sys.path`` is searched."""
    if python:
        p = Path(python)
        if p.is_dir():
            for candidate in (p / "bin" / "python", p / "Scripts" / "python.exe"):
                if candidate.exists():
                    return str(candidate)
        return str(p)
    venv = os.environ.get("VIRTUAL_ENV")
    if venv:
        candidate = Path(venv) / "bin" / "python"
        if candidate.exists():
            return str(candidate)
    return sys.executable


def environment_stamp(python: str | None) -> str:
    """What the answers depend on, known without running or importing anything: the interpreter read,
    and the modification times of its ``site-packages`` folders and of this process's (where
    typeshed_client and its stubs are installed). Installing, upgrading or removing a package adds or
    removes a folder there, which changes the time; a package's files edited in place do not."""
    exe = interpreter(python)
    prefix = Path(exe).parent.parent
    folders = {p for p in sys.path if os.path.basename(p) in ("site-packages", "dist-packages")}
    folders.update(str(p) for p in prefix.glob("lib*/python*/*-packages"))
    folders.update(str(p) for p in prefix.glob("Lib/site-packages"))
    stamps = [os.path.realpath(exe)]  # `python` and `python3` of one environment are one interpreter
    for folder in sorted(folders):
        try:
            stamps.append(f"{folder}:{os.stat(folder).st_mtime_ns}")
        except OSError:
            stamps.append(f"{folder}:-")
    return "\n".join(stamps)


def _is_coroutine_node(node) -> bool:
    from typeshed_client.parser import OverloadedName

    if isinstance(node, OverloadedName):
        return bool(node.definitions) and all(_is_coroutine_node(d) for d in node.definitions)
    if not isinstance(node, (ast.AsyncFunctionDef, ast.FunctionDef)):
        return False
    for d in node.decorator_list:
        name = d.attr if isinstance(d, ast.Attribute) else getattr(d, "id", None)
        if name not in _KEEPS:
            return False
    if isinstance(node, ast.AsyncFunctionDef):
        return not yields(node)
    returns = node.returns
    if isinstance(returns, ast.Subscript):
        returns = returns.value
    name = returns.attr if isinstance(returns, ast.Attribute) else getattr(returns, "id", None)
    return name == "Coroutine"


class ExternalResolver:
    """Answers "is this a coroutine function?" for names outside the project, caching per run."""

    def __init__(self, python: str | None = None):
        self.python = python
        self._resolver = None
        self._typeshed: Path | None = None
        self._cache: dict[tuple[str, str | None], str | None] = {}

    def _get(self):
        if self._resolver is None:
            from typeshed_client import Resolver, get_search_context
            from typeshed_client.finder import find_typeshed

            ctx = get_search_context(python_executable=interpreter(self.python), allow_py_files=True)
            self._resolver = Resolver(ctx)
            self._typeshed = find_typeshed().resolve()
        return self._resolver

    def __call__(self, qual: str, method: str | None = None) -> str | None:
        key = (qual, method)
        if key not in self._cache:
            try:
                self._cache[key] = self._lookup(qual, method)
            except Exception:  # a broken stub or source must never stop the run
                self._cache[key] = None
        return self._cache[key]

    def _lookup(self, qual: str, method: str | None) -> str | None:
        from typeshed_client import ImportedInfo, NameInfo

        resolver = self._get()
        info, module = self._resolve(resolver, qual)
        if info is None and method is None and "." in qual:
            qual, method = qual.rsplit(".", 1)
            info, module = self._resolve(resolver, qual)
        if not isinstance(info, NameInfo):
            return None
        if method is not None:
            if not isinstance(info.ast, ast.ClassDef) or not info.child_nodes:
                return None
            info = info.child_nodes.get(method)
            while isinstance(info, ImportedInfo):
                info = info.info
            if not isinstance(info, NameInfo):
                return None
        if not _is_coroutine_node(info.ast):
            return None
        return self._origin(module)

    def _resolve(self, resolver, qual: str):
        from typeshed_client import ImportedInfo

        info = resolver.get_fully_qualified_name(qual)
        module = qual.rpartition(".")[0]
        while isinstance(info, ImportedInfo):
            module = ".".join(info.source_module)
            info = info.info
        return info, module

    def _origin(self, module: str) -> str:
        from typeshed_client import get_stub_file

        path = get_stub_file(module, search_context=self._resolver.ctx)
        if path is not None and self._typeshed in Path(path).resolve().parents:
            return "typeshed"
        return "package"
