"""LibCST rewrites for the unawaited family, one per fix action:

- ``await``: ``foo()`` becomes ``await foo()``;
- ``await-result``: ``await foo()`` becomes ``await (await foo())`` (``foo`` returns a coroutine);
- ``asyncio-run``: ``main()`` becomes ``asyncio.run(main())``;
- ``loop-task``: ``foo()`` becomes ``task = loop.create_task(foo())``, and
  ``loop.run_until_complete(task)`` goes before (or after) the planned anchor statement;
- ``task``: ``foo()`` becomes a task kept alive in a module-level set until it is done.

A finding whose nodes cannot all be found is skipped whole: a fix is applied completely or not at all.
New names (``task``, ``task_2``, ``_background_tasks``) are chosen here, free in the whole module; an
existing module-level ``_background_tasks = set()`` is reused, so a second run adds nothing.
"""
from __future__ import annotations

import ast

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor

from asyncmend.locate import Locator
from asyncmend.model import Finding


def _call(func: str, *args: cst.BaseExpression) -> cst.Call:
    head, *rest = func.split(".")
    node: cst.BaseExpression = cst.Name(head)
    for attr in rest:
        node = cst.Attribute(value=node, attr=cst.Name(attr))
    return cst.Call(func=node, args=[cst.Arg(value=a) for a in args])


def _line(expr: cst.BaseExpression | cst.BaseSmallStatement) -> cst.SimpleStatementLine:
    small = expr if isinstance(expr, cst.BaseSmallStatement) else cst.Expr(expr)
    return cst.SimpleStatementLine(body=[small])


def _assign(name: str, value: cst.BaseExpression) -> cst.Assign:
    return cst.Assign(targets=[cst.AssignTarget(target=cst.Name(name))], value=value)


class _Mend(cst.CSTTransformer):
    def __init__(self, context: CodemodContext):
        super().__init__()
        self.context = context
        self.actions: dict[int, Finding] = {}  # Expr or SimpleStatementLine id -> finding
        self.before: dict[int, list[cst.SimpleStatementLine]] = {}
        self.after: dict[int, list[cst.SimpleStatementLine]] = {}
        self.names: dict[int, str] = {}  # new task variable per target node
        self.tasks_set = "_background_tasks"
        self.tasks_set_used = False

    # one statement, one expression

    def leave_Expr(self, original_node: cst.Expr, updated_node: cst.Expr) -> cst.BaseSmallStatement:
        finding = self.actions.get(id(original_node))
        call = updated_node.value
        if finding is not None and finding.fix.action == "await-result" and isinstance(call, cst.Await):
            inner = call.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
            return updated_node.with_changes(value=cst.Await(expression=inner))
        if finding is None or not isinstance(call, cst.Call):
            return updated_node
        action, params = finding.fix.action, finding.fix.params
        if action == "asyncio-run":
            AddImportsVisitor.add_needed_import(self.context, "asyncio")
            return updated_node.with_changes(value=_call("asyncio.run", call))
        if action == "loop-task":
            return _assign(self.names[id(original_node)], _call(f"{params['loop']}.create_task", call))
        return updated_node.with_changes(value=cst.Await(expression=call))

    # one statement becomes several

    def leave_SimpleStatementLine(self, original_node, updated_node):
        finding = self.actions.get(id(original_node))
        if finding is None:
            return updated_node
        [expr] = updated_node.body
        task, tasks = self.names[id(original_node)], self.tasks_set
        AddImportsVisitor.add_needed_import(self.context, "asyncio")
        self.tasks_set_used = True
        first = updated_node.with_changes(body=[_assign(task, _call("asyncio.create_task", expr.value))])
        return cst.FlattenSentinel(
            [
                first,
                _line(_call(f"{tasks}.add", cst.Name(task))),
                _line(_call(f"{task}.add_done_callback", cst.Attribute(cst.Name(tasks), cst.Name("discard")))),
            ]
        )

    # statements inserted around an anchor

    def _insert(self, original_body, updated_body):
        body = []
        for old, new in zip(original_body, updated_body):
            body.extend(self.before.get(id(old), ()))
            body.append(new)
            body.extend(self.after.get(id(old), ()))
        return body

    def leave_IndentedBlock(self, original_node, updated_node):
        if not (self.before or self.after):
            return updated_node
        return updated_node.with_changes(body=self._insert(original_node.body, updated_node.body))

    def leave_Module(self, original_node, updated_node):
        body = self._insert(original_node.body, updated_node.body) if (self.before or self.after) else list(
            updated_node.body
        )
        if self.tasks_set_used and not _keeps_set(updated_node, self.tasks_set):
            at = _after_imports(body)
            declaration = _line(_assign(self.tasks_set, _call("set"))).with_changes(
                leading_lines=[cst.EmptyLine()] if at else []
            )
            body.insert(at, declaration)
        return updated_node.with_changes(body=body)


