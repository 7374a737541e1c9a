"""Per-file summary: what a module defines and which calls it makes whose value is dropped, from
``ast`` and the file's semantic model.

One pass over the ``ast`` collects every binding of every scope (``def``, ``class``, imports,
assignments, parameters, ...). The semantic model (``asyncmend.semantic``) then says, for each name
called with its value dropped, which scope owns it, as the compiler does (locals, ``global``/``nonlocal``,
closures, class scopes being skipped). A callee counts as a coroutine function only when *every* binding of its name in the
owning scope is an ``async def`` that is not an async generator and carries no decorator outside a
short allow-list: one assignment, import, parameter or ``del`` anywhere makes it unknown.

The summary is small plain data: module-level names and classes for the project index, and the call
sites with what they refer to, either decided here or left as a qualified name for the index. A call
site is a call statement, or a call inside an expression whose value is dropped all the same
(``CallSite.shape``): only tested for truth, dropped by the expression statement around it, or
assigned to a function's local name that nothing reads (``_Summarizer.never_read``).
"""
from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass, field
from typing import NamedTuple

from . import syncfix
from .asyncio_api import LOOP_FACTORY_NAMES
from .astwalk import dotted as dotted_name
from .astwalk import fallback_imports, walk_own

# Decorators known to leave an ``async def`` a coroutine function (resolved qualified names).
KEEPS_COROUTINE = frozenset(
    {
        "staticmethod",
        "classmethod",
        "abc.abstractmethod",
        "typing.overload",
        "typing.override",
        "typing_extensions.overload",
        "typing_extensions.override",
    }
)

COROUTINE_TYPES = frozenset({
    "typing.Coroutine", "collections.abc.Coroutine", "typing_extensions.Coroutine", "types.CoroutineType",
})
_TYPEVARS = frozenset({"typing.TypeVar", "typing_extensions.TypeVar"})


# Calls that may read the calling function's local variables by their names: builtins, debuggers
# and shells (``pdb.set_trace()``, IPython's ``embed()``), frame access (``sys._getframe()``).
_READS_FRAME = frozenset(
    {"locals", "vars", "eval", "exec", "breakpoint", "set_trace", "embed", "interact", "currentframe", "_getframe"}
)

# Binding kinds.
CORO = "coro"  # an async def that returns a coroutine when called
RETURNS_COROUTINE = "returns-coroutine"  # Binding.target of a CORO whose awaited result is a coroutine
RUNS_UNTIL_STOPPED = "runs-until-stopped"  # Binding.target of a CORO whose body loops until an error
CLASS = "class"
REF = "ref"  # an import: the binding is another qualified name
OTHER = "other"


class Binding(NamedTuple):
    """What one name is bound to, summarised over all its bindings in one scope.

    A REF target is a qualified name; ``module:name.attr`` marks where the module part ends (from a
    ``from module import name``), otherwise names are looked up attribute by attribute, as Python does.
    """

    kind: str
    target: str = ""  # the qualified name, for REF and CLASS


@dataclass
class ClassInfo:
    qualname: str
    bases: list[str]  # qualified names, "" where a base is not a plain (dotted) name
    methods: dict[str, Binding]
    assigned_attrs: set[str] = field(default_factory=set)
    # What the code shows of its instances (``semantic.types`` terms): attribute -> type (None:
    # assigned something not known, or two things), method -> (is async, what it returns).
    attr_types: dict[str, tuple | None] = field(default_factory=dict)
    returns: dict[str, tuple[bool, tuple]] = field(default_factory=dict)


class CallSite(NamedTuple):
    """A call statement whose value is dropped.

    ``target`` says what the callee refers to: ("coro", name) when decided locally, ("qual", dotted)
    for the index to resolve, ("method", class qualname, method name) for ``self.m()``/``cls.m()``,
    ("typed", term, method name) for a method of a receiver whose type the code shows (a term of
    ``asyncmend.semantic.types``, evaluated by the index).
    ``context`` is "async" inside a coroutine, "sync" inside a plain function, "module" at module
    level, "class" in a class body.
    """

    line: int
    col: int  # 0-based character column of the statement
    end_line: int
    end_col: int
    callee: str
    target: tuple[str, ...]
    context: str
    function: str  # qualified name of the enclosing function ("" at module level)
    entry: str = ""  # "main-guard" or "module" for a statement at a script's top level
    loop_plan: dict | None = None  # see codemods.syncfix, for calls in synchronous code
    alone: bool = False  # the statement is alone on its lines (it can become several statements)
    awaited: bool = False  # the statement is ``await call()``: its result is dropped
    # Where a call that is not a statement of its own drops its value (its position is the call's):
    # "tested" (only its truth is asked: ``if f():``, ``not f()``, ``f() or d``), "dropped" (an
    # expression statement drops it: ``x and f()``, ``a if c else f()``) or "assigned" (to ``bound``,
    # a local name never read). "" for the call statement itself.
    shape: str = ""
    bound: str = ""
    returns_nothing: bool = False  # the callee, seen in this module, has no ``return <value>``


class AwaitSite(NamedTuple):
    """``await x.attr``, where the code shows the attribute's type only as a term of the semantic
    model (``("attr", base, "attr")``, for the index to evaluate: a class of another module may
    assign it). The thread family reads these (AM304, a ``concurrent.futures.Future`` awaited)."""

    line: int
    col: int  # 0-based character column of the await
    end_line: int
    end_col: int
    term: tuple
    text: str  # the awaited expression, as written


