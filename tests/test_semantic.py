"""The semantic model: scopes, bindings and names, with ``symtable`` as the oracle for scoping."""
from __future__ import annotations

import ast
import collections
import symtable
import sysconfig
import textwrap
from pathlib import Path

import pytest

from asyncmend import semantic
from asyncmend.semantic import FREE, GLOBAL_EXPLICIT, GLOBAL_IMPLICIT, LOCAL, SemanticModel


def model(code: str, module: str = "", is_package: bool = False) -> SemanticModel:
    return SemanticModel(ast.parse(textwrap.dedent(code)), module, is_package)


def names(m: SemanticModel, ident: str) -> list[ast.Name]:
    return [n for n in ast.walk(m.tree) if isinstance(n, ast.Name) and n.id == ident and isinstance(n.ctx, ast.Load)]


def function(m: SemanticModel, name: str) -> semantic.Scope:
    (scope,) = [s for s in m.scopes if getattr(s.node, "name", None) == name]
    return scope


def kinds(m: SemanticModel, ident: str) -> list[str]:
    return [b.kind for b in m.bindings_of(names(m, ident)[-1])]


# -- the example, and qualified names ------------------------------------------------------


def test_a_local_of_another_function_does_not_hide_the_module_import():
    m = model(
        """
        import asyncio
        def other():
            asyncio = None
            return asyncio
        def main():
            return asyncio.Task.all_tasks()
        """
    )
    call = [n for n in ast.walk(m.tree) if isinstance(n, ast.Call)][0]
    assert m.qualname(call.func) == "asyncio.Task.all_tasks"
    assert m.qualname(names(m, "asyncio")[0]) is None  # in ``other``: its own local


@pytest.mark.parametrize(
    "imports, expr, qual",
    [
        ("import asyncio", "asyncio.sleep", "asyncio.sleep"),
        ("import asyncio as aio", "aio.sleep", "asyncio.sleep"),
        ("import os.path", "os.path.join", "os.path.join"),
        ("import os.path as p", "p.join", "os.path.join"),
        ("from asyncio import sleep", "sleep", "asyncio.sleep"),
        ("from asyncio import tasks as t", "t.Task", "asyncio.tasks.Task"),
        ("from . import sibling", "sibling.f", "pkg.sub.sibling.f"),
        ("from .. import up", "up", "pkg.up"),
        ("from .mod import x as y", "y", "pkg.sub.mod.x"),
        ("from ...too_far import x", "x", None),
        ("", "len", "builtins.len"),
        ("", "undefined_name", None),
        ("from x import *", "len", None),  # the star import may bind it
    ],
)
def test_qualified_names_through_every_import_form(imports, expr, qual):
    m = model(f"{imports}\n{expr}\n", module="pkg.sub.here")
    assert m.qualname(m.tree.body[-1].value) == qual


def test_relative_imports_of_a_package_init_and_of_an_unknown_module():
    code = "from .mod import x\nx\n"
    m = model(code, module="pkg", is_package=True)
    assert m.qualname(m.tree.body[-1].value) == "pkg.mod.x"
    m = model(code)
    assert m.qualname(m.tree.body[-1].value) is None


def test_a_name_rebound_in_its_scope_is_unknown_and_imports_in_functions_count():
    m = model(
        """
        import asyncio
        asyncio = wrap(asyncio)
        asyncio.run
        def f():
            import trio as asyncio
            return asyncio.run
        """
    )
    module_use, in_f = [n for n in ast.walk(m.tree) if isinstance(n, ast.Attribute) and n.attr == "run"]
    assert m.qualname(module_use) is None
    assert m.qualname(in_f) == "trio.run"


def test_global_declaration_makes_a_function_binding_a_binding_of_the_module():
    m = model(
        """
        import asyncio
        def f():
            global asyncio
            asyncio = None
        asyncio.run
        """
    )
    assert m.qualname(m.tree.body[-1].value) is None
    assert [b.kind for b in m.bindings_of(m.tree.body[-1].value.value)] == ["import", "assignment"]


def test_fallback_imports_and_type_checking_imports_are_marked():
    m = model(
        """
        from typing import TYPE_CHECKING
        try:
            import asyncio
        except ImportError:
            import trollius as asyncio
        if TYPE_CHECKING:
            from collections.abc import Awaitable
        asyncio.sleep
        Awaitable
        """
    )
    found = m.module.bindings
    assert [b.fallback for b in found["asyncio"]] == [False, True]
    assert found["Awaitable"][0].type_checking and not found["asyncio"][0].type_checking
    assert m.qualname(m.tree.body[-2].value) == "asyncio.sleep"
    assert m.qualname(m.tree.body[-1].value) == "collections.abc.Awaitable"


