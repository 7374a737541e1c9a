"""What the thread rules share: which code runs in a worker thread (``threadflow``), what kind of
object a receiver is (``asynckinds``), the checker that runs the rules on one file, and the rewrite of
their plans (``rewrite``, LibCST).

A thread rule file has its ``RULE`` and three functions, each giving findings with their fix plans
(``Fix(action, safety, params)``, the actions ``rewrite`` knows):

- ``in_thread(checker, call, code)``: the finding about one call made in thread code (``code``, see
  ``threadflow``), or None; the checker offers each call to every rule, in the order of the calls, and
  a rule looks at the call's shape before it asks what kind of object the receiver is
  (``checker.kinds``, which remembers what it worked out);
- ``on_loop(checker)``: the findings in code that runs on the loop, after those;
- ``in_project(summary, index)``: the findings that need the other modules of the project, once
  every file is summarised: a file's summary (``codemods/summary.py``) read against the project index,
  whose types (terms of ``asyncmend.semantic.types``) it evaluates across modules.
"""
from __future__ import annotations

import ast
import re
from types import ModuleType
from typing import Optional

from asyncmend.model import Finding, Fix, Rule
from asyncmend.source import SourceFile

from ..family import Family
from ..index import ProjectIndex
from ..summary import ModuleSummary
from .adapter import ADAPTER_BASE, existing_adapter
from .asynckinds import LOOP, Kinds
from .threadflow import ThreadCode, ThreadFlow

SUMMARY = "asyncio across threads: loop, future, task and primitive methods called from worker threads"

# Shared by the rules' docs.
THREAD_CODE = """\
Thread code is a function or lambda handed to `threading.Thread(target=...)`, `threading.Timer`,
`loop.run_in_executor`, `asyncio.to_thread`, `executor.submit`/`map` (directly, through
`functools.partial` or a lambda) or to `add_done_callback` of a thread pool's future or of a bare
`concurrent.futures.Future()` whose every `set_result`/`set_exception`/`cancel` is in thread code, the `run`
method of a `threading.Thread` subclass, and the module's own functions they call (one level deep) —
never an `async def`, nor a function the module also calls elsewhere or schedules with
`call_soon_threadsafe`, nor code that creates or runs its own loop (`asyncio.set_event_loop(loop)`
alone runs none). Thread code is also what the code declares to be: a plain function that hands
work to a loop with `loop.call_soon_threadsafe()` or `asyncio.run_coroutine_threadsafe(..., loop)`
runs off *that* loop (its other calls on that loop, and on asyncio objects when that is the one loop
in sight, count; not in a branch that excludes the hand-off, nor in a function that checks which
thread or loop it runs in, nor in a signal handler or where the hand-off only wakes the loop up with
`call_soon_threadsafe(lambda: None)`), and so do the `self` methods only it calls; a function whose
name or docstring says another thread calls it (`*_threadsafe`, `*_from_thread`, "called from
another thread") is reported without a fix. The receiver must be one the code shows to be asyncio's
(from `asyncio.get_running_loop()`, `loop.create_future()`, ...; a parameter annotated so or given
one at every call in view; a function's return annotation; `loop or asyncio.get_event_loop()` with
`loop=None`; an attribute every assignment of which gives one, of `self` or of an instance of the
module's own class); a method name alone is never enough."""

THREAD_FIX_SAFETY = """\
## Fix safety
Safe when the thread entry is explicit in the same function body: a lambda handed straight to the
thread starter, or a function defined in the body that starts it (the start may sit in a lambda
nested there) and used nowhere else, so every caller is in view. Otherwise unsafe: a module-level
function, a method or a helper one call below the entry might also be called from the loop's thread
by code outside the module, and its loop or future is known only from the call sites in view; so is
code known to be off the loop only by its hand-offs. No fix where only a name or docstring says the
code runs in another thread."""
# Cheap text tests before any analysis: thread rules need a thread starter and asyncio (every loop or
# future the rules can tie comes through an asyncio name); AM304 needs a concurrent future's source.
_THREAD_HINT = re.compile(r"(?i)thread|Timer|run_in_executor|Executor")
_CFUTURE_HINT = re.compile(r"Executor|run_coroutine_threadsafe|concurrent")