@dataclass
class ModuleSummary:
    module: str
    path: str
    names: dict[str, Binding]
    classes: dict[str, ClassInfo]
    calls: list[CallSite]
    star_imports: list[str] = field(default_factory=list)  # modules of ``from m import *`` at module level
    module_loop: bool = False  # module-level code holds an event loop of its own
    rebinds: list[str] = field(default_factory=list)  # ``module.name`` of other modules assigned here
    returns: dict[str, tuple[bool, tuple]] = field(default_factory=dict)  # function -> (is async, type term)
    exports: list[str] | None = None  # ``__all__``, when the module states it as a literal
    awaits: list[AwaitSite] = field(default_factory=list)  # see AwaitSite (checked files only)
    # How the module reaches ``asyncio`` (``SemanticModel.module_ref``: a name, whether it must be
    # imported), for fixes that use it; None when no name is safe (checked files only).
    asyncio_ref: tuple[str, bool] | None = None


# --- binding collection ---------------------------------------------------------------------------

_SCOPE_NODES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


class _Scope:
    __slots__ = (
        "node", "kind", "parent", "qualname", "binds", "globals", "nonlocals", "has_yield",
        "children", "attr_stores", "reads_frame",
    )

    def __init__(self, node, kind: str, parent: "_Scope | None", qualname: str):
        self.node = node
        self.kind = kind  # module, function, async, lambda, class, comprehension
        self.parent = parent
        self.qualname = qualname
        self.binds: dict[str, list[tuple[str, object]]] = {}
        self.globals: set[str] = set()
        self.nonlocals: set[str] = set()
        self.has_yield = False
        self.children: list[_Scope] = []
        self.attr_stores: list[tuple[str, str]] = []  # (base name, attribute)
        self.reads_frame = False  # calls something that may read its local variables by name

    def bind(self, name: str, kind: str, info: object = None) -> None:
        self.binds.setdefault(name, []).append((kind, info))


