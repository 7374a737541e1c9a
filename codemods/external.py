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

from asyncmend.semantic.types import ANNOTATED

from .astwalk import dotted, yields
from .summary import KEEPS_COROUTINE

_KEEPS = {name.rpartition(".")[2] for name in KEEPS_COROUTINE}
_MANAGERS = {"AbstractAsyncContextManager", "AsyncContextManager", "AbstractContextManager", "ContextManager"}
_ITERATORS = {"Iterator", "AsyncIterator", "Generator", "AsyncGenerator"}


def _last_name(node: ast.expr) -> str | None:
    return node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", None)

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

    def returns(self, qual: str) -> tuple | None:
        """What calling ``qual`` gives, as its stub or source states it: ``("class", qualname)`` for
        a class, else ``(is async, type term)`` from a function's (or ``Class.method``'s) return
        annotation (terms of ``asyncmend.semantic.types``; an annotation is only ANNOTATED). None
        when not stated."""
        key = (qual, "<returns>")
        if key not in self._cache:
            try:
                self._cache[key] = self._returns(qual)
            except Exception:  # a broken stub or source must never stop the run
                self._cache[key] = None
        return self._cache[key]

    def _returns(self, qual: str) -> tuple | None:
        from typeshed_client import ImportedInfo, NameInfo

        resolver = self._get()
        info, module = self._resolve(resolver, qual)
        owner = None
        if info is None and "." in qual:
            cls, method = qual.rsplit(".", 1)
            info, module = self._resolve(resolver, cls)
            if not isinstance(info, NameInfo) or not isinstance(info.ast, ast.ClassDef) or not info.child_nodes:
                return None
            owner = f"{module}.{info.ast.name}"
            info = info.child_nodes.get(method)
            while isinstance(info, ImportedInfo):
                info = info.info
        if not isinstance(info, NameInfo):
            return None
        node = info.ast
        if isinstance(node, ast.ClassDef):
            return ("class", f"{module}.{node.name}") if owner is None else None
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or node.returns is None:
            return None
        managers = [d for d in node.decorator_list if _last_name(d) in ("contextmanager", "asynccontextmanager")]
        if any(_last_name(d) not in _KEEPS for d in node.decorator_list if d not in managers):
            return None
        term = self._annotation(node.returns, module, owner, resolver)
        if managers:  # ``@asynccontextmanager def f() -> AsyncIterator[T]``: entering gives a T
            return (False, ("cm", term[1])) if term is not None and term[0] == "iter" else None
        if term is None or term[0] == "iter":
            return None
        return isinstance(node, ast.AsyncFunctionDef), term

    def _annotation(self, node, module: str, owner: str | None, resolver) -> tuple | None:
        from typeshed_client import NameInfo

        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            node = ast.parse(node.value, mode="eval").body
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            sides = [n for n in (node.left, node.right) if not (isinstance(n, ast.Constant) and n.value is None)]
            return self._annotation(sides[0], module, owner, resolver) if len(sides) == 1 else None
        if isinstance(node, ast.Subscript):
            head = _last_name(node.value)
            arg = node.slice.elts[0] if isinstance(node.slice, ast.Tuple) and node.slice.elts else node.slice
            inner = self._annotation(arg, module, owner, resolver)
            if head == "Optional":
                return inner
            if inner is None or inner[0] in ("cm", "iter"):
                return None
            if head in _MANAGERS:
                return ("cm", inner)
            if head in _ITERATORS:
                return ("iter", inner)
            return None
        name = dotted(node)
        if name is None:
            return None
        if name.rpartition(".")[2] == "Self":
            return ("self", owner) if owner else None
        info, source = self._resolve(resolver, f"{module}.{name}")
        if not isinstance(info, NameInfo) or not isinstance(info.ast, ast.ClassDef):
            return None
        return ("inst", f"{source}.{info.ast.name}", ANNOTATED)

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