def _keeps_set(module: cst.Module, name: str, exactly_a_set: bool = False) -> bool:
    """Whether the module binds ``name`` at its top level (to ``set()``, with ``exactly_a_set``)."""
    for stmt in module.body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.Assign) and any(
                    isinstance(t.target, cst.Name) and t.target.value == name for t in small.targets
                ):
                    value = small.value
                    return not exactly_a_set or (
                        isinstance(value, cst.Call) and isinstance(value.func, cst.Name)
                        and value.func.value == "set" and not value.args
                    )
    return False


def _after_imports(body: list[cst.BaseStatement]) -> int:
    """Index after the module's leading docstring and imports."""
    at = 0
    for i, stmt in enumerate(body):
        if not isinstance(stmt, cst.SimpleStatementLine):
            break
        if all(isinstance(s, (cst.Import, cst.ImportFrom)) for s in stmt.body) or (
            i == 0 and isinstance(stmt.body[0], cst.Expr) and isinstance(stmt.body[0].value, cst.SimpleString)
        ):
            at = i + 1
        else:
            break
    return at


def _taken_names(module: cst.Module) -> set[str]:
    taken = set()
    for node in ast.walk(ast.parse(module.code)):
        if isinstance(node, ast.Name):
            taken.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            taken.add(node.name)
        elif isinstance(node, ast.arg):
            taken.add(node.arg)
        elif isinstance(node, ast.alias):
            taken.add((node.asname or node.name).partition(".")[0])
    return taken


def _free_name(base: str, taken: set[str]) -> str:
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}_{n}"
    taken.add(name)
    return name


def _tasks_set_name(module: cst.Module, taken: set[str]) -> str:
    if _keeps_set(module, "_background_tasks", exactly_a_set=True):
        return "_background_tasks"
    return _free_name("_background_tasks", taken)


def rewrite(module: cst.Module, findings: list[Finding], locate: Locator, context: CodemodContext) -> cst.Module:
    mend = _Mend(context)
    needs_names = any(f.fix is not None and f.fix.action in ("task", "loop-task") for f in findings)
    taken = _taken_names(module) if needs_names else set()
    if any(f.fix is not None and f.fix.action == "task" for f in findings):
        mend.tasks_set = _tasks_set_name(module, taken)
    task_name = _free_name("task", set(taken)) if needs_names else "task"
    for f in findings:
        if f.fix is None:
            continue
        expr = locate(f, cst.Expr)
        if expr is None:
            continue
        if f.fix.action == "task":
            line = locate(f, cst.SimpleStatementLine)
            if line is None or len(line.body) != 1 or line.body[0] is not expr:
                continue
            mend.actions[id(line)] = f
            mend.names[id(line)] = task_name
            continue
        if f.fix.action == "loop-task":
            where, line, col = f.fix.params["anchor"]
            anchor = locate.at(line, col, cst.BaseStatement)
            if anchor is None:
                continue
            name = mend.names[id(expr)] = _free_name("task", taken)
            statement = _line(_call(f"{f.fix.params['loop']}.run_until_complete", cst.Name(name)))
            (mend.before if where == "before" else mend.after).setdefault(id(anchor), []).append(statement)
        mend.actions[id(expr)] = f
    return module.visit(mend) if mend.actions else module
