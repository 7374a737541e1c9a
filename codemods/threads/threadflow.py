"""Which functions of a module run in a worker thread.

A function (or lambda) is an *entry* when the module hands it to something that runs it in another
thread — ``threading.Thread(target=f)``, ``threading.Timer(t, f)``, ``loop.run_in_executor(ex, f)``,
``asyncio.to_thread(f)``, ``executor.submit(f)`` / ``executor.map(f, ...)``, ``_thread.start_new_thread``
— by name, as ``self.method``, through ``functools.partial(f, ...)`` or as a lambda (whose body, and the
function it calls, are then thread code), or when it is the ``run`` method of a ``threading.Thread``
subclass. One call level deeper, the module's own plain functions (and ``self`` methods) that only
entries call are *helpers*, thread code as well.

A done-callback added to the future of ``executor.submit(...)`` is an entry as well: it runs in the
worker thread that completes the future; so is one added to a bare ``concurrent.futures.Future()``
(a name, or a ``self`` attribute, given only such futures and never handed on) whose every
``set_result``, ``set_exception`` and ``cancel`` is in thread code (found once the other thread code
is known).

What is never thread code: ``async def`` bodies, and any function the module also uses in another way
(calls from code that is not an entry, ``call_soon_threadsafe(f)``, storing it...), since that code
may just as well run on the loop's thread. Code that runs its own event loop (creates one, or runs
one: ``asyncio.run``, ``run_forever``...) is left out too; ``asyncio.set_event_loop(loop)`` alone does
not run the loop it is given.

Thread code is also what the code *declares* to be: a plain function that hands work to a loop with
``loop.call_soon_threadsafe(...)`` or ``asyncio.run_coroutine_threadsafe(..., loop)`` runs off that
loop's thread (a framework's, a device's or a server's thread calls it) — unless it is a signal
handler (``signal.signal``), or only wakes the loop (``call_soon_threadsafe(lambda: None)``) — and so do the ``self``
methods only it calls (of the same class, for ``self.<attr>`` loops). Such code is only known to be
off *that* loop: ``declared`` holds its loop expressions, and a call in a branch that excludes the
handing-off call, or under a test of the current thread or loop, does not count (``off_loop``).
A function whose name or docstring says it is called from another thread (``*_threadsafe``,
``*_from_thread``, "called from another thread") is thread code by its name alone (``named``).
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Optional, Union

from asyncmend.semantic import Scope, SemanticModel

from ..asyncio_api import NEW_EVENT_LOOP
from .asynckinds import CFUTURE, EXECUTOR, Kinds, instance_class

FunctionNode = Union[ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda]

_OWN_LOOP_CALLS = {"asyncio.run", "asyncio.Runner", *NEW_EVENT_LOOP}  # set_event_loop alone runs no loop
# A thread that runs a loop: its futures and tasks may well be that loop's own (tornado's IOLoop runs
# an asyncio loop through ``run_sync``). Leaving such code alone can only miss a finding.
_OWN_LOOP_METHODS = {"run_forever", "run_until_complete", "run_sync"}
_BARE_FUTURES = {"concurrent.futures.Future", "concurrent.futures._base.Future"}
_RUN_COROUTINE_THREADSAFE = {"asyncio.run_coroutine_threadsafe", "asyncio.tasks.run_coroutine_threadsafe"}
# Functions whose name or docstring says another thread calls them.
_THREAD_NAME = re.compile(r"_(threadsafe|thread_safe|from_thread|from_threads|from_other_thread|from_any_thread)$")
_THREAD_DOC = re.compile(
    r"\bfrom (another|a different|any|other|an?(other)? (worker|background|separate|non-asyncio)) threads?\b"
    r"|\b(is|are) thread-?safe\b",
    re.IGNORECASE,
)
_NEGATION = re.compile(r"\b(not|never|unsafe)\b|n't\b", re.IGNORECASE)
# Calls that ask which thread or loop the code runs in.
_PROBES = {"get_ident", "get_native_id", "current_thread", "currentThread", "main_thread", "get_running_loop",
           "_get_running_loop", "get_event_loop"}
# Names in a test that make it a check of which thread or loop the code runs in.
_THREAD_TEST = re.compile(r"thread|get_ident|running_loop|get_event_loop|in_loop|on_loop|loop_thread", re.IGNORECASE)


@dataclass
class Invocation:
    """The arguments one call site passes to a function (``complete`` False when not all are known)."""

    args: list[ast.expr]
    keywords: dict[str, ast.expr]
    bound: bool = False  # called as a bound method: the first parameter is not among ``args``
    complete: bool = True

    def argument(self, func: ast.AST, name: str) -> Optional[ast.expr]:
        """The expression this call gives parameter ``name`` of ``func`` (a default when omitted)."""
        if not self.complete or not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            return None
        a = func.args
        positional = [*a.posonlyargs, *a.args]
        if self.bound:
            positional = positional[1:]
        names = [p.arg for p in positional]
        if name in names:
            i = names.index(name)
            if i < len(self.args):
                return self.args[i]
            if name in self.keywords and not any(p is positional[i] for p in a.posonlyargs):
                return self.keywords[name]
            defaults = a.defaults
            j = i - (len(names) - len(defaults))
            return defaults[j] if 0 <= j < len(defaults) else None
        for p, default in zip(a.kwonlyargs, a.kw_defaults):
            if p.arg == name:
                return self.keywords.get(name, default)
        return None


@dataclass
class Entry:
    """One way a function or lambda is started in a thread."""

    how: str  # "threading.Thread", "asyncio.to_thread", ...
    starter: ast.AST  # the call (or the Thread subclass) that starts it
    invocation: Invocation


@dataclass
class ThreadCode:
    """A function or lambda whose body runs in a worker thread."""

    node: FunctionNode
    entries: list[Entry] = field(default_factory=list)
    helper_of: list[FunctionNode] = field(default_factory=list)  # for helpers: every entry that calls it
    explicit: bool = False  # started in the very function body that defines it, used nowhere else
    # declared thread code: the loops it hands work to (only off those loops), and the calls that do
    declared: list[ast.expr] = field(default_factory=list)
    handoffs: list[ast.Call] = field(default_factory=list)
    named: bool = False  # thread code by its name or docstring only: reported, never fixed

    @property
    def how(self) -> str:
        if self.entries:
            return self.entries[0].how
        if self.handoffs:
            call = self.handoffs[0]
            return f"it hands work to `{ast.unparse(self.declared[0])}` with `{_callee(call)}()` at line {call.lineno}"
        if self.named:
            return "its name or docstring says so"
        return "called from thread code"

    @property
    def restricted(self) -> bool:
        """Known only to run off the ``declared`` loops, not off every loop it did not make."""
        return bool(self.declared) and not self.entries


@dataclass
class _Ref:
    node: ast.expr  # the Name or Attribute naming the function
    use: str  # "entry", "call" or "other"
    call: Optional[ast.Call] = None
    bound: bool = False


class ThreadFlow:
    """The thread code of one module, and the known call sites of its functions."""

    def __init__(self, tree: ast.Module, semantic: Optional[SemanticModel] = None):
        self.semantic = semantic or SemanticModel(tree)
        self._executors = Kinds(self.semantic)  # executors do not depend on threads
        self.code: dict[int, ThreadCode] = {}
        self._candidates: dict[int, ThreadCode] = {}
        self._entry_refs: dict[int, Entry] = {}
        self._refs: dict[int, list[_Ref]] = {}
        self.calls_in: dict[Optional[int], list[ast.Call]] = {}
        self._find_starts()
        self._find_subclass_runs()
        self._collect_refs()
        self._settle()
        if self._completed_future_callbacks():  # entries found once the first thread code is known
            self._refs = {}
            self._collect_refs()
            self._settle()

    # -- questions ---------------------------------------------------------------------------------

    def region(self, node: ast.AST) -> Optional[FunctionNode]:
        return self.semantic.enclosing_function(node)  # type: ignore[return-value]

    def thread_code(self, node: ast.AST) -> Optional[ThreadCode]:
        """The thread code whose own body holds ``node`` (not a nested def or lambda), if any."""
        region = self.region(node)
        return self.code.get(id(region)) if region is not None else None

    def in_thread(self, node: ast.AST) -> bool:
        return self.thread_code(node) is not None

    def invocations(self, func: ast.AST) -> Optional[list[Invocation]]:
        """Every call of ``func`` in the module, or None when it is also used in a way not seen."""
        if isinstance(func, ast.Lambda):
            code = self._candidates.get(id(func))
            return [e.invocation for e in code.entries] if code else None
        if isinstance(func, ast.FunctionDef) and func.name == "__init__":
            owner = self.semantic.parent(func)
            if isinstance(owner, ast.ClassDef):
                return self._invocations_of(owner, bound=True)
        return self._invocations_of(func, bound=False)

    def _invocations_of(self, node: ast.AST, bound: bool) -> Optional[list[Invocation]]:
        refs = self._refs.get(id(node))
        if not refs or any(r.use == "other" for r in refs):
            return None
        out = []
        for ref in refs:
            if ref.use == "entry":
                out.append(self._entry_refs[id(ref.node)].invocation)
            else:
                assert ref.call is not None
                out.append(_invocation(ref.call.args, ref.call.keywords, bound or ref.bound))
        return out

    # -- entries -----------------------------------------------------------------------------------

    def _find_starts(self) -> None:
        for node in self.semantic.nodes(ast.Call):
            self.calls_in.setdefault(_key(self.region(node)), []).append(node)
            start = self._start(node)
            if start is not None:
                how, target, invocation = start
                self._target(target, Entry(how, node, invocation))

    def _start(self, call: ast.Call) -> Optional[tuple[str, ast.expr, Invocation]]:
        """(how, target expression, the arguments the target gets) when ``call`` starts a thread."""
        qual = self.semantic.qualname(call.func)
        args, kw = call.args, {k.arg: k.value for k in call.keywords if k.arg}
        if any(isinstance(a, ast.Starred) for a in args) or any(k.arg is None for k in call.keywords):
            return None
        if qual in ("threading.Thread", "threading.Timer"):
            timer = qual == "threading.Timer"
            target = kw.get("function" if timer else "target", args[1] if len(args) > 1 else None)
            if target is None:
                return None
            at = 2 if timer else 3  # Timer(interval, function, args, kwargs); Thread(group, target, name, args, kwargs)
            pos = kw.get("args", args[at] if len(args) > at else None)
            named = kw.get("kwargs", args[at + 1] if len(args) > at + 1 else None)
            return qual, target, _packed(pos, named)
        if qual in ("asyncio.to_thread", "asyncio.threads.to_thread") and args:
            return "asyncio.to_thread", args[0], _invocation(args[1:], call.keywords)
        if qual in ("_thread.start_new_thread", "_thread.start_new") and len(args) >= 2:
            return "_thread.start_new_thread", args[0], _packed(args[1], args[2] if len(args) > 2 else None)
        if isinstance(call.func, ast.Attribute):
            method = call.func.attr
            if method == "run_in_executor" and len(args) >= 2 and not call.keywords:
                return "loop.run_in_executor", args[1], _invocation(args[2:], [])
            if method in ("submit", "map") and args and self._executors.of(call.func.value) == EXECUTOR:
                if method == "submit":
                    return "executor.submit", args[0], _invocation(args[1:], call.keywords)
                return "executor.map", args[0], Invocation([], {}, complete=False)
            if method == "add_done_callback" and len(args) == 1 and not call.keywords and self._submitted(call.func.value):
                return "a done-callback of an executor's future", args[0], Invocation([], {}, complete=False)
        return None

    def _submitted(self, expr: ast.expr) -> bool:
        """``executor.submit(...)`` on a thread pool, or a name bound only to such futures: their
        done-callbacks run in the worker thread that completes them."""
        if isinstance(expr, ast.Name):
            found = [b for b in self.semantic.bindings_of(expr) if not b.fallback]
            return bool(found) and all(isinstance(b.value, ast.Call) and self._submitted(b.value) for b in found)
        return (isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr == "submit"
                and self._executors.of(expr.func.value) == EXECUTOR)

    def _completed_future_callbacks(self) -> bool:
        """Add the done-callbacks of bare ``concurrent.futures.Future()`` objects completed only in
        thread code (``set_result``, ``set_exception`` and ``cancel`` on the same future, each in thread
        code, at least one): they run in the worker thread that completes the future. Whether any was
        added."""
        added = False
        for call in self.semantic.nodes(ast.Call):
            func = call.func
            if (isinstance(func, ast.Attribute) and func.attr == "add_done_callback" and len(call.args) == 1
                    and not call.keywords and id(call.args[0]) not in self._entry_refs
                    and self._completed_in_threads(func.value)):
                self._target(call.args[0], Entry("a done-callback of a future a worker thread completes", call,
                                                 Invocation([], {}, complete=False)))
                added = True
        return added

    def _completed_in_threads(self, future: ast.expr) -> bool:
        kinds = self._executors
        if not _chain(future) or kinds.of(future) != CFUTURE or not self._bare_future(future):
            return False
        key = self._future_key(future)
        uses = [n for n in self.semantic.nodes(type(future)) if type(n.ctx) is ast.Load and self._future_key(n) == key]
        if any(not isinstance(self.semantic.parent(u), ast.Attribute) for u in uses):
            return False  # handed on (to a thread, a function, a return): completed where it goes
        completions = [
            c for c in self.semantic.nodes(ast.Call)
            if isinstance(c.func, ast.Attribute) and c.func.attr in ("set_result", "set_exception", "cancel")
            and self._future_key(c.func.value) == key
        ]
        return bool(completions) and all(self.in_thread(c) for c in completions)

    def _future_key(self, expr: ast.expr) -> Optional[tuple]:
        """What may make two expressions the same future: a name's bindings; for an attribute, its
        name alone (``other.done`` may be this ``self.done``)."""
        if isinstance(expr, ast.Name):
            return ("name", expr.id, tuple(id(b) for b in self.semantic.bindings_of(expr)))
        if isinstance(expr, ast.Attribute):
            return ("attr", expr.attr)
        return None

    def _bare_future(self, future: ast.expr) -> bool:
        """Whether every value the future's name or ``self`` attribute is given is ``concurrent.futures.Future()``
        (an executor's future is completed by its pool: ``_start`` knows those)."""
        if isinstance(future, ast.Name):
            values = [b.value for b in self.semantic.bindings_of(future)]
        else:
            owner = instance_class(self.semantic, future.value) if isinstance(future, ast.Attribute) else None
            if owner is None:
                return False
            values = [v for v, _, _ in self.semantic.typing.attribute_writes(owner).get(future.attr, ())]
        return bool(values) and all(
            isinstance(v, ast.Constant) and v.value is None
            or isinstance(v, ast.Call) and self.semantic.qualname(v.func) in _BARE_FUTURES for v in values
        )

    def _target(self, target: ast.expr, entry: Entry) -> None:
        """Record what ``target`` names as started by ``entry``, seeing through partial and lambda."""
        if isinstance(target, ast.Call) and self.semantic.qualname(target.func) == "functools.partial":
            if not target.args or isinstance(target.args[0], ast.Starred):
                return
            given = entry.invocation
            inner = _invocation(target.args[1:], target.keywords)
            inner.args = [*inner.args, *given.args]
            inner.keywords = {**inner.keywords, **given.keywords}
            inner.complete = inner.complete and given.complete
            self._target(target.args[0], Entry(entry.how, entry.starter, inner))
        elif isinstance(target, ast.Lambda):
            self._candidate(target).entries.append(entry)
            body = target.body
            if isinstance(body, ast.Call):
                self._target(body.func, Entry(entry.how, entry.starter, _invocation(body.args, body.keywords)))
        else:
            func, bound = self._function(target)
            if isinstance(func, ast.FunctionDef) and not func.decorator_list:
                entry.invocation.bound = bound
                self._entry_refs[id(target)] = entry
                self._candidate(func).entries.append(entry)

    def _candidate(self, node: FunctionNode) -> ThreadCode:
        return self._candidates.setdefault(id(node), ThreadCode(node))

    def _function(self, expr: ast.expr) -> tuple[Optional[ast.AST], bool]:
        """The def (or class) an expression names: ``f`` or ``self.method``; and whether bound."""
        if isinstance(expr, ast.Name):
            return self.semantic.definition(expr), False
        if isinstance(expr, ast.Attribute):
            owner = instance_class(self.semantic, expr.value)
            if owner is not None:
                found = [s for s in owner.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                         and s.name == expr.attr]
                if len(found) == 1 and not found[0].decorator_list:
                    return found[0], True
        return None, False

    def _find_subclass_runs(self) -> None:
        for node in self.semantic.nodes(ast.ClassDef):
            if self._is_thread_class(node, set()):
                runs = [s for s in node.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name == "run"]
                if len(runs) == 1 and isinstance(runs[0], ast.FunctionDef):
                    entry = Entry("threading.Thread subclass", node, Invocation([], {}, bound=True, complete=False))
                    self._candidate(runs[0]).entries.append(entry)

    def _is_thread_class(self, cls: ast.ClassDef, seen: set[int]) -> bool:
        if id(cls) in seen:
            return False
        seen.add(id(cls))
        for base in cls.bases:
            if self.semantic.qualname(base) == "threading.Thread":
                return True
            if isinstance(base, ast.Name):
                parent = self.semantic.definition(base)
                if isinstance(parent, ast.ClassDef) and self._is_thread_class(parent, seen):
                    return True
        return False

    # -- references --------------------------------------------------------------------------------

    def _collect_refs(self) -> None:
        defs = [*self.semantic.nodes(ast.FunctionDef), *self.semantic.nodes(ast.AsyncFunctionDef)]
        names = {d.name for d in (*defs, *self.semantic.nodes(ast.ClassDef))}
        for node in (*self.semantic.nodes(ast.Name), *self.semantic.nodes(ast.Attribute)):
            name = node.id if isinstance(node, ast.Name) else node.attr
            if name in names and type(node.ctx) is ast.Load:
                target, bound = self._function(node)
                if target is not None:
                    self._refs.setdefault(id(target), []).append(self._classify(node, bound))

    def _classify(self, node: ast.expr, bound: bool) -> _Ref:
        if id(node) in self._entry_refs:
            return _Ref(node, "entry")
        parent = self.semantic.parent(node)
        if isinstance(parent, ast.Call) and parent.func is node:
            return _Ref(node, "call", parent, bound)
        return _Ref(node, "other")

    # -- deciding ----------------------------------------------------------------------------------

    def _settle(self) -> None:
        """Keep the candidates used only as entries (or called from entries); add their helpers."""
        entries = {k: c for k, c in self._candidates.items() if not self._runs_own_loop(c.node)}
        changed = True
        while changed:
            changed = False
            for key, code in list(entries.items()):
                if isinstance(code.node, ast.Lambda):
                    continue
                if not self._only_from(code.node, entries, allow_entry=True):
                    del entries[key]
                    changed = True
        for code in entries.values():
            code.explicit = self._explicit(code)
        self._declare(entries)
        helpers: dict[int, ThreadCode] = {}
        for code in entries.values():
            for call in self.calls_in.get(id(code.node), ()):
                func, _ = self._function(call.func)
                if id(func) in helpers:
                    if code.node not in helpers[id(func)].helper_of:
                        helpers[id(func)].helper_of.append(code.node)
                elif (isinstance(func, ast.FunctionDef) and not func.decorator_list
                        and id(func) not in entries
                        and self._only_from(func, entries, allow_entry=False)
                        and not self._runs_own_loop(func)):
                    helpers[id(func)] = ThreadCode(func, helper_of=[code.node])
        for key, helper in list(helpers.items()):
            callers = [entries[id(n)] for n in helper.helper_of]
            helper.named = all(c.named for c in callers)
            if any(c.restricted for c in callers) and all(c.restricted or c.named for c in callers):
                # off only the callers' loops: those it reaches as the same ``self`` attributes
                helper.declared = [d for c in callers if c.restricted for d in c.declared
                                   if _self_chain(d, c.node) and _self_name(helper.node) == _self_name(c.node)]
                if not helper.declared or self._probes(helper.node):
                    del helpers[key]
            elif helper.named and self._probes(helper.node):
                del helpers[key]
        self.code = {**entries, **helpers}

    def _declare(self, entries: dict[int, ThreadCode]) -> None:
        """Add the plain functions that declare themselves thread code: by handing work to a loop
        from another thread, or by their name or docstring."""
        for func in self.semantic.nodes(ast.FunctionDef):
            if any(not (isinstance(d, ast.Name) and d.id in ("staticmethod", "classmethod")) for d in func.decorator_list):
                continue
            handoffs = [(c, loop) for c in self.calls_in.get(id(func), ()) for loop in [self._handoff(c)] if loop is not None]
            named = bool(_THREAD_NAME.search(func.name) or _says_other_thread(ast.get_docstring(func) or ""))
            if not (handoffs or named) or self._runs_own_loop(func) or self._probes(func) or self._signal_handler(func):
                continue
            code = entries.get(id(func))
            if code is None:
                code = entries[id(func)] = ThreadCode(func)
            code.handoffs = [c for c, _ in handoffs]
            code.declared = [loop for _, loop in handoffs]
            code.named = named and not code.entries and not handoffs

    def _handoff(self, call: ast.Call) -> Optional[ast.expr]:
        """The loop a call hands work to from another thread: ``L.call_soon_threadsafe(...)``,
        ``asyncio.run_coroutine_threadsafe(coro, L)`` — when ``L`` is a name or attributes on one."""
        loop: Optional[ast.expr] = None
        if isinstance(call.func, ast.Attribute) and call.func.attr == "call_soon_threadsafe":
            if call.args and isinstance(call.args[0], ast.Lambda) and isinstance(call.args[0].body, ast.Constant):
                return None  # ``call_soon_threadsafe(lambda: None)`` only wakes the loop up (from a signal handler...)
            loop = call.func.value
        elif self.semantic.qualname(call.func) in _RUN_COROUTINE_THREADSAFE:
            loop = call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords if k.arg == "loop"), None)
        return loop if loop is not None and _chain(loop) else None

    def _signal_handler(self, func: ast.AST) -> bool:
        """Whether the function is handed to ``signal.signal`` (directly or through ``functools.partial``):
        a signal handler runs in the main thread, between two steps of the loop running there."""
        for ref in self._refs.get(id(func), ()):
            node, up = ref.node, self.semantic.parent(ref.node)
            while isinstance(up, ast.Call) and node in up.args and self.semantic.qualname(up.func) == "functools.partial":
                node, up = up, self.semantic.parent(up)
            if isinstance(up, ast.Call) and node in up.args and self.semantic.qualname(up.func) == "signal.signal":
                return True
        return False

    def _probes(self, func: ast.AST) -> bool:
        """Whether a function asks which thread or loop it runs in (``threading.get_ident()``,
        ``asyncio.get_running_loop()``, a test naming the loop's thread...): it may then do the
        right thing on each side, and where it runs is not known from its hand-offs."""
        for call in self.calls_in.get(id(func), ()):
            name = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
            if name in _PROBES:
                return True
        for node in ast.walk(func):
            if isinstance(node, (ast.If, ast.IfExp, ast.While, ast.Assert)) and self.region(node) is func:
                if _THREAD_TEST.search(ast.unparse(node.test)):
                    return True
        return False

    def off_loop(self, node: ast.AST, code: ThreadCode) -> bool:
        """Whether ``node`` in ``code`` runs off the loop: for declared thread code, unless it sits in a
        branch that excludes every hand-off (``if ...: loop.call_soon(f) else: loop.call_soon_threadsafe(f)``)."""
        return not code.handoffs or not all(_exclusive(node, h, self.semantic) for h in code.handoffs)

    def is_declared(self, expr: ast.expr, code: ThreadCode) -> bool:
        """Whether ``expr`` is one of the loops declared thread code hands work to."""
        return any(ast.dump(expr) == ast.dump(d) for d in code.declared)

    def _only_from(self, func: ast.AST, entries: dict[int, ThreadCode], allow_entry: bool) -> bool:
        for ref in self._refs.get(id(func), ()):
            if ref.use == "entry" and allow_entry:
                continue
            if ref.use == "call" and _key(self.region(ref.node)) in entries:
                continue
            return False
        return True

    def _explicit(self, code: ThreadCode) -> bool:
        if isinstance(code.node, ast.Lambda):
            return True
        home = self.region(code.node)
        if home is None or isinstance(self.semantic.parent(code.node), ast.ClassDef):
            return False
        refs = self._refs.get(id(code.node), ())
        body = self.semantic.scope_for(home)
        return bool(code.entries) and all(r.use == "entry" for r in refs) and all(
            self._inside(e.starter, body) for e in code.entries
        )

    def _inside(self, node: ast.AST, scope: Scope) -> bool:
        """Whether ``node`` runs in ``scope`` or in a function or lambda nested in it."""
        current: Optional[Scope] = self.semantic.scope_of(node)
        while current is not None and current is not scope:
            current = current.parent
        return current is scope

    def _runs_own_loop(self, func: ast.AST) -> bool:
        for call in self.calls_in.get(id(func), ()):
            if self.semantic.qualname(call.func) in _OWN_LOOP_CALLS:
                return True
            if isinstance(call.func, ast.Attribute) and call.func.attr in _OWN_LOOP_METHODS:
                return True
        return False


