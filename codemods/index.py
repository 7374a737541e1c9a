"""The project index: every module summary of a run, resolved against each other.

It answers one question, "does calling this qualified name create a coroutine?", following imports,
re-exports, aliases, classes and their bases across the project. ``None`` means "not known": the
rules treat it exactly like "no".
"""
from __future__ import annotations

import os
from typing import Callable, Iterable

from asyncmend.semantic.types import ANNOTATED, NEW, PASSED

from .summary import CLASS, CORO, OTHER, REF, Binding, ClassInfo, ModuleSummary

# An optional resolver for names outside the project (the standard library, installed packages):
# given a qualified name, or a class and a method name, it says where it found a coroutine
# function ("typeshed", "package") or None.
External = Callable[..., "str | None"]

_MAX_DEPTH = 20

SELF = "self"  # the evidence of ``self``: an instance of the class or of a subclass
_RANK = {ANNOTATED: 0, PASSED: 1, NEW: 2}


class ProjectIndex:
    def __init__(self, summaries: Iterable[ModuleSummary] = (), external: External | None = None):
        self.modules: dict[str, ModuleSummary] = {}
        self.classes: dict[str, ClassInfo] = {}
        self.external = external
        self.ambiguous: set[str] = set()
        self.rebound: set[str] = set()  # names some module assigns from outside: never resolved
        self._subclasses: dict[str, list[str]] | None = None
        self._aliases: dict[str, ModuleSummary] = {}  # namespace-package names given by ``alias``
        self._types: dict[tuple, tuple | None] = {}  # type_of of terms, once the index is complete
        for s in summaries:
            self.add(s)

    def add(self, summary: ModuleSummary, fallback: bool = False) -> None:
        """Add a module; two different files claiming one module name (top-level scripts of several
        folders, ``conftest.py``) make that name ambiguous, and nothing is resolved through it.

        A ``fallback`` summary (a file read only for the index) never displaces a module already
        known from the files being checked.
        """
        self._types.clear()
        known = self.modules.get(summary.module)
        if fallback and (known is not None or summary.module in self.ambiguous):
            return
        if summary.module in self.ambiguous or (
            known is not None and os.path.realpath(known.path) != os.path.realpath(summary.path)
        ):
            self.ambiguous.add(summary.module)
            self.modules.pop(summary.module, None)
            for qual in [q for q in self.classes if q.startswith(summary.module + ".")]:
                del self.classes[qual]
            return
        self.modules[summary.module] = summary
        self.classes.update(summary.classes)
        self.rebound.update(summary.rebinds)
        self._subclasses = None

    def alias(self, name: str, summary: ModuleSummary) -> None:
        """Also know ``summary``'s module as ``name`` (a folder without ``__init__.py`` imported as a
        namespace package from an import root); a name already known or ambiguous is kept as it is,
        and a name two files claim as an alias resolves to nothing."""
        if name in self.ambiguous:
            return
        self._types.clear()
        known = self._aliases.get(name)
        if known is not None and os.path.realpath(known.path) != os.path.realpath(summary.path):
            self.ambiguous.add(name)
            self.modules.pop(name, None)
            return
        if name not in self.modules:
            self.modules[name] = summary
            self._aliases[name] = summary

    # qualified names

    def resolve(self, qual: str, depth: int = 0) -> Binding | None:
        """What ``qual`` names: a CORO function, a CLASS (canonical qualname), or None when unknown."""
        if depth > _MAX_DEPTH or not qual or qual.replace(":", ".") in self.rebound:
            return None
        if qual in self.classes:
            return Binding(CLASS, qual)
        found = self.locate(qual, depth)
        if found is None:
            return None
        summary, rest = found
        binding, tail = summary.names[rest[0]], rest[1:]
        if binding.kind == CLASS:
            if not tail:
                return binding
            if len(tail) == 1:
                return self.method(binding.target, tail[0], depth + 1)
            return None
        if binding.kind == CORO and not tail:
            return binding
        return None

    def locate(self, qual: str, depth: int = 0) -> tuple[ModuleSummary, list[str]] | None:
        """The module that binds what ``qual`` names, and the names under it (``["Store", "save"]``),
        imports and re-exports followed; None when not in the project."""
        if depth > _MAX_DEPTH or not qual or qual.replace(":", ".") in self.rebound:
            return None
        if ":" in qual:
            module, _, attrs = qual.partition(":")
            summary = self.modules.get(module)
            if summary is not None and attrs.split(".")[0] in summary.names:
                return self._follow(summary, attrs.split("."), depth)
            return self.locate(f"{module}.{attrs}", depth + 1)  # ``from package import submodule``
        parts = qual.split(".")
        # Attribute access, as Python does it: a package's own binding of a name hides the
        # submodule of that name (``from .notify import notify`` in ``__init__``).
        summary, cut = None, 1
        for cut in range(1, len(parts)):
            module = ".".join(parts[:cut])
            here = self.modules.get(module)
            if here is not None:
                summary = here
                if parts[cut] in here.names:
                    return self._follow(here, parts[cut:], depth)
            elif summary is not None:
                return self._star(summary, parts[cut - 1:], depth)
        if summary is not None and self.modules.get(".".join(parts[:-1])) is summary:
            return self._star(summary, parts[-1:], depth)
        return None

    def _follow(self, summary: ModuleSummary, rest: list[str], depth: int) -> tuple[ModuleSummary, list[str]] | None:
        binding = summary.names[rest[0]]
        if binding.kind == REF:
            return self.locate(".".join([binding.target, *rest[1:]]), depth + 1)
        return summary, rest

    def _star(self, summary: ModuleSummary, rest: list[str], depth: int) -> tuple[ModuleSummary, list[str]] | None:
        """A name a module has only through ``from m import *``: found in the one module among those
        that exports it (by its ``__all__``, else by a name without a leading underscore)."""
        found = []
        for module in summary.star_imports:
            source = self.modules.get(module)
            if source is None:
                return None  # a star import from outside the project may bind anything
            exported = source.exports if source.exports is not None else [n for n in source.names if n[:1] != "_"]
            if rest[0] in exported and rest[0] in source.names:
                found.append(module)
        if len(found) != 1:
            return None
        return self._follow(self.modules[found[0]], rest, depth + 1)

    def creates_coroutine(self, qual: str) -> str | None:
        """Where ``qual`` was found to be a coroutine function ("index", "typeshed", ...), or None."""
        binding = self.resolve(qual)
        if binding is not None:
            return "index" if binding.kind == CORO else None
        if self.external is not None and not self._in_project(qual):
            return self.external(qual.replace(":", "."))
        return None

    def instance_method_creates_coroutine(self, class_qual: str, name: str, exact: bool) -> str | None:
        """``x.name()`` on an instance of ``class_qual`` (``exact``: built by calling that very class)."""
        if self._class(class_qual, 0) is None:
            if self.external is not None and not self._in_project(class_qual):
                return self.external(class_qual.replace(":", "."), name)
            return None
        if exact:
            binding = self.method(class_qual, name)
            family = self.ancestors(class_qual)
            if binding is None or binding.kind != CORO or any(name in c.assigned_attrs for c in family):
                return None
            return "index"
        return "index" if self.self_method_creates_coroutine(class_qual, name) else None

    def _in_project(self, qual: str) -> bool:
        parts = qual.replace(":", ".").split(".")
        prefixes = (".".join(parts[:cut]) for cut in range(1, len(parts) + 1))
        return any(p in self.modules or p in self.ambiguous for p in prefixes)

    def super_method_creates_coroutine(self, class_qual: str, name: str) -> bool:
        """``super().name()`` in ``class_qual``, when the class has exactly one base (no MRO doubt)."""
        info = self._class(class_qual, 0)
        if info is None or len(info.bases) != 1 or not info.bases[0]:
            return False
        binding = self.method(info.bases[0], name)
        return binding is not None and binding.kind == CORO

    # classes

    def _class(self, qual: str, depth: int) -> ClassInfo | None:
        binding = self.resolve(qual, depth)
        if binding is None or binding.kind != CLASS:
            return None
        return self.classes.get(binding.target)

    def method(self, class_qual: str, name: str, depth: int = 0) -> Binding | None:
        """Look ``name`` up on a class and its bases in the project; None when not known."""
        if f"{class_qual}.{name}".replace(":", ".") in self.rebound:
            return None
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

    # types (terms of ``asyncmend.semantic.types``)

    def type_of(self, term: tuple | None, receiver: tuple | None = None, depth: int = 0) -> tuple | None:
        """What a type term evaluates to: ``(evidence, class qualname)``, evidence being NEW (the code
        builds it), PASSED (every call in view passes it), ANNOTATED (only an annotation says so) or
        SELF (``self``: the class or a subclass); ``("cm", term, receiver)`` for what a context-manager
        function's call gives; None when not known. ``receiver`` stands for ``self`` in the term."""
        if term is None or depth > _MAX_DEPTH:
            return None
        if receiver is None and depth == 0:  # the rules ask about each call's receiver more than once
            if term not in self._types:
                self._types[term] = self.type_of(term, None, 1)
            return self._types[term]
        kind = term[0]
        if kind == "inst":
            return (term[2], self._class_name(term[1]))
        if kind == "self":
            return receiver if receiver is not None else (SELF, self._class_name(term[1]))
        if kind == "cm":
            return ("cm", term[1], receiver)
        if kind in ("call", "await"):
            return self._call_type(term[1], kind == "await", depth)
        if kind == "enter":
            base = self.type_of(term[1], receiver, depth + 1)
            if base is not None and base[0] == "cm":
                return self.type_of(base[1], base[2], depth + 1)
            method = ("mawait", term[1], "__aenter__") if term[2] else ("mcall", term[1], "__enter__")
            return self.type_of(method, receiver, depth + 1)
        base = self.type_of(term[1], receiver, depth + 1)
        if base is None or base[0] == "cm":
            return None
        found = self._member_type(base, term[2], kind, depth)
        if found is None or found[0] == "cm":
            return found
        return (_weakest(base[0], found[0]), found[1])

    def _class_name(self, qual: str) -> str:
        binding = self.resolve(qual)
        return binding.target if binding is not None and binding.kind == CLASS else qual.replace(":", ".")

    def _call_type(self, qual: str, awaited: bool, depth: int) -> tuple | None:
        binding = self.resolve(qual)
        if binding is not None and binding.kind == CLASS:
            return None if awaited else (NEW, binding.target)
        found = self.locate(qual)
        if found is None:
            if self._in_project(qual):
                return None
            described = self._external_returns(qual.replace(":", "."))
            if described is None:  # a class or not, the external resolver tells when asked for a method
                return None if awaited else (NEW, qual.replace(":", "."))
            if described[0] == "class":
                return None if awaited else (NEW, described[1])
            return self._returned(described, awaited, None, depth)
        summary, rest = found
        if len(rest) == 1:
            return self._returned(summary.returns.get(rest[0]), awaited, None, depth)
        owner = summary.names[rest[0]]
        if len(rest) == 2 and owner.kind == CLASS:  # ``Store.open()``: a static or class method
            info = self.classes.get(owner.target)
            entry = info.returns.get(rest[1]) if info is not None else None
            return self._returned(entry, awaited, (NEW, owner.target), depth)
        return None

    def _external_returns(self, qual: str) -> tuple | None:
        """What calling ``qual`` outside the project gives, from its stub or source (ExternalResolver)."""
        returns = getattr(self.external, "returns", None)
        return returns(qual) if returns is not None else None

    def _returned(self, entry: tuple | None, awaited: bool, receiver: tuple | None, depth: int) -> tuple | None:
        """What a call gives, from a function's (is async, returned term): awaiting an ``async def``'s
        call, or calling a plain one."""
        if entry is None or entry[0] != awaited:
            return None
        return self.type_of(entry[1], receiver, depth + 1)

    def _member_type(self, base: tuple, name: str, kind: str, depth: int) -> tuple | None:
        """``base.name`` (kind "attr") or what ``base.name()`` gives ("mcall", "mawait"), where every
        class of ``base``'s hierarchy that states it agrees: its bases and, unless it was built right
        there, its subclasses in the project."""
        evidence, cls = base
        if self._class(cls, 0) is None:
            if kind == "attr" or self._in_project(cls):
                return None
            return self._returned(self._external_returns(f"{cls}.{name}"), kind == "mawait", base, depth)
        family = self.ancestors(cls)
        if evidence != NEW:
            family += self.subclasses(cls)
        answers = set()
        for info in family:
            if kind == "attr" and name in info.attr_types:
                answers.add(self.type_of(info.attr_types[name], base, depth + 1))
            elif name in info.methods or name in info.attr_types:
                if kind == "attr" or info.methods.get(name, Binding(OTHER)).kind == CLASS:
                    return None  # a method object, a nested class, ...
                answers.add(self._returned(info.returns.get(name), kind == "mawait", base, depth))
        if len(answers) != 1:
            return None
        return answers.pop()


def _weakest(outer: str, inner: str) -> str:
    """The evidence of ``a.b`` from that of ``a`` and of ``b`` on it: the weaker; ``self`` passes
    on what its attribute's own evidence is."""
    if outer == SELF:
        return inner
    if inner == SELF:
        return outer
    return min(outer, inner, key=_RANK.__getitem__)