def test_is_builtin_where_the_name_stands():
    m = model(
        """
        def f():
            list = []
            return list
        def g():
            return list
        """
    )
    in_f, in_g = names(m, "list")
    assert not m.is_builtin(in_f, "list") and m.is_builtin(in_g, "list")


# -- scoping rules ---------------------------------------------------------------------------------


def test_class_scope_is_not_seen_from_its_methods_but_is_from_its_body():
    m = model(
        """
        x = "module"
        class C:
            x = "class"
            y = x
            def m(self):
                return x
        """
    )
    in_body, in_method = names(m, "x")
    assert m.owner("x", m.scope_of(in_body)).kind == "class"
    assert m.owner("x", m.scope_of(in_method)) is m.module


def test_comprehensions_are_scopes_whose_first_iterable_runs_outside():
    m = model(
        """
        class C:
            items = [1]
            first = [i for i in items]
            other = [items for _ in range(1)]
        """
    )
    first, other = m.tree.body[0].body[1].value, m.tree.body[0].body[2].value
    in_first_iter, in_element = first.generators[0].iter, other.elt
    assert m.owner("items", m.scope_of(in_first_iter)).kind == "class"
    assert m.owner("items", m.scope_of(in_element)) is None  # class scope skipped, no global
    assert "i" not in function_scope_names(m, "class")


def function_scope_names(m: SemanticModel, kind: str) -> set[str]:
    return {n for s in m.scopes if s.kind == kind for n in s.bindings}


def test_walrus_in_a_comprehension_binds_in_the_enclosing_function():
    m = model(
        """
        def f(xs):
            if any((last := x) for x in xs):
                return last
        """
    )
    f = function(m, "f")
    assert [b.kind for b in f.bindings["last"]] == ["walrus"]
    (comp,) = f.children
    assert m.classify("last", comp) == FREE and m.classify("x", comp) == LOCAL


def test_global_nonlocal_and_del():
    m = model(
        """
        counter = 0
        def outer():
            value = 1
            def inner():
                nonlocal value
                global counter
                value += 1
                counter += 1
            def deleter():
                del counter
            return inner
        """
    )
    inner, deleter = function(m, "inner"), function(m, "deleter")
    assert m.classify("value", inner) == FREE and m.owner("value", inner) is function(m, "outer")
    assert m.classify("counter", inner) == GLOBAL_EXPLICIT and m.owner("counter", inner) is m.module
    assert m.classify("counter", deleter) == LOCAL
    assert [b.kind for b in deleter.bindings["counter"]] == ["del"]


def test_star_imports_are_recorded_and_make_unbound_names_unknown():
    m = model("from os.path import *\ndef f():\n    return join\n")
    assert m.module.star_imports and m.qualname(names(m, "join")[0]) is None


def test_binding_kinds():
    m = model(
        """
        import a
        from b import c
        d = 1
        e += 1
        f: int
        g: int = 2
        def h(i, *j, k=1, **l): ...
        class M: ...
        for n in []: ...
        with o() as p: ...
        try: ...
        except E as q: ...
        match r:
            case [s, *t]: ...
            case {"k": 1, **u}: ...
        (v := 1)
        [w for w in []]
        del d
        """
    )
    got = {name: [b.kind for b in found] for s in m.scopes for name, found in s.bindings.items()}
    assert got == {
        "a": ["import"], "c": ["from-import"], "d": ["assignment", "del"], "e": ["augmented"], "f": ["annotation"],
        "g": ["assignment"], "h": ["def"], "i": ["parameter"], "j": ["parameter"], "k": ["parameter"],
        "l": ["parameter"], "M": ["class"], "n": ["for"], "p": ["with"], "q": ["except"], "s": ["match"],
        "t": ["match"], "u": ["match"], "v": ["walrus"], "w": ["comprehension"],
    }
    assert m.module.bindings["g"][0].annotation is not None and m.module.bindings["p"][0].value is not None


def test_defaults_decorators_and_annotations_run_in_the_enclosing_scope():
    m = model(
        """
        def outer(T):
            @deco(T)
            def f(x: T = T) -> T:
                return lambda y=x: y
            return f
        """
    )
    for use in names(m, "T"):
        assert m.scope_of(use) is function(m, "outer")
    assert m.classify("T", function(m, "f")) is None
    assert m.classify("x", function(m, "f")) == LOCAL  # the lambda's default is read in ``f``


def test_future_annotations_are_not_references():
    m = model("from __future__ import annotations\ndef f(x: Foo) -> Bar:\n    y: Baz = 1\n")
    assert not {"Foo", "Bar", "Baz"} & (m.module.symbols() | function(m, "f").symbols())
    assert m.scope_of(names(m, "Baz")[0]) is function(m, "f")  # still resolvable where written


def test_super_gives_methods_the_class_cell():
    m = model("class C:\n    def m(self):\n        return super().m()\n")
    assert m.classify("__class__", function(m, "m")) == FREE