class _Collector(ast.NodeVisitor):
    def __init__(self, module: str, is_package: bool):
        self.module = module
        self.package = module if is_package else module.rpartition(".")[0]
        self.root = _Scope(None, "module", None, module)
        self.scope = self.root
        self.fallbacks: set[int] = set()  # ``except ImportError: import trollius as asyncio``
        self.calls: list[tuple[_Scope, ast.Expr]] = []
        # Calls inside expressions whose value is dropped: (scope, call, tested, the name assigned
        # (None when the value is dropped whatever the name), ``bool(...)`` call to confirm or None).
        self.dropped: list[tuple[_Scope, ast.Call, bool, ast.Name | None, ast.Call | None]] = []
        self.scopes: list[_Scope] = [self.root]
        self.star_imports: list[int] = []
        self.name_calls: dict[str, list[ast.Call]] = {}  # the calls ``name(...)`` of each name
        self.awaited_attrs: list[ast.Await] = []  # ``await x.attr``
        self._dispatch: dict[type, object] = {}

    # scopes
    def _push(self, node, kind: str, name: str) -> _Scope:
        parent = self.scope
        prefix = parent.qualname + (".<locals>" if parent.kind in ("function", "async", "lambda") else "")
        scope = _Scope(node, kind, parent, f"{prefix}.{name}" if prefix else name)
        parent.children.append(scope)
        self.scopes.append(scope)
        self.scope = scope
        return scope

    def _pop(self) -> None:
        self.scope = self.scope.parent

    def _visit_args(self, args: ast.arguments, outer: bool) -> None:
        all_args = [*args.posonlyargs, *args.args, *args.kwonlyargs]
        if args.vararg:
            all_args.append(args.vararg)
        if args.kwarg:
            all_args.append(args.kwarg)
        if outer:  # defaults and annotations run in the enclosing scope
            for d in [*args.defaults, *args.kw_defaults]:
                if d is not None:
                    self.visit(d)
            for a in all_args:
                if a.annotation is not None:
                    self.visit(a.annotation)
        else:
            for a in all_args:
                self.scope.bind(a.arg, "param", _annotation_name(a.annotation))

    def _function(self, node, is_async: bool) -> None:
        for d in node.decorator_list:
            self.visit(d)
        self._visit_args(node.args, outer=True)
        if node.returns is not None:
            self.visit(node.returns)
        self.scope.bind(node.name, "async" if is_async else "def", node)
        self._push(node, "async" if is_async else "function", node.name)
        self._visit_args(node.args, outer=False)
        for stmt in node.body:
            self.visit(stmt)
        self._pop()

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._function(node, False)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._function(node, True)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._visit_args(node.args, outer=True)
        self._push(node, "lambda", "<lambda>")
        self._visit_args(node.args, outer=False)
        self.visit(node.body)
        self._pop()

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for d in node.decorator_list:
            self.visit(d)
        for b in node.bases:
            self.visit(b)
        for k in node.keywords:
            self.visit(k)
        self.scope.bind(node.name, "class", node)
        self._push(node, "class", node.name)
        for stmt in node.body:
            self.visit(stmt)
        self._pop()

    def _comprehension(self, node, elts) -> None:
        gens = node.generators
        self.visit(gens[0].iter)  # the first iterable runs in the enclosing scope
        self._push(node, "comprehension", "<comprehension>")
        for i, gen in enumerate(gens):
            if i:
                self.visit(gen.iter)
            self.visit(gen.target)
            for cond in gen.ifs:
                self.visit(cond)
        for e in elts:
            self.visit(e)
        self._pop()

    def visit_ListComp(self, node):
        self._comprehension(node, [node.elt])

    visit_SetComp = visit_GeneratorExp = visit_ListComp

    def visit_DictComp(self, node):
        self._comprehension(node, [node.key, node.value])

    def generic_visit(self, node: ast.AST) -> None:
        # NodeVisitor's own, without iter_fields: this loop is most of the summary's cost.
        visit = self.visit
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, list):
                for item in value:
                    if isinstance(item, ast.AST):
                        visit(item)
            elif isinstance(value, ast.AST):
                visit(value)

    def visit(self, node: ast.AST) -> None:
        method = self._dispatch.get(type(node))
        if method is None:
            method = self._dispatch[type(node)] = getattr(self, "visit_" + type(node).__name__, None) or False
        if method:
            method(node)
        else:
            self.generic_visit(node)

    def visit_Await(self, node: ast.Await) -> None:
        if isinstance(node.value, ast.Attribute):
            self.awaited_attrs.append(node)
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        pass  # nothing to bind; NodeVisitor's version only serves deprecated visit_Num & co.

    # bindings
    def visit_Name(self, node: ast.Name) -> None:
        if not isinstance(node.ctx, ast.Load):
            self.scope.bind(node.id, "store" if isinstance(node.ctx, ast.Store) else "del")

    def visit_Assign(self, node: ast.Assign) -> None:
        if id(node) in self.fallbacks:  # ``except ImportError: asyncio = None``
            self.visit(node.value)
            return
        target = node.targets[0] if len(node.targets) == 1 else None
        if isinstance(target, ast.Name):
            self._drops(node.value, False, target)
        if isinstance(target, ast.Name) and isinstance(node.value, ast.Call) and dotted_name(node.value.func):
            self.visit(node.value)
            self.scope.bind(target.id, "new", dotted_name(node.value.func))
            return
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if isinstance(node.target, ast.Name):
            if node.value is not None:
                self._drops(node.value, False, node.target)
            self.visit(node.annotation)
            if node.value is not None:
                self.visit(node.value)
            cls = _annotation_name(node.annotation)
            # ``x: Store = Store()``: the constructor, not the annotation, says what ``x`` is.
            built = isinstance(node.value, ast.Call) and cls is not None and dotted_name(node.value.func) == cls
            self.scope.bind(node.target.id, "new" if built else "annotated", cls)
            return
        self.generic_visit(node)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        scope = self.scope
        while scope.kind == "comprehension":
            scope = scope.parent
        scope.bind(node.target.id, "store")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if isinstance(node.ctx, (ast.Store, ast.Del)) and isinstance(node.value, ast.Name):
            self.scope.attr_stores.append((node.value.id, node.attr))
        self.visit(node.value)

    def visit_Call(self, node: ast.Call) -> None:
        func, args = node.func, node.args
        if isinstance(func, ast.Name) and func.id == "bool" and len(args) == 1 and not node.keywords:
            self._drops(args[0], True, None, node)
        if (func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)) in _READS_FRAME:
            self.scope.reads_frame = True
        if (
            isinstance(func, ast.Name) and func.id == "setattr" and len(args) >= 2
            and isinstance(args[0], ast.Name) and isinstance(args[1], ast.Constant) and isinstance(args[1].value, str)
        ):
            self.scope.attr_stores.append((args[0].id, args[1].value))
        if isinstance(func, ast.Name):
            self.name_calls.setdefault(func.id, []).append(node)
        self.generic_visit(node)

    def visit_Try(self, node: ast.Try) -> None:
        self.fallbacks.update(id(stmt) for stmt in fallback_imports(node))
        self.generic_visit(node)

    visit_TryStar = visit_Try

    def visit_Import(self, node: ast.Import) -> None:
        if id(node) in self.fallbacks:
            return
        for alias in node.names:
            if alias.asname:
                self.scope.bind(alias.asname, "import", alias.name)
            else:
                first = alias.name.partition(".")[0]
                self.scope.bind(first, "import", first)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if id(node) in self.fallbacks:
            return
        base = node.module or ""
        if node.level:
            parts = self.package.split(".") if self.package else []
            if node.level - 1 > len(parts):
                base = ""
            else:
                parts = parts[: len(parts) - (node.level - 1)]
                base = ".".join(p for p in [*parts, node.module or ""] if p)
        for alias in node.names:
            if alias.name == "*":
                self.star_imports.append(node.lineno)
                self.scope.bind("*", "star", base)
                continue
            # "module:name": the module part is found as a module, as ``from module import name`` does.
            self.scope.bind(alias.asname or alias.name, "import", f"{base}:{alias.name}" if base else "")

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.name:
            self.scope.bind(node.name, "store")
        self.generic_visit(node)

    def visit_MatchAs(self, node) -> None:
        if node.name:
            self.scope.bind(node.name, "store")
        self.generic_visit(node)

    def visit_MatchStar(self, node) -> None:
        if node.name:
            self.scope.bind(node.name, "store")

    def visit_MatchMapping(self, node) -> None:
        if node.rest:
            self.scope.bind(node.rest, "store")
        self.generic_visit(node)

    def visit_Global(self, node: ast.Global) -> None:
        self.scope.globals.update(node.names)

    def visit_Nonlocal(self, node: ast.Nonlocal) -> None:
        self.scope.nonlocals.update(node.names)

    def visit_Yield(self, node) -> None:
        self.scope.has_yield = True
        self.generic_visit(node)

    visit_YieldFrom = visit_Yield

    def visit_Expr(self, node: ast.Expr) -> None:
        value = node.value
        if isinstance(value, ast.Call) or (isinstance(value, ast.Await) and isinstance(value.value, ast.Call)):
            self.calls.append((self.scope, node))
        else:
            self._drops(value, False)
        self.generic_visit(node)

    # values dropped inside expressions

    def _drops(self, expr: ast.expr, tested: bool, name: ast.Name | None = None, via: ast.Call | None = None) -> None:
        """Record the calls whose value ``expr`` drops when its own value is dropped (``tested``: after
        asking only its truth; ``name``: when the name it is assigned to is never read)."""
        todo = [(expr, tested)]
        while todo:
            node, tested = todo.pop()
            if isinstance(node, ast.Call):
                self.dropped.append((self.scope, node, tested, name, via))
            elif isinstance(node, ast.IfExp):  # the test is dropped wherever it stands: visit_IfExp
                todo += [(node.body, tested), (node.orelse, tested)]
            elif isinstance(node, ast.BoolOp):
                # ``a or b``: a coroutine object is true, so it is the value; ``a and b``: the
                # first operands are dropped wherever they stand (visit_BoolOp).
                if isinstance(node.op, ast.Or):
                    todo += [(v, True) for v in node.values[:-1]]
                todo.append((node.values[-1], tested))

    def visit_If(self, node: ast.If) -> None:
        self._drops(node.test, True)
        self.generic_visit(node)

    visit_While = visit_Assert = visit_IfExp = visit_If

    def visit_UnaryOp(self, node: ast.UnaryOp) -> None:
        if isinstance(node.op, ast.Not):
            self._drops(node.operand, True)
        self.generic_visit(node)

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        if isinstance(node.op, ast.And):
            for value in node.values[:-1]:
                self._drops(value, True)
        self.generic_visit(node)