def _says_other_thread(doc: str) -> bool:
    """Whether a sentence of a docstring says other threads call the function ("called from another
    thread", "this method is threadsafe"), and does not say they must not ("not safe to call from
    other threads")."""
    return any(_THREAD_DOC.search(s) and not _NEGATION.search(s) for s in re.split(r"\.\s", doc))


def _callee(call: ast.Call) -> str:
    func = call.func
    return f"{ast.unparse(func.value)}.{func.attr}" if isinstance(func, ast.Attribute) else ast.unparse(func)


def _chain(expr: ast.expr) -> bool:
    """A name or a chain of attributes on a name."""
    while isinstance(expr, ast.Attribute):
        expr = expr.value
    return isinstance(expr, ast.Name)


def _self_name(func: ast.AST) -> Optional[str]:
    if not isinstance(func, ast.FunctionDef) or func.decorator_list:
        return None
    params = [*func.args.posonlyargs, *func.args.args]
    return params[0].arg if params else None


def _self_chain(expr: ast.expr, func: ast.AST) -> bool:
    """``self.<attr>...`` where ``self`` is the method ``func``'s instance."""
    if not isinstance(expr, ast.Attribute):
        return False
    while isinstance(expr, ast.Attribute):
        expr = expr.value
    return isinstance(expr, ast.Name) and expr.id == _self_name(func)


