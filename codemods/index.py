"""The project index: every module summary of a run, resolved against each other.

It answers one question, "does calling this qualified name create a coroutine?", following imports,
re-exports, aliases, classes and their bases across the project. ``None`` means "not known": the
rules treat it exactly like "no".
"""
from __future__ import annotations

from typing import Callable, Iterable

from .summary import CLASS, CORO, REF, Binding, ClassInfo, ModuleSummary

# An optional resolver for names outside the project (the standard library, installed packages).
External = Callable[[str], "bool | None"]

_MAX_DEPTH = 20


class ProjectIndex:
    def __init__(self, summaries: Iterable[ModuleSummary] = (), external: External | None = None):
        self.modules: dict[str, ModuleSummary] = {}
        self.classes: dict[str, ClassInfo] = {}
        self.external = external
        self._subclasses: dict[str, list[str]] | None = None
        for s in summaries:
            self.add(s)

    def add(self, summary: ModuleSummary) -> None:
        self.modules[summary.module] = summary
        self.classes.update(summary.classes)
        self._subclasses = None

    # qualified names

    def resolve(self, qual: str, depth: int = 0) -> Binding | None:
        """What ``qual`` names: a CORO function, a CLASS (canonical qualname), or None when unknown."""
        if depth > _MAX_DEPTH or not qual:
            return None
        if qual in self.classes:
            return Binding(CLASS, qual)
        parts = qual.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            module = ".".join(parts[:cut])
            summary = self.modules.get(module)
            if summary is not None:
                return self._member(summary, parts[cut:], depth)
        return None

    def _member(self, summary: ModuleSummary, rest: list[str], depth: int) -> Binding | None:
        binding = summary.names.get(rest[0])
        if binding is None:
            return None
        tail = rest[1:]
        if binding.kind == REF:
            return self.resolve(".".join([binding.target, *tail]), depth + 1)
        if binding.kind == CLASS:
            if not tail:
                return binding
            if len(tail) == 1:
                return self.method(binding.target, tail[0], depth + 1)
            return None
        if binding.kind == CORO and not tail:
            return binding
        return None

    def creates_coroutine(self, qual: str) -> bool:
        binding = self.resolve(qual)
        if binding is not None:
            return binding.kind == CORO
        if self.external is not None and not self._in_project(qual):
            return bool(self.external(qual))
        return False

    def _in_project(self, qual: str) -> bool:
        parts = qual.split(".")
        return any(".".join(parts[:cut]) in self.modules for cut in range(1, len(parts) + 1))

    # classes

    def _class(self, qual: str, depth: int) -> ClassInfo | None:
        binding = self.resolve(qual, depth)
        if binding is None or binding.kind != CLASS:
            return None
        return self.classes.get(binding.target)

    def method(self, class_qual: str, name: str, depth: int = 0) -> Binding | None:
        """Look ``name`` up on a class and its bases in the project; None when not known."""
        found = self._lookup(class_qual, name, depth)
        return found if isinstance(found, Binding) else None

    def _lookup(self, class_qual: str, name: str, depth: int) -> "Binding | str":
        """The binding, or "missing" (not on this class or its bases), or "unknown"."""
        if depth > _MAX_DEPTH:
            return "unknown"
        info = self._class(class_qual, depth)
        if info is None:
            return "unknown"
        if name in info.methods:
            binding = info.methods[name]
            if binding.kind == REF:
                return self.resolve(binding.target, depth + 1) or "unknown"
            return binding
        for base in info.bases:
            if base in ("object", "builtins.object"):
                continue
            found = self._lookup(base, name, depth + 1) if base else "unknown"
            if found != "missing":
                return found
        return "missing"

    def ancestors(self, class_qual: str) -> list[ClassInfo]:
        out, todo, seen = [], [class_qual], set()
        while todo:
            info = self._class(todo.pop(), 0)
            if info is None or info.qualname in seen:
                continue
            seen.add(info.qualname)
            out.append(info)
            todo.extend(b for b in info.bases if b)
        return out

    def subclasses(self, class_qual: str) -> list[ClassInfo]:
        if self._subclasses is None:
            self._subclasses = {}
            for info in self.classes.values():
                for base in info.bases:
                    resolved = self.resolve(base) if base else None
                    if resolved is not None and resolved.kind == CLASS:
                        self._subclasses.setdefault(resolved.target, []).append(info.qualname)
        out, todo, seen = [], [class_qual], set()
        while todo:
            for child in self._subclasses.get(todo.pop(), []):
                if child not in seen:
                    seen.add(child)
                    out.append(self.classes[child])
                    todo.append(child)
        return out

    def self_method_creates_coroutine(self, class_qual: str, name: str) -> bool:
        """``self.name()`` inside ``class_qual``: a coroutine whatever subclass ``self`` is.

        The method must be a coroutine function on the class (or a base), no class in the hierarchy
        may assign the attribute on instances, and no subclass in the project may override it with
        anything else.
        """
        binding = self.method(class_qual, name)
        if binding is None or binding.kind != CORO:
            return False
        family = [*self.ancestors(class_qual), *self.subclasses(class_qual)]
        if any(name in info.assigned_attrs for info in family):
            return False
        for sub in self.subclasses(class_qual):
            if name in sub.methods and sub.methods[name].kind != CORO:
                return False
        return True