def _runs_until_stopped(node: ast.AsyncFunctionDef) -> bool:
    """A coroutine built around ``while True:`` that only an error (or cancellation) ends: a reader or
    a worker meant to run beside its caller, which awaiting would hold until then."""
    for stmt in node.body:
        loop = stmt
        while isinstance(loop, (ast.Try, ast.With, ast.AsyncWith)) and loop.body:
            loop = loop.body[0] if len(loop.body) == 1 else None
        if isinstance(loop, ast.While) and isinstance(loop.test, ast.Constant) and loop.test.value in (True, 1):
            return not any(_exits(s, False) for s in loop.body)
    return False


def _exits(node: ast.AST, handled: bool) -> bool:
    """Whether ``node`` holds a ``break`` or ``return`` of the loop around it outside an ``except``."""
    if isinstance(node, (ast.Break, ast.Return)):
        return not handled
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
        return False
    if isinstance(node, (ast.While, ast.For, ast.AsyncFor)):
        return any(isinstance(n, ast.Return) and not handled for n in walk_own(node.body + node.orelse))
    return any(
        _exits(child, handled or isinstance(node, ast.ExceptHandler)) for child in ast.iter_child_nodes(node)
    )


def _annotation_name(node: ast.expr | None) -> str | None:
    """The dotted class name an annotation names (also inside quotes), or None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            node = ast.parse(node.value, mode="eval").body
        except SyntaxError:
            return None
    return dotted_name(node) if node is not None else None


# --- classification -------------------------------------------------------------------------------


class _Summarizer:
    def __init__(self, collector: _Collector, source, module: str):
        self.c = collector
        self.src = source
        self.module = module
        self.root = collector.root
        self._owned: dict[int, dict[str, list]] = {}
        self._read: dict[int, set[str] | bool] = {}  # id(model scope) -> see _names_read
        self._attribute_bindings()
        source.semantic.typing.passed = self._param_passed

    def _attribute_bindings(self) -> None:
        """Move each binding to the scope that owns the name (``global``/``nonlocal`` declarations)."""
        for scope in self.c.scopes:
            for name, binds in scope.binds.items():
                owner = scope
                if name in scope.globals:
                    owner = self.root
                elif name in scope.nonlocals:
                    owner = self._enclosing_owner(scope, name) or scope
                self._owned.setdefault(id(owner), {}).setdefault(name, []).extend(binds)

    def _enclosing_owner(self, scope: _Scope, name: str) -> _Scope | None:
        s = scope.parent
        while s is not None and s.kind != "module":
            if s.kind in ("function", "async", "lambda") and name in s.binds and name not in s.nonlocals:
                return s
            s = s.parent
        return None

    def bindings(self, scope: _Scope, name: str) -> list:
        return self._owned.get(id(scope), {}).get(name, [])

    def decorator_name(self, node: ast.expr) -> str | None:
        if isinstance(node, ast.Call):
            return None
        dotted = dotted_name(node)
        if dotted is None:
            return None
        head, _, rest = dotted.partition(".")
        binds = self.bindings(self.root, head)
        if not binds:
            return dotted  # a builtin
        if len(binds) == 1 and binds[0][0] == "import":
            ref = binds[0][1].replace(":", ".")
            return f"{ref}.{rest}" if rest else ref
        return None

    def classify(self, scope: _Scope, name: str) -> Binding:
        binds = self.bindings(scope, name)
        if scope is self.root and self.c.star_imports:
            last_star = max(self.c.star_imports)
            if not binds or min(getattr(info, "lineno", 0) for _, info in binds) <= last_star:
                return Binding(OTHER)
        if not binds:
            return Binding(OTHER)
        if len(binds) == 1:
            kind, info = binds[0]
            if kind == "import":
                return Binding(REF, info) if info else Binding(OTHER)
            if kind == "class":
                return Binding(CLASS, self._scope_of(info).qualname)
        if all(
            (kind == "async" and self._is_coroutine_def(info)) or (kind == "def" and self._returns_coroutine(info))
            for kind, info in binds
        ):
            if all(kind == "async" and self._returns_coroutine(info) for kind, info in binds):
                return Binding(CORO, RETURNS_COROUTINE)
            if all(kind == "async" and _runs_until_stopped(info) for kind, info in binds):
                return Binding(CORO, RUNS_UNTIL_STOPPED)
            return Binding(CORO)
        return Binding(OTHER)

    def _scope_of(self, node) -> _Scope:
        return self._by_node[id(node)]

    @property
    def _by_node(self) -> dict[int, _Scope]:
        cache = getattr(self, "_by_node_cache", None)
        if cache is None:
            cache = self._by_node_cache = {id(s.node): s for s in self.c.scopes if s.node is not None}
        return cache

    def _is_coroutine_def(self, node: ast.AsyncFunctionDef) -> bool:
        if self._scope_of(node).has_yield:
            return False
        return all(self._keeps_coroutine(d) for d in node.decorator_list)

    def _keeps_coroutine(self, decorator: ast.expr) -> bool:
        """A decorator known to hand back the function it is given: one of KEEPS_COROUTINE, or a
        function of this module typed as the identity, ``def deco(func: T) -> T`` with ``T`` a
        ``TypeVar`` (what a type checker takes at its word)."""
        if self.decorator_name(decorator) in KEEPS_COROUTINE:
            return True
        if not isinstance(decorator, ast.Name):
            return False
        binds = self.bindings(self.root, decorator.id)
        if len(binds) != 1 or binds[0][0] != "def":
            return False
        args = binds[0][1].args
        params = [*args.posonlyargs, *args.args]
        returns = binds[0][1].returns
        if len(params) != 1 or args.vararg or args.kwarg or args.kwonlyargs or not isinstance(returns, ast.Name):
            return False
        if _annotation_name(params[0].annotation) != returns.id:
            return False
        typevar = self.bindings(self.root, returns.id)
        return len(typevar) == 1 and typevar[0][0] == "new" and self.decorator_name(
            ast.parse(typevar[0][1], mode="eval").body
        ) in _TYPEVARS

    def _returns_coroutine(self, node: ast.FunctionDef | ast.AsyncFunctionDef, seen: frozenset = frozenset()) -> bool:
        """A function annotated to return a coroutine whose body bears it out: a plain one creates a
        coroutine when called, an ``async def`` gives one when awaited.

        The annotation is a claim: only a body whose every ``return`` hands back a call it does not
        await (``return ping()``) is taken at its word; ``async def f() -> Coroutine: await x`` is a
        plain coroutine function with a wrong annotation."""
        if node.returns is None or not all(
            self.decorator_name(t.value if isinstance(t, ast.Subscript) else t) in COROUTINE_TYPES
            for t in _union_members(node.returns)
        ):
            return False
        if not all(self._keeps_coroutine(d) for d in node.decorator_list):
            return False
        if id(node) in seen:
            return False
        values = [n.value for n in walk_own(node.body) if isinstance(n, ast.Return)]
        seen = seen | {id(node)}
        return bool(values) and all(isinstance(v, ast.Call) and not self._plainly_not_coroutine(v, seen) for v in values)

    def _plainly_not_coroutine(self, call: ast.Call, seen: frozenset) -> bool:
        """``return dict(...)``, ``return Record(...)``, ``return helper()`` with ``helper`` a plain
        function of this module: a call whose result the module shows is no coroutine."""
        if not isinstance(call.func, ast.Name):
            return False
        binds = self.bindings(self.root, call.func.id)
        if not binds:
            return hasattr(builtins, call.func.id)
        return all(kind == "class" or (kind == "def" and not self._returns_coroutine(info, seen)) for kind, info in binds)

    # names at call sites
    def owner(self, scope: _Scope, name: str) -> _Scope | None:
        """The scope whose binding of ``name`` a reference in ``scope`` sees, or None (builtins), as
        the file's semantic model resolves it."""
        model = self.src.semantic
        here = model.module if scope is self.root else model.scope_for(scope.node)
        found = model.owner(name, here) if here is not None else None
        if found is None:
            return None
        if found is model.module:
            return self.root if self.bindings(self.root, name) else None
        return self._by_node.get(id(found.node))

    def resolve_name(self, scope: _Scope, name: str) -> tuple[_Scope | None, Binding]:
        owner = self.owner(scope, name)
        if owner is None:
            return None, Binding(OTHER)
        return owner, self.classify(owner, name)

    def enclosing_class(self, scope: _Scope) -> _Scope | None:
        """The class a method (or a function nested in one) belongs to, as ``super()`` sees it."""
        s = scope
        while s is not None and s.kind != "module":
            if s.kind in ("function", "async") and s.parent.kind == "class":
                return s.parent if self.bindings(self.root, "super") == [] else None
            s = s.parent
        return None

    def method_class(self, scope: _Scope, name: str) -> _Scope | None:
        """The class whose instance (or class) ``name`` is, when it is a method's first parameter."""
        owner = self.owner(scope, name)
        if owner is None or owner.kind not in ("function", "async") or owner.parent.kind != "class":
            return None
        node = owner.node
        params = [*node.args.posonlyargs, *node.args.args]
        if not params or params[0].arg != name:
            return None
        decorators = {self.decorator_name(d) for d in node.decorator_list}
        if "staticmethod" in decorators:
            return None
        if [k for k, _ in self.bindings(owner, name)] != ["param"]:
            return None  # the parameter is rebound somewhere in the method
        return owner.parent

    def target(self, scope: _Scope, func: ast.expr) -> tuple[str, ...] | None:
        if isinstance(func, ast.Name):
            owner, binding = self.resolve_name(scope, func.id)
            if binding.kind == CORO:
                return ("coro", func.id, binding.target)
            if binding.kind == REF:
                return ("qual", binding.target)
            return None
        if not isinstance(func, ast.Attribute):
            return None
        if _is_bare_super(func.value):
            cls = self.enclosing_class(scope)
            return ("super", cls.qualname, func.attr) if cls is not None else None
        dotted = dotted_name(func)
        if dotted is not None:
            head, _, rest = dotted.partition(".")
            if "." not in rest:
                cls = self.method_class(scope, head)
                if cls is not None:
                    return ("method", cls.qualname, rest)
            owner, binding = self.resolve_name(scope, head)
            if binding.kind in (REF, CLASS):
                return ("qual", f"{binding.target}.{rest}")
            if owner is not None and "." not in rest:
                found = self.instance_target(owner, head, rest)
                if found is not None:
                    return found
        # A receiver whose type the code shows: ``self.db.save()``, ``make_store().save()``, ...
        term = self.src.semantic.type_of(func.value)
        return ("typed", term, func.attr) if term is not None else None

    def instance_target(self, owner: _Scope, name: str, method: str) -> tuple[str, ...] | None:
        """``x.m()`` where ``x`` is a parameter annotated ``Class`` that every call of the function in
        this module fills with ``Class(...)``; other receivers are typed by the semantic model."""
        binds = self.bindings(owner, name)
        if len(binds) != 1 or binds[0][0] != "param" or not binds[0][1]:
            return None
        dotted = binds[0][1]
        head, _, rest = dotted.partition(".")
        # A parameter's annotation is evaluated where the function is defined.
        _, binding = self.resolve_name(owner.parent, head)
        if binding.kind not in (REF, CLASS) or not self._callers_pass(owner, name, dotted):
            return None
        return ("passed", f"{binding.target}.{rest}" if rest else binding.target, method)

    def _callers_pass(self, owner: _Scope, param: str, cls: str) -> bool:
        """Whether every call of the function ``owner`` in this module passes ``cls(...)`` for
        ``param``, and there is at least one, and the function is used only by being called (a
        function handed elsewhere may be called with anything). For a class's ``__init__``, the
        calls of the class. Other modules' calls are not in view, so a fix resting on this stays
        unsafe."""
        node = owner.node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return False
        args = node.args
        positional = [a.arg for a in (*args.posonlyargs, *args.args)]
        if owner.parent is self.root:
            callee, kind = node, "async" if isinstance(node, ast.AsyncFunctionDef) else "def"
        elif node.name == "__init__" and owner.parent.kind == "class" and owner.parent.parent is self.root:
            callee, kind, positional = owner.parent.node, "class", positional[1:]
        else:
            return False
        calls = self._calls_of(callee.name)
        if calls is None or self.bindings(self.root, callee.name) != [(kind, callee)]:
            return False
        for call in calls:
            if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
                return False
            given = [k.value for k in call.keywords if k.arg == param]
            if param in positional and positional.index(param) < len(call.args):
                given.append(call.args[positional.index(param)])
            if len(given) != 1 or not (isinstance(given[0], ast.Call) and dotted_name(given[0].func) == cls):
                return False
        return True

    def _param_passed(self, binding) -> bool:
        """For the semantic model's types: a parameter every call in view fills with its class."""
        owner = self._by_node.get(id(binding.scope.node))
        dotted = _annotation_name(binding.annotation)
        return owner is not None and dotted is not None and self._callers_pass(owner, binding.name, dotted)

    def _calls_of(self, name: str) -> list[ast.Call] | None:
        """The calls ``name(...)`` in the module, when the module reads ``name`` only to call it
        (every read of it, counted by the semantic model, is the callee of one of them)."""
        found = self.c.name_calls.get(name)
        if not found:
            return None
        reads = sum(len(scope.references.get(name, ())) for scope in self.src.semantic.scopes)
        return found if reads == len(found) else None

    def context(self, scope: _Scope) -> str:
        return {"async": "async", "function": "sync", "module": "module", "class": "class"}.get(
            scope.kind, "other"
        )

    def loop_plan(self, scope: _Scope, stmt: ast.Expr) -> dict | None:
        if scope is self.root:
            tree = self.src.tree
            blocks = [tree.body, *(s.body for s in tree.body if _is_main_guard(s))]
            block = next((b for b in blocks if any(x is stmt for x in b)), [])
            params = []
        else:
            block = scope.node.body
            args = scope.node.args
            params = [*args.posonlyargs, *args.args, *args.kwonlyargs]
        plan = syncfix.loop_plan(
            block, stmt, params,
            bound_once=lambda name: len(self.bindings(scope, name)) == 1,
            position=lambda node: (node.lineno, self.src.char_col(node.lineno, node.col_offset)),
        )
        return plan

    def summary(self, with_calls: bool = True) -> ModuleSummary:
        calls: list[CallSite] = []
        if with_calls and (self.c.calls or self.c.dropped):
            error = self.src.semantic.compile_error()
            if error is not None:  # ``ast`` accepts the file, the compiler does not
                raise SyntaxError(error[0], (self.src.path, error[1], 0, ""))
            entries = _script_entries(self.src.tree)
            for scope, stmt in self.c.calls:
                awaited = isinstance(stmt.value, ast.Await)
                call = stmt.value.value if awaited else stmt.value
                target = self.target(scope, call.func)
                if target is None:
                    continue
                context = self.context(scope)
                plan = self.loop_plan(scope, stmt) if context in ("sync", "module") else None
                calls.append(
                    CallSite(
                        line=stmt.lineno,
                        col=self.src.char_col(stmt.lineno, stmt.col_offset),
                        end_line=stmt.end_lineno,
                        end_col=self.src.char_col(stmt.end_lineno, stmt.end_col_offset),
                        callee=dotted_name(call.func) or ast.unparse(call.func),  # super().close
                        target=target,
                        context=self.context(scope),
                        function=scope.qualname if scope is not self.root else "",
                        entry=entries.get(id(stmt), ""),
                        loop_plan=plan,
                        alone=self.src.alone(stmt),
                        awaited=awaited,
                    )
                )
            calls += self.dropped_calls()
        owned = self._owned.get(id(self.root), {})
        names = {name: self.classify(self.root, name) for name in owned}
        names.pop("*", None)
        typing = self.src.semantic.typing
        returns = {}
        for name, binds in owned.items():
            if len(binds) == 1 and binds[0][0] in ("def", "async"):
                found = typing.returns(binds[0][1])
                if found is not None:
                    returns[name] = found
        classes = {}
        for s in self.c.scopes:
            if s.kind != "class":
                continue
            node = s.node
            bases = []
            for b in node.bases:
                dotted = dotted_name(b)
                if dotted is None:
                    bases.append("")
                    continue
                head, _, rest = dotted.partition(".")
                _, binding = self.resolve_name(s.parent, head)
                if binding.kind in (REF, CLASS):
                    bases.append(f"{binding.target}.{rest}" if rest else binding.target)
                else:
                    bases.append(dotted if not self.bindings(self.root, head) else "")
            methods = {name: self.classify(s, name) for name in self._owned.get(id(s), {})}
            attrs = {attr for child in s.children for _, attr in _all_attr_stores(child)}
            if s.parent is self.root:  # ``A.m = ...`` or ``setattr(A, "m", ...)`` anywhere in the module
                attrs.update(attr for scope, base, attr in self.attr_stores() if base == node.name
                             and (scope is self.root or base not in scope.binds))
            attr_types, method_returns = typing.class_types(node)
            classes[s.qualname] = ClassInfo(s.qualname, bases, methods, attrs, attr_types, method_returns)
        module_loop = any(
            kind == "new" and str(info).rpartition(".")[2] in LOOP_FACTORY_NAMES
            for binds in self._owned.get(id(self.root), {}).values()
            for kind, info in binds
        )
        stars = [str(info) for kind, info in owned.get("*", ()) if kind == "star" and info]
        awaits = self.awaits() if with_calls else []
        return ModuleSummary(
            self.module, self.src.path, names, classes, calls, star_imports=stars, module_loop=module_loop,
            rebinds=self.rebinds(), returns=returns, exports=_exports(self.src.tree), awaits=awaits,
            asyncio_ref=self.src.semantic.module_ref("asyncio") if awaits else None,
        )

    def awaits(self) -> list[AwaitSite]:
        """The ``await x.attr`` whose attribute's type is a term for the index (see AwaitSite)."""
        out = []
        for node in self.c.awaited_attrs:
            term = self.src.semantic.type_of(node.value)
            if term is None or term[0] != "attr":
                continue
            out.append(AwaitSite(
                node.lineno, self.src.char_col(node.lineno, node.col_offset),
                node.end_lineno, self.src.char_col(node.end_lineno, node.end_col_offset),
                term, ast.unparse(node.value),
            ))
        return out

    def dropped_calls(self) -> list[CallSite]:
        """Calls inside expressions whose value is dropped (see ``CallSite.shape``), in coroutines and
        plain functions, and conditions at module level."""
        calls, seen = [], set()
        model = self.src.semantic
        for scope, call, tested, name, via in self.c.dropped:
            context = self.context(scope)
            if id(call) in seen or context not in ("async", "sync", "module"):
                continue
            if name is not None and (context == "module" or not self.never_read(scope, name.id)):
                continue
            if via is not None and not model.is_builtin(via.func, "bool"):
                continue
            target = self.target(scope, call.func)
            if target is None:
                continue
            seen.add(id(call))
            calls.append(
                CallSite(
                    line=call.lineno,
                    col=self.src.char_col(call.lineno, call.col_offset),
                    end_line=call.end_lineno,
                    end_col=self.src.char_col(call.end_lineno, call.end_col_offset),
                    callee=dotted_name(call.func) or ast.unparse(call.func),
                    target=target,
                    context=context,
                    function=scope.qualname if scope is not self.root else "",
                    shape="tested" if tested else "assigned" if name is not None else "dropped",
                    bound=name.id if name is not None else "",
                    returns_nothing=tested and self.returns_nothing(scope, target),
                )
            )
        return calls

    def returns_nothing(self, scope: _Scope, target: tuple[str, ...]) -> bool:
        """Whether every ``async def`` the call's target names in this module (a function, or a
        method of a class of the module) lacks a ``return <value>``: awaited, it gives None."""
        if target[0] == "coro":
            binds = self.bindings(self.owner(scope, target[1]), target[1])
        elif target[0] == "method":
            cls = next((s for s in self.c.scopes if s.kind == "class" and s.qualname == target[1]), None)
            binds = self.bindings(cls, target[2]) if cls is not None else []
        else:
            return False
        return bool(binds) and all(
            kind == "async" and not any(isinstance(n, ast.Return) and n.value is not None for n in walk_own(info.body))
            for kind, info in binds
        )

    def never_read(self, scope: _Scope, name: str) -> bool:
        """Whether a name a function assigns is never read, so the value it is given is dropped: no
        load (or ``del``) of it in the function or in a nested scope that sees its binding, no
        ``global``/``nonlocal`` declaration of it there, and no call in the function that could read
        it by its name (``locals()``, ``eval``, a debugger, a shell: ``_READS_FRAME``). When unsure:
        read."""
        here = self.src.semantic.scope_for(scope.node)
        if here is None or name in here.globals or name in here.nonlocals:
            return False
        read = self._read.get(id(here))
        if read is None:
            read = self._read[id(here)] = self._names_read(scope, here)
        return read is not True and name not in read

    def _names_read(self, scope: _Scope, here) -> set[str] | bool:
        """The names of the function ``here`` (``scope`` in this summary) read in it or in the scopes
        nested in it, or True when it may read any of them by name."""
        todo = [scope]
        while todo:
            s = todo.pop()
            if s.reads_frame:
                return True
            todo += s.children
        model = self.src.semantic
        read = set(here.references)
        for inner in here.descendants():
            read.update(name for name in inner.references if model.owner(name, inner) is here)
        return read

    def attr_stores(self) -> list[tuple[_Scope, str, str]]:
        return [(scope, base, attr) for scope in self.c.scopes for base, attr in scope.attr_stores]

    def rebinds(self) -> list[str]:
        """Names of other modules this one assigns (``mod.f = ...`` after ``import mod``)."""
        out = []
        for scope, base, attr in self.attr_stores():
            binds = scope.binds.get(base) or self.root.binds.get(base) or []
            if len(binds) == 1 and binds[0][0] == "import" and binds[0][1]:
                out.append(f"{binds[0][1].replace(':', '.')}.{attr}")
        return out