def _exclusive(a: ast.AST, b: ast.AST, semantic: SemanticModel) -> bool:
    """Whether ``a`` and ``b`` sit in branches of one ``if``/``try`` that never both run."""
    def path(node: ast.AST) -> list[ast.AST]:
        out = [node]
        while (up := semantic.parent(out[-1])) is not None:
            out.append(up)
        return out[::-1]

    pa, pb = path(a), path(b)
    i = 0
    while i < min(len(pa), len(pb)) and pa[i] is pb[i]:
        i += 1
    if i == 0 or i >= min(len(pa), len(pb)):
        return False
    common, ca, cb = pa[i - 1], pa[i], pb[i]
    if isinstance(common, (ast.If, ast.IfExp)):
        return _branch(common, ca) != _branch(common, cb) and None not in (_branch(common, ca), _branch(common, cb))
    if isinstance(common, ast.Try):
        sides = {_try_side(common, ca), _try_side(common, cb)}
        return sides == {"body", "handler"}
    return False


def _branch(node: ast.AST, child: ast.AST) -> Optional[str]:
    body = node.body if isinstance(node.body, list) else [node.body]
    orelse = node.orelse if isinstance(node.orelse, list) else [node.orelse]
    if any(child is c for c in body):
        return "body"
    if any(child is c for c in orelse):
        return "orelse"
    return None


