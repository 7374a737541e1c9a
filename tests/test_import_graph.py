"""The installed package's import graph has no cycle: every import counts, at a module's top, under
``if TYPE_CHECKING:`` and inside functions (an import put in a function to dodge a cycle is still one).

Modules are found where the import system finds them (in a checkout, ``asyncmend.codemods`` is the
``codemods/`` folder, see pyproject.toml); an edge goes to the module an import names (``from a import b``
names ``a.b`` when that is a module), not to the packages above it. docs/design.md has the layers.
"""
from __future__ import annotations

import ast
import functools
import importlib.util
import pkgutil
from pathlib import Path
from typing import NamedTuple

TOP = "asyncmend"
# What an import inside a function may put off: each costs a noticeable part of a run's start.
EXPENSIVE = ("libcst", "typeshed_client", "pygls", "lsprotocol")


class Import(NamedTuple):
    target: str  # a module of the package, or the top-level name of another one
    where: str  # file:line
    deferred: bool  # inside a function
    typing_only: bool  # under ``if TYPE_CHECKING:``


@functools.lru_cache(maxsize=None)
def _is_package(name: str) -> bool:
    """Found without running anything but the packages above ``name``."""
    spec = importlib.util.find_spec(name)
    return spec is not None and spec.submodule_search_locations is not None


def _is_submodule(package: str, name: str) -> bool:
    return _is_package(package) and importlib.util.find_spec(f"{package}.{name}") is not None


class _Imports(ast.NodeVisitor):
    def __init__(self, module: str, is_package: bool, path: Path):
        self.package = module if is_package else module.rpartition(".")[0]
        self.path = path
        self.depth = 0
        self.typing_only = False
        self.found: list[Import] = []

    def visit_FunctionDef(self, node: ast.AST) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_If(self, node: ast.If) -> None:
        test = node.test
        if isinstance(test, ast.Attribute):
            test = ast.Name(test.attr)
        if isinstance(test, ast.Name) and test.id == "TYPE_CHECKING":
            self.typing_only, outer = True, self.typing_only
            for stmt in node.body:
                self.visit(stmt)
            self.typing_only = outer
            for stmt in node.orelse:
                self.visit(stmt)
        else:
            self.generic_visit(node)

    def _add(self, target: str, node: ast.stmt) -> None:
        if target.split(".")[0] != TOP:
            target = target.split(".")[0]
        self.found.append(Import(target, f"{self.path}:{node.lineno}", self.depth > 0, self.typing_only))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name, node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = self.package
        for _ in range(node.level - 1):
            base = base.rpartition(".")[0]
        if node.level:
            base = f"{base}.{node.module}" if node.module else base
        else:
            base = node.module
        for alias in node.names:
            inside = base.split(".")[0] == TOP and _is_submodule(base, alias.name)
            self._add(f"{base}.{alias.name}" if inside else base, node)


@functools.lru_cache(maxsize=None)
def project_imports() -> dict[str, list[Import]]:
    """Every module of the package, with its imports: those of the package's own modules name them,
    the others only their top-level name."""
    graph: dict[str, list[Import]] = {}
    todo = [TOP]
    while todo:
        name = todo.pop()
        if name in graph:
            continue
        spec = importlib.util.find_spec(name)
        path = Path(spec.origin)
        if spec.submodule_search_locations is not None:
            todo += [f"{name}.{m.name}" for m in pkgutil.iter_modules(spec.submodule_search_locations)]
        visitor = _Imports(name, spec.submodule_search_locations is not None, path)
        visitor.visit(ast.parse(path.read_text("utf-8"), str(path)))
        graph[name] = visitor.found
        for imp in visitor.found:
            parts = imp.target.split(".")
            if parts[0] == TOP:  # the module and the packages above it (asyncmend.codemods is found so)
                todo += [".".join(parts[:i]) for i in range(1, len(parts) + 1)]
    return graph


def _components(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    components = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in edges[v]:
                components.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return components


def _cycle(edges: dict[str, set[str]], component: list[str]) -> list[str]:
    """One cycle inside a component, from its first module back to it."""
    start, inside = component[0], set(component)
    seen, trail = {start}, [start]

    def walk(v: str) -> bool:
        for w in sorted(edges[v] & inside):
            if w == start:
                return True
            if w not in seen:
                seen.add(w)
                trail.append(w)
                if walk(w):
                    return True
                trail.pop()
        return False

    walk(start)
    return [*trail, start]


def test_the_graph_covers_the_package() -> None:
    graph = project_imports()
    assert {"asyncmend.cli", "asyncmend.engine", "asyncmend.lsp.server", "asyncmend.codemods.registry",
            "asyncmend.codemods.drain"} <= set(graph)
    assert any(i.target == "asyncmend.codemods.registry" and not i.deferred for i in graph["asyncmend.engine"])
    assert any(i.target == "libcst" and i.deferred for i in graph["asyncmend.engine"])
    assert any(i.target == "asyncmend.codemods.drain.rewrite" and i.deferred for i in graph["asyncmend.codemods.drain.checker"])


def test_no_import_cycle() -> None:
    graph = project_imports()
    edges = {m: {i.target for i in imports if i.target in graph} for m, imports in graph.items()}
    where = {(m, i.target): i.where for m, imports in graph.items() for i in imports}
    report = []
    for component in _components(edges):
        cycle = _cycle(edges, component)
        steps = "\n".join(f"  {a} -> {b}  ({where[a, b]})" for a, b in zip(cycle, cycle[1:]))
        report.append(f"a cycle among {len(component)} modules ({', '.join(component)}):\n{steps}")
    assert not report, "\n".join(report)


def _loads_expensive(graph: dict[str, list[Import]], module: str, seen: set[str]) -> bool:
    """Whether importing ``module`` loads one of EXPENSIVE (through the imports at its top)."""
    if module not in graph:
        return module in EXPENSIVE
    if module in seen:
        return False
    seen.add(module)
    return any(_loads_expensive(graph, i.target, seen) for i in graph[module] if not (i.deferred or i.typing_only))


def test_imports_inside_functions_only_put_off_expensive_ones() -> None:
    """An import of the package's own modules, or of LibCST, typeshed_client or pygls, inside a
    function is there to put off loading an expensive library until it is needed, never to hide a
    cycle."""
    graph = project_imports()
    bad = [
        f"{i.where}: {i.target}"
        for imports in graph.values()
        for i in imports
        if i.deferred and (i.target in graph or i.target in EXPENSIVE) and not _loads_expensive(graph, i.target, set())
    ]
    assert not bad, bad