def family(*rules: ModuleType) -> Family:
    def check(src: SourceFile) -> list[Finding]:
        text = src.text
        if not ("asyncio" in text and _THREAD_HINT.search(text)) and not (
            "await" in text and _CFUTURE_HINT.search(text)
        ):
            return []
        checker = ThreadChecker(src)
        found = []
        for call, code in checker.thread_calls():
            for rule in rules:
                finding = rule.in_thread(checker, call, code)
                if finding is not None:
                    found.append(finding)
        return found + [f for rule in rules for f in rule.on_loop(checker)]

    def resolve(summary: ModuleSummary, index: ProjectIndex, settings: object) -> list[Finding]:
        return [f for rule in rules for f in rule.in_project(summary, index)]

    return Family("threads", SUMMARY, tuple(rule.RULE for rule in rules), rewrite, check=check, resolve=resolve)


def rewrite(module, findings, locate, context):
    # LibCST is loaded only to rewrite: `asyncmend check` never pays for it (about 0.85 s).
    from .rewrite import rewrite as apply

    return apply(module, findings, locate, context)


class ThreadChecker:
    """One file as the thread rules see it."""

    def __init__(self, src: SourceFile):
        self.src = src
        self.semantic = src.semantic
        self.flow = ThreadFlow(src.tree, self.semantic)
        self.kinds = Kinds(self.semantic, self.flow)
        self.asyncio = self._module("asyncio")
        self._adapter: Optional[tuple[str, bool]] = None
        self._loops: dict[int, list[str]] = {}

    def thread_calls(self) -> list[tuple[ast.Call, ThreadCode]]:
        """Every call made in thread code (off the loop, for declared code), with that code."""
        return [(call, code) for code in self.flow.code.values() for call in self.flow.calls_in.get(id(code.node), ())
                if self.flow.off_loop(call, code)]

    def receiver(self, recv: ast.expr, code: ThreadCode) -> Optional[str]:
        """The kind of a receiver in thread code. Declared thread code is off its declared loops only:
        one of them is the loop; another loop may be the thread's own, and so may an asyncio object
        unless the declared loop is the one loop in sight."""
        if not code.restricted:
            return self.kinds.of(recv)
        if self.flow.is_declared(recv, code):
            return LOOP
        kind = self.kinds.of(recv)
        return kind if kind not in (None, LOOP) and len(self.loops_of(code)) == 1 else None

    def loops_of(self, code: ThreadCode) -> list[str]:
        """The loops thread code has in reach, by their text: for declared code its declared loops and
        any other loop its body uses; else the loops its body uses, those of the functions around it
        (names it does not rebind) and the loop attributes of its ``self``."""
        key = id(code.node)
        if key not in self._loops:
            found = {ast.unparse(d): None for d in code.declared}
            for node in ast.walk(code.node):
                if (isinstance(node, (ast.Name, ast.Attribute)) and type(node.ctx) is ast.Load and repeatable(node)
                        and self.flow.region(node) is code.node and self.kinds.of(node) == LOOP):
                    found[ast.unparse(node)] = None
            if not code.restricted:
                found.update(dict.fromkeys(self._outer_loops(code.node)))
            self._loops[key] = list(found)
        return self._loops[key]

    def _outer_loops(self, func: ast.AST) -> list[str]:
        own = self.semantic.scope_for(func)
        if own is None:
            return []
        found = []
        scope = own.parent
        while scope is not None and scope.is_function:
            for name, bindings in scope.bindings.items():
                if name not in own.bindings and self.kinds.bindings_kind(bindings) == LOOP:
                    found.append(name)
            scope = scope.parent
        params = [*func.args.posonlyargs, *func.args.args] if isinstance(func, ast.FunctionDef) else []
        owner = self.semantic.parent(func)
        if params and isinstance(owner, ast.ClassDef) and not func.decorator_list:
            me = params[0].arg
            found += [f"{me}.{name}" for name in self.kinds.attributes(owner) if self.kinds.attribute_kind(owner, name) == LOOP]
        return found

    def loop_in_reach(self, code: ThreadCode) -> Optional[str]:
        """The one loop thread code has in reach (its text), if there is exactly one."""
        loops = self.loops_of(code)
        return loops[0] if len(loops) == 1 else None

    def is_statement(self, call: ast.Call) -> bool:
        return isinstance(self.semantic.parent(call), ast.Expr)

    def _module(self, module: str) -> Optional[tuple[str, bool]]:
        """(name, already imported) to reach ``module`` at module level; None when no name is safe."""
        ref = self.semantic.module_ref(module)
        return (ref[0], not ref[1]) if ref is not None else None

    def calls_coroutine_function(self, expr: ast.expr) -> bool:
        if not isinstance(expr, ast.Call) or not isinstance(expr.func, ast.Name):
            return False
        return isinstance(self.semantic.definition(expr.func), ast.AsyncFunctionDef)

    def asyncio_params(self) -> dict:
        assert self.asyncio is not None
        name, present = self.asyncio
        return {"asyncio": name, "import": not present}

    def adapter_plan(self) -> Optional[dict]:
        """Where the adapter is (or will be): its name and whether it must be inserted."""
        if self._adapter is None:
            existing = existing_adapter(self.src.tree)
            if existing:
                self._adapter = (existing, False)
            else:
                self._adapter = (self.semantic.free(ADAPTER_BASE), True)
        name, insert = self._adapter
        concurrent = self._module("concurrent")
        if concurrent is None or concurrent[0] != "concurrent":
            return None
        return {"adapter": name, "insert": insert, "import": insert}

    def waited_for(self, code: ThreadCode) -> Optional[str]:
        """Where the code that starts this worker waits for it to end, if anywhere: ``thread.join()``,
        ``future.result()`` or ``await`` of what the starter returns, the shutdown of its executor
        (``shutdown()``, the end of ``with executor:``). The mirror adapter makes the worker wait for
        the loop; a loop that waits for the worker then never wakes."""
        if code.helper_of:  # a helper: the worker of every entry that calls it
            entries = [e for node in code.helper_of for e in self.flow.code[id(node)].entries]
        else:
            entries = code.entries
        if not entries:
            return "the worker's start is not in view"
        for entry in entries:
            starter = entry.starter
            if isinstance(starter, ast.ClassDef):
                joins = [c for c in self.semantic.nodes(ast.Call) if is_join(c)]
                if joins:
                    return f"`{short(joins[0].func)}()` at line {joins[0].lineno} may wait for this thread"
                continue
            waited = self._handle_waited(starter)
            if waited is None and isinstance(starter.func, ast.Attribute) and entry.how != "asyncio.to_thread":
                executor = starter.args[0] if entry.how == "loop.run_in_executor" else starter.func.value
                waited = self._executor_waited(executor)
            if waited is not None:
                return waited
        return None

    def _handle_waited(self, starter: ast.Call) -> Optional[str]:
        """How the code waits for the thread or future a thread starter gives, if it does: blocking
        (``join()``, ``result()``, ``exception()``, ``concurrent.futures.wait``) outside thread code,
        or ``await`` of the starter itself (that coroutine cannot go on to complete the future)."""
        node = starter
        parent = self.semantic.parent(node)
        while isinstance(parent, (ast.List, ast.Tuple, ast.Set, ast.ListComp, ast.comprehension, ast.Starred)):
            node, parent = parent, self.semantic.parent(parent)
        if isinstance(parent, ast.Call) and isinstance(self.semantic.parent(parent), ast.Await):
            parent = self.semantic.parent(parent)  # ``await asyncio.gather(run_in_executor(...))``
        if isinstance(parent, ast.Await):
            return f"the coroutine at line {parent.lineno} awaits this worker"
        uses = [node]
        if isinstance(parent, ast.Assign) and len(parent.targets) == 1 and repeatable(parent.targets[0]):
            target = parent.targets[0]
            handle = ast.dump(target).replace("Store()", "Load()")
            uses = [
                u for u in self.semantic.nodes(type(target))
                if type(u.ctx) is ast.Load and ast.dump(u) == handle and not self.flow.in_thread(u)
            ]
        for use in uses:
            how = self._blocking_wait(use)
            if how is not None:
                return how
        return None

    def _blocking_wait(self, use: ast.expr) -> Optional[str]:
        up = self.semantic.parent(use)
        if isinstance(up, ast.Attribute) and up.attr in ("join", "result", "exception"):
            call = self.semantic.parent(up)
            if isinstance(call, ast.Call) and call.func is up and not call.args and not call.keywords:
                return f"`{short(up)}()` at line {call.lineno} waits for this worker"
        if isinstance(up, ast.Await):
            return f"the coroutine at line {up.lineno} awaits this worker"
        while isinstance(up, (ast.List, ast.Tuple, ast.Set, ast.Starred)):
            up = self.semantic.parent(up)
        if isinstance(up, ast.Call) and self.semantic.qualname(up.func) in _CF_WAITS:
            return f"`{short(up.func)}()` at line {up.lineno} waits for this worker"
        return None

    def _executor_waited(self, executor: ast.expr) -> Optional[str]:
        if isinstance(executor, ast.Constant) or not repeatable(executor):
            return None  # the loop's default executor: shut down by ``asyncio.run`` after the tasks
        want = ast.dump(executor).replace("Store()", "Load()")
        for node in ast.walk(self.src.tree):
            if self.flow.in_thread(node):
                continue
            if isinstance(node, (ast.With, ast.AsyncWith)):
                for item in node.items:
                    if item.optional_vars is not None and ast.dump(item.optional_vars).replace("Store()", "Load()") == want:
                        return f"the executor's `with` block (line {node.lineno}) waits for its workers at its end"
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "shutdown":
                if ast.dump(node.func.value) == want and not no_wait(node):
                    return f"`{short(node.func)}()` at line {node.lineno} waits for the executor's workers"
        return None

    def finding(self, node: ast.expr, rule: Rule, fix: Optional[Fix], code: Optional[ThreadCode] = None,
                recv: Optional[str] = None, method: Optional[str] = None, note: str = "", what: str = "") -> Finding:
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            recv = recv or short(node.func.value)
            method = method or node.func.attr
        if code is not None and code.named:
            fix, note = None, "; no fix: only its name or docstring says it runs in another thread"
        message = rule.summary.format(recv=recv, method=method, how=code.how if code else "", what=what) + note
        src = self.src
        return Finding(
            path=src.path,
            rule=rule.code,
            name=rule.name,
            message=message,
            line=node.lineno,
            col=src.char_col(node.lineno, node.col_offset) + 1,
            end_line=node.end_lineno or node.lineno,
            end_col=src.char_col(node.end_lineno or node.lineno, node.end_col_offset or 0) + 1,
            fix=fix,
        )


def safety(code: ThreadCode) -> str:
    """A fix in thread code is safe only where every way into that code is in view."""
    return "safe" if code.explicit else "unsafe"


_CF_WAITS = {"concurrent.futures.wait", "concurrent.futures.as_completed"}


def is_join(call: ast.Call) -> bool:
    """``x.join()`` without a timeout (a string's ``join`` takes an argument)."""
    return isinstance(call.func, ast.Attribute) and call.func.attr == "join" and not call.args and not call.keywords


def no_wait(call: ast.Call) -> bool:
    """``shutdown(wait=False)`` / ``shutdown(False)``."""
    given = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "wait"), None)
    return isinstance(given, ast.Constant) and given.value is False


def plain_args(call: ast.Call) -> bool:
    return not call.keywords and not any(isinstance(a, ast.Starred) for a in call.args)


def repeatable(expr: ast.expr) -> bool:
    """A name or a chain of attributes on a name: evaluating it twice gives the same object."""
    while isinstance(expr, ast.Attribute):
        expr = expr.value
    return isinstance(expr, ast.Name)


def short(expr: ast.expr) -> str:
    text = ast.unparse(expr)
    return text if len(text) <= 40 else text[:37] + "..."