def test_statement_order_within_a_scope():
    m = model(
        """
        def f():
            x = 1
            use(x)
            x = 2
        """
    )
    use = names(m, "x")[0]
    assert [b.value.value for b in m.bindings_of(use)] == [1, 2]
    assert [b.value.value for b in m.bindings_before(use)] == [1]
    assert [type(s).__name__ for s in function(m, "f").statements] == ["Assign", "Expr", "Assign"]


# -- free names for new variables -------------------------------------------------------------------


def test_free_names_avoid_the_scope_and_what_nested_scopes_see():
    m = model(
        """
        import asyncio
        def count():
            return len(pending)
        def main(loop, task):
            def inner():
                return pending_task
        """
    )
    main = function(m, "main").node
    assert m.free("task", "pending_task", scope=main) == "task_2"
    assert m.free("pending", scope=None) == "pending_2"  # read as a global by ``count``
    assert m.free("pending", scope=main) == "pending"  # a global read elsewhere is no local clash
    assert m.free("list", "asyncio", "x") == "x"


@pytest.mark.parametrize(
    "code",
    [
        "from __future__ import *\n",
        "from __future__ import braces\n",
        '"doc"\nfrom __future__ import annotations\n',
        "nonlocal x\n",
        "def f(a):\n    global a\n",
        "def f(a):\n    nonlocal a\n",
        "def f():\n    global x\n    nonlocal x\n",
        "def f():\n    nonlocal x\n",
        "x = 1\nclass C:\n    def f(self):\n        nonlocal x\n",
        "def g():\n    x = 1\n    class C:\n        def f(self):\n            nonlocal x\n",
        "def g():\n    x = 1\n    class C:\n        nonlocal x\n",
    ],
)
def test_compile_errors_are_those_of_symtable(code):
    try:
        symtable.symtable(code, "<test>", "exec")
        expected = None
    except SyntaxError as exc:
        expected = (exc.msg, exc.lineno)
    assert model(code).compile_error() == expected


# -- symtable as the oracle ------------------------------------------------------------------------

_SCOPE_NAMES = {ast.ListComp: "listcomp", ast.SetComp: "setcomp", ast.DictComp: "dictcomp", ast.GeneratorExp: "genexpr"}


def _key(scope: semantic.Scope) -> tuple[str, int]:
    node = scope.node
    return getattr(node, "name", None) or _SCOPE_NAMES.get(type(node), "lambda"), node.lineno


def _expected(sym: symtable.Symbol) -> str | None:
    if sym.is_declared_global():
        return GLOBAL_EXPLICIT
    if sym.is_global():
        return GLOBAL_IMPLICIT
    if sym.is_free():
        return FREE
    return LOCAL if sym.is_local() else None


def disagreements(text: str) -> list[tuple]:
    """For every function-like scope, names the model and ``symtable`` classify differently."""
    m = SemanticModel(ast.parse(text))
    out = []
    stack = [(m.module, symtable.symtable(text, "<test>", "exec"))]
    while stack:
        scope, table = stack.pop()
        # symtable's Python side takes any table named ``top`` for the module's (3.11): skipped.
        if scope.is_function and table.get_name() != "top":
            mine = {n: m.classify(n, scope) for n in scope.symbols()}
            theirs = {s.get_name(): _expected(s) for s in table.get_symbols() if not s.get_name().startswith(".")}
            for name in set(mine) | set(theirs):
                if "__" in name.rstrip("_")[1:] and any(s.kind == "class" for s in m._chain(scope)):
                    continue  # the compiler mangles private names in classes; the model does not
                if mine.get(name) is None and theirs.get(name) == FREE and any(
                    m.classify(name, inner) == FREE for inner in scope.descendants()
                ):
                    continue  # symtable lists a free name passed through to a nested scope
                if mine.get(name) != theirs.get(name):
                    out.append((_key(scope), name, mine.get(name), theirs.get(name)))
        tables = collections.defaultdict(list)
        for child in table.get_children():
            tables[child.get_name(), child.get_lineno()].append(child)
        children = collections.defaultdict(list)
        for child in scope.children:
            children[_key(child)].append(child)
        for key, found in children.items():
            if len(found) == 1 and len(tables.get(key, ())) == 1:
                stack.append((found[0], tables[key][0]))
    return out


TRICKY = """
import os
x = 1
def f(a, *args, b=x, **kw):
    global g
    g = 1
    y = [a for a in args if a]
    z = {k: v for k, v in kw.items()}
    del y
    def inner():
        nonlocal z
        z = 2
        return [a + w for w in range(3)], os, (lambda q=a: q + b)()
    class K:
        attr = a
        def m(self):
            return attr, super().m(), z
    try:
        pass
    except Exception as err:
        pass
    with open(x) as fh:
        pass
    if any((found := i) for i in args):
        return found
    match kw:
        case {"k": [1, *rest]} if rest:
            return rest
    return inner, K
async def h():
    async for i in aiter():
        yield [j async for j in i]
"""