def _union_members(node: ast.expr) -> list[ast.expr]:
    """The members of ``A | B`` (the annotation itself when it is no union)."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return [*_union_members(node.left), *_union_members(node.right)]
    return [node]


def _exports(tree: ast.Module) -> list[str] | None:
    """``__all__`` when the module assigns it once, a literal list or tuple of strings."""
    found = None
    for stmt in tree.body:
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [getattr(stmt, "target", None)]
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
            value = stmt.value
            if found is not None or not isinstance(value, (ast.List, ast.Tuple)) or not all(
                isinstance(e, ast.Constant) and isinstance(e.value, str) for e in value.elts
            ):
                return None
            found = [e.value for e in value.elts]
    return found


def _is_bare_super(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "super"
        and not node.args and not node.keywords
    )


def _is_main_guard(node: ast.stmt) -> bool:
    if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare):
        return False
    test = node.test
    sides = [test.left, *test.comparators]
    return (
        len(test.ops) == 1
        and isinstance(test.ops[0], ast.Eq)
        and any(isinstance(x, ast.Name) and x.id == "__name__" for x in sides)
        and any(isinstance(x, ast.Constant) and x.value == "__main__" for x in sides)
    )


def _script_entries(tree: ast.Module) -> dict[int, str]:
    """Statements at a script's top level: the module body and ``if __name__ == "__main__":``."""
    out = {id(stmt): "module" for stmt in tree.body}
    for stmt in tree.body:
        if _is_main_guard(stmt):
            out.update((id(s), "main-guard") for s in stmt.body)
    return out