def _try_side(node: ast.Try, child: ast.AST) -> Optional[str]:
    if any(child is c for c in node.body):
        return "body"
    if any(child is c for c in node.handlers):
        return "handler"
    return None


def _key(node: Optional[ast.AST]) -> Optional[int]:
    return id(node) if node is not None else None


def _invocation(args: list[ast.expr], keywords: list[ast.keyword], bound: bool = False) -> Invocation:
    complete = not any(isinstance(a, ast.Starred) for a in args) and all(k.arg for k in keywords)
    return Invocation(list(args), {k.arg: k.value for k in keywords if k.arg}, bound, complete)


def _packed(args: Optional[ast.expr], kwargs: Optional[ast.expr]) -> Invocation:
    """The invocation ``Thread(args=(...), kwargs={...})`` makes; incomplete unless both are literals."""
    positional: list[ast.expr] = []
    complete = True
    if args is not None:
        if isinstance(args, (ast.Tuple, ast.List)) and not any(isinstance(e, ast.Starred) for e in args.elts):
            positional = list(args.elts)
        else:
            complete = False
    named: dict[str, ast.expr] = {}
    if kwargs is not None:
        if isinstance(kwargs, ast.Dict) and all(
            isinstance(k, ast.Constant) and isinstance(k.value, str) for k in kwargs.keys
        ):
            named = {k.value: v for k, v in zip(kwargs.keys, kwargs.values)}  # type: ignore[union-attr]
        else:
            complete = False
    return Invocation(positional, named, complete=complete)