def test_scoping_agrees_with_symtable_on_tricky_code():
    assert disagreements(TRICKY) == []


def _stdlib_sample() -> list[Path]:
    root = Path(sysconfig.get_paths()["stdlib"])
    every = sorted(p for p in root.rglob("*.py") if "site-packages" not in p.parts)
    return sorted(set((root / "asyncio").glob("*.py")) | set(every[::25]))


def test_scoping_agrees_with_symtable_on_the_standard_library():
    checked = 0
    problems = []
    for path in _stdlib_sample():
        try:
            text = path.read_text(encoding="utf-8")
            symtable.symtable(text, str(path), "exec")
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        checked += 1
        problems += [(path.name, *d) for d in disagreements(text)]
    assert checked > 50
    assert problems == []


# -- the node index: parents, the scope of any node, nodes by type ----------------------------------


def test_any_node_knows_its_scope_its_function_and_its_parent():
    m = model('''
        import functools

        @deco(a())
        def f(x=b(), *, y: c() = d()):
            g = lambda z=e(): h(z)
            return [i() for _ in j() if k()] + [v for v in l()]

        class C(m()):
            n = o()

            def meth(self):
                def inner():
                    return p()
                return q()
    ''')
    calls = {c.func.id: c for c in m.nodes(ast.Call) if isinstance(c.func, ast.Name)}
    f, meth, inner = (m.tree.body[1], m.tree.body[2].body[1], m.tree.body[2].body[1].body[0])
    (lam,) = m.nodes(ast.Lambda)
    (listcomp, _) = m.nodes(ast.ListComp)
    assert [m.scope_of(calls[n]).node for n in "abcdm"] == [m.tree] * 5 and m.scope_of(calls["o"]).node is m.tree.body[2]
    assert m.scope_of(calls["e"]).node is f and m.scope_of(calls["h"]).node is lam
    assert m.scope_of(calls["j"]).node is f and m.scope_of(calls["i"]).node is listcomp
    assert m.scope_of(calls["k"]).node is listcomp and m.scope_of(calls["l"]).node is f
    assert m.scope_of(calls["p"]).node is inner and m.scope_of(calls["q"]).node is meth
    functions = {n: m.enclosing_function(calls[n]) for n in calls}
    assert functions == {
        "deco": None, "a": None, "b": None, "c": None, "d": None, "e": f, "h": lam, "i": f, "j": f, "k": f, "l": f,
        "m": None, "o": None, "p": inner, "q": meth,
    }
    assert m.enclosing_function(f) is None and m.enclosing_function(inner) is meth
    # parents are the nodes' own: the parameter's annotation hangs under the parameter
    assert m.parent(calls["c"]) is f.args.kwonlyargs[0] and m.parent(f.args.kwonlyargs[0]) is f.args
    assert m.parent(f.args) is f and m.parent(f) is m.tree and m.parent(m.tree) is None
    assert m.parent(calls["i"]) is listcomp and m.parent(calls["j"]) is listcomp.generators[0]
    # in the order the code runs: decorators and defaults before the body, the first iterable first
    assert [c.func.id for c in m.nodes(ast.Call) if isinstance(c.func, ast.Name)] == [
        "deco", "a", "b", "d", "c", "e", "h", "j", "k", "i", "l", "m", "o", "p", "q",
    ]


def test_definition_is_the_one_def_or_class_a_name_refers_to():
    m = model('''
        def f(): pass
        class C: pass
        def g(): pass
        g = 1
        try:
            from x import h
        except ImportError:
            h = None
        f, C, g, h
    ''')
    f, c, g, h = m.tree.body[-1].value.elts
    assert m.definition(f) is m.tree.body[0] and m.definition(c) is m.tree.body[1]
    assert m.definition(g) is None and m.definition(h) is None


def test_node_index_agrees_with_the_walk_and_with_the_tree_on_the_standard_library():
    checked = 0
    for path in _stdlib_sample()[::3]:
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        m = SemanticModel(tree)
        walked = dict(m._scope_of)
        for node in ast.walk(tree):
            for child in ast.iter_child_nodes(node):
                if not isinstance(child, (ast.expr_context, ast.operator, ast.boolop, ast.cmpop, ast.unaryop)):
                    assert m.parent(child) is node, (path.name, ast.dump(child)[:80])
        index = m._nodes().scope
        assert [k for k, scope in walked.items() if index[k] is not scope] == [], path.name
        assert sum(len(v) for v in m._nodes().by_type.values()) == len(index)
        checked += 1
    assert checked > 10