def _all_attr_stores(scope: _Scope):
    yield from scope.attr_stores
    for child in scope.children:
        yield from _all_attr_stores(child)


def summarize(source, module: str, is_package: bool = False, with_calls: bool = True) -> ModuleSummary:
    """Summarise one parsed file (``source`` is a SourceFile whose ``tree`` parses).

    ``with_calls=False`` gives only what the project index needs from a file that is not checked.
    """
    if "semantic" not in vars(source):  # the model resolves relative imports through the module name
        source.module, source.is_package = module, is_package
    collector = _Collector(module, is_package)
    collector.visit(source.tree)
    return _Summarizer(collector, source, module).summary(with_calls)


# --- exchange format (``asyncmend index --output``) -------------------------------------------------


def summary_to_json(s: ModuleSummary) -> dict:
    """What the project index needs of a summary, as plain JSON data (call sites are not needed)."""
    return {
        "module": s.module,
        "path": s.path,
        "names": {n: [b.kind, b.target] for n, b in s.names.items()},
        "rebinds": s.rebinds,
        "star_imports": s.star_imports,
        "exports": s.exports,
        "returns": s.returns,
        "classes": {
            q: {
                "bases": c.bases,
                "methods": {n: [b.kind, b.target] for n, b in c.methods.items()},
                "assigned_attrs": sorted(c.assigned_attrs),
                "attr_types": c.attr_types,
                "returns": c.returns,
            }
            for q, c in s.classes.items()
        },
    }


def summary_from_json(data: dict) -> ModuleSummary:
    classes = {
        q: ClassInfo(
            q, list(c["bases"]), {n: Binding(*b) for n, b in c["methods"].items()}, set(c["assigned_attrs"]),
            {n: _tuples(t) for n, t in c["attr_types"].items()}, {n: _tuples(t) for n, t in c["returns"].items()},
        )
        for q, c in data["classes"].items()
    }
    names = {n: Binding(*b) for n, b in data["names"].items()}
    return ModuleSummary(
        data["module"], data["path"], names, classes, [], star_imports=list(data["star_imports"]),
        rebinds=list(data["rebinds"]), returns={n: _tuples(t) for n, t in data["returns"].items()},
        exports=data["exports"],
    )


def _tuples(value):
    """A type term (or a return entry) back from JSON, where tuples became lists."""
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value
