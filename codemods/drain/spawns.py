"""Tasks a file starts, and whether anything in the file ever waits for them.

A *spawn* is a call that starts a task on an event loop: ``asyncio.create_task(...)``,
``asyncio.ensure_future(...)``, ``<loop>.create_task(...)`` (a receiver that ``TaskExprs.is_loop``
accepts, so ``TaskGroup.create_task`` and nurseries are not spawns) and
``asyncio.run_coroutine_threadsafe(...)``.

A spawn is *left* when the code shows that nothing waits for it: its result is thrown away, or it is
kept (in a variable, an attribute, or a list/set it is added to) and every later use of that holder
only cancels it, adds a callback, asks ``done()``/``cancelled()``, or iterates it to do the same. Any
other use (awaited, gathered, passed to a function, returned, ``.result()``) counts as waiting: the
answer errs towards silence.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cached_property

from .drainfile import same
from .flow import Scope

SPAWNS = {
    f"asyncio.{module}{name}"
    for module in ("", "tasks.")
    for name in ("create_task", "ensure_future", "run_coroutine_threadsafe")
}
# What a use of a held task may do without waiting for it.
_IDLE_METHODS = {"cancel", "add_done_callback", "remove_done_callback", "done", "cancelled", "set_name", "get_name"}
# Methods that put a task into a container: the container becomes its holder.
_ADDERS = {"add", "append"}
# Methods of a container that neither wait for its tasks nor hand them on.
_IDLE_CONTAINER = {"add", "append", "discard", "remove", "clear", "__len__"}


@dataclass
class Spawn:
    call: ast.Call
    scope: Scope
    coro: ast.expr | None  # the coroutine (or awaitable) the task runs


class Spawns:
    """Spawns of one file (``DrainFile``) and the question "does anything wait for this one?"."""

    def __init__(self, file):
        self.file = file

    def spawn(self, call: ast.AST, scope: Scope) -> Spawn | None:
        if not isinstance(call, ast.Call):
            return None
        exprs = self.file.exprs
        func = call.func
        if exprs.qual(func) in SPAWNS:
            pass
        elif isinstance(func, ast.Attribute) and func.attr == "create_task" and exprs.is_loop(func.value, scope):
            pass
        else:
            return None
        coro = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg in ("coro", "coro_or_future")), None)
        return Spawn(call, scope, coro)

    def on_loop(self, spawn: Spawn, loop: ast.expr) -> bool:
        """Whether a spawn in synchronous code starts its task on ``loop`` (or on the default loop)."""
        func = spawn.call.func
        if isinstance(func, ast.Attribute) and func.attr == "create_task":
            return same(func.value, loop)
        qual = self.file.exprs.qual(func) or ""
        given = [k.value for k in spawn.call.keywords if k.arg == "loop"]
        if qual.endswith("run_coroutine_threadsafe"):
            given += spawn.call.args[1:2]
        return not given or same(given[0], loop)

    def in_scope(self, scope: Scope) -> list[Spawn]:
        return [s for s in (self.spawn(c, scope) for c in scope.calls) if s is not None]

    def left(self, spawn: Spawn) -> bool:
        """Whether nothing in the file waits for the task ``spawn`` starts."""
        if id(spawn.call) in spawn.scope.in_lambda:
            return False
        return self._holder_idle(spawn.call, spawn.scope, depth=0)

    # -- uses ---------------------------------------------------------------------------------

    @cached_property
    def _parents(self) -> dict[int, ast.AST]:
        return {id(child): node for node in ast.walk(self.file.src.tree) for child in ast.iter_child_nodes(node)}

    @cached_property
    def _attribute_loads(self) -> dict[str, list[ast.Attribute]]:
        found: dict[str, list[ast.Attribute]] = {}
        for node in ast.walk(self.file.src.tree):
            if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
                found.setdefault(node.attr, []).append(node)
        return found

    @cached_property
    def _attribute_stores(self) -> dict[str, list[tuple[Scope, ast.stmt]]]:
        found: dict[str, list[tuple[Scope, ast.stmt]]] = {}
        for scope in self.file.scopes:
            for stmt in scope.statements:
                if isinstance(stmt, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
                    for target in getattr(stmt, "targets", None) or [stmt.target]:
                        for node in ast.walk(target):
                            if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                                found.setdefault(node.attr, []).append((scope, stmt))
        return found

    def attribute_stores(self, attr: str) -> list[tuple[Scope, ast.stmt]]:
        """Every assignment statement (with its scope) that sets an attribute named ``attr``."""
        return list(self._attribute_stores.get(attr, ()))

    def attribute_loads(self, attr: str) -> list[ast.Attribute]:
        """Every read of an attribute named ``attr``, on any object, anywhere in the file."""
        return list(self._attribute_loads.get(attr, ()))

    def idle_use(self, use: ast.expr, also: tuple[str, ...] = ()) -> bool:
        """Whether this read of a task only cancels it or asks about it (never waits for it); ``also``:
        more methods that count as such."""
        parent = self._parents.get(id(use))
        if also and isinstance(parent, ast.Attribute) and parent.attr in also:
            call = self._parents.get(id(parent))
            return isinstance(call, ast.Call) and call.func is parent
        return self._use_idle(use, container=False)

    def parent(self, node: ast.AST) -> ast.AST | None:
        return self._parents.get(id(node))

    def ancestors(self, node: ast.AST):
        """The nodes around ``node``, innermost first, up to its statement."""
        node = self._parents.get(id(node))
        while node is not None and not isinstance(node, ast.stmt):
            yield node
            node = self._parents.get(id(node))

    def _holder_idle(self, expr: ast.expr, scope: Scope, depth: int) -> bool:
        """Whether the value of ``expr`` is only kept, never waited for or handed on."""
        if depth > 3:
            return False
        parent = self._parents.get(id(expr))
        if isinstance(parent, ast.Expr):
            return True  # thrown away
        if isinstance(parent, (ast.ListComp, ast.SetComp)) and parent.elt is expr:
            return self._holder_idle(parent, scope, depth + 1)
        if isinstance(parent, ast.Call) and expr in parent.args and isinstance(parent.func, ast.Attribute):
            if parent.func.attr in _ADDERS and len(parent.args) == 1:
                return self._container_idle(parent.func.value, scope, depth + 1)
            return False
        if isinstance(parent, ast.Assign) and len(parent.targets) == 1:
            return self._target_idle(parent.targets[0], scope, depth)
        if isinstance(parent, ast.AnnAssign) and parent.value is expr:
            return self._target_idle(parent.target, scope, depth)
        return False

    def _container_idle(self, holder: ast.expr, scope: Scope, depth: int) -> bool:
        if isinstance(holder, (ast.Name, ast.Attribute)):
            return all(self._use_idle(use, container=True) for use in self._loads(holder, scope))
        return False

    def _target_idle(self, target: ast.expr, scope: Scope, depth: int) -> bool:
        if isinstance(target, (ast.Name, ast.Attribute)):
            return all(self._use_idle(use, container=False) for use in self._loads(target, scope))
        return False

    def _loads(self, holder: ast.expr, scope: Scope) -> list[ast.expr]:
        """Every read of a variable (anywhere in its function, or anywhere in the file for a module
        variable) or of an attribute of that name (on any object, anywhere in the file)."""
        if isinstance(holder, ast.Attribute):
            return self.attribute_loads(holder.attr)
        root = scope.node if isinstance(scope.node, (ast.FunctionDef, ast.AsyncFunctionDef)) else self.file.src.tree
        return [
            n for n in ast.walk(root)
            if isinstance(n, ast.Name) and n.id == holder.id and isinstance(n.ctx, ast.Load)
        ]

    def _use_idle(self, use: ast.expr, container: bool) -> bool:
        parent = self._parents.get(id(use))
        if isinstance(parent, (ast.If, ast.While, ast.IfExp)) and parent.test is use:
            return True
        if isinstance(parent, (ast.BoolOp, ast.UnaryOp)) and isinstance(self._parents.get(id(parent)), (ast.If, ast.BoolOp)):
            return True
        if isinstance(parent, ast.Compare) and all(
            isinstance(c, ast.Constant) and c.value is None for c in parent.comparators
        ) and parent.left is use:
            return True
        if isinstance(parent, ast.Attribute) and parent.value is use:
            call = self._parents.get(id(parent))
            allowed = _IDLE_CONTAINER if container else _IDLE_METHODS
            return isinstance(call, ast.Call) and call.func is parent and parent.attr in allowed
        if container and isinstance(parent, ast.For) and parent.iter is use and not parent.orelse:
            return isinstance(parent.target, ast.Name) and all(
                isinstance(s, ast.Expr) and self._use_idle_call(s.value, parent.target.id) for s in parent.body
            )
        if container and isinstance(parent, ast.Call) and isinstance(parent.func, ast.Name):
            return parent.func.id in ("len", "bool") and not parent.keywords
        return False

    def _use_idle_call(self, node: ast.expr, name: str) -> bool:
        return (
            isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _IDLE_METHODS
            and isinstance(node.func.value, ast.Name) and node.func.value.id == name
        )
