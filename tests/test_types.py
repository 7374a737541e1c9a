"""The semantic model's types (``asyncmend.semantic.types``) and their evaluation by the project index."""
from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from asyncmend import engine
from asyncmend.codemods.index import SELF, ProjectIndex
from asyncmend.codemods.summary import summarize
from asyncmend.config import Settings
from asyncmend.semantic import SemanticModel
from asyncmend.semantic.types import ANNOTATED, NEW
from asyncmend.source import SourceFile


def _model(code: str, module: str = "m") -> tuple[ast.Module, SemanticModel]:
    tree = ast.parse(textwrap.dedent(code))
    return tree, SemanticModel(tree, module)


def _class(tree: ast.Module, name: str) -> ast.ClassDef:
    return next(n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.name == name)


def _receiver(tree: ast.Module, model: SemanticModel, line: int):
    """The type term of the receiver of the call statement on ``line``."""
    stmt = next(n for n in ast.walk(tree) if isinstance(n, ast.Expr) and n.lineno == line)
    return model.type_of(stmt.value.func.value)


def test_instance_attributes_from_any_method_and_the_class_body() -> None:
    tree, model = _model("""\
        from dataclasses import dataclass, field
        from .db import Database, Cache

        @dataclass
        class Service:
            cache: Cache = field(default=None)
            pool: "Database"
            label = None

            def __init__(self, other: Database):
                self.db = Database()
                self.other = other
                self.maybe = None
                self.count = 0
                self.count += 1
                self.a, self.b = Database(), Database()

            def connect(self):
                self.maybe = Database()
    """, "pkg.svc")
    attrs, _ = model.typing.class_types(_class(tree, "Service"))
    assert attrs["db"] == ("call", "pkg.db.Database")
    assert attrs["maybe"] == ("call", "pkg.db.Database")  # ``None`` elsewhere is no disagreement
    assert attrs["other"] == ("inst", "pkg.db.Database", ANNOTATED)
    assert attrs["cache"] == ("inst", "pkg.db.Cache", ANNOTATED)  # a dataclass field's annotation
    assert attrs["pool"] == ("inst", "pkg.db.Database", ANNOTATED)
    assert attrs["count"] is None and attrs["a"] is None and attrs["b"] is None
    assert "label" not in attrs  # ``None`` says nothing


def test_two_assignments_that_disagree_make_the_attribute_unknown() -> None:
    tree, model = _model("""\
        class A: ...
        class B: ...

        class Holder:
            def __init__(self):
                self.x = A()

            def reset(self):
                self.x = B()
    """)
    attrs, _ = model.typing.class_types(_class(tree, "Holder"))
    assert attrs["x"] is None


def test_returns_builds_annotation_generator_and_decorators() -> None:
    tree, model = _model("""\
        import functools
        from contextlib import asynccontextmanager
        from typing import AsyncIterator, Optional

        class Conn: ...

        def built():
            return Conn()

        def annotated(x) -> Optional[Conn]:
            return x

        def gen() -> Conn:
            yield Conn()

        @functools.wraps(built)
        def wrapped():
            return Conn()

        @asynccontextmanager
        async def opened() -> AsyncIterator[Conn]:
            yield Conn()

        async def fetch() -> "Conn":
            return await other()
    """)
    defs = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    returns = model.typing.returns
    assert returns(defs["built"]) == (False, ("call", "m.Conn"))
    assert returns(defs["annotated"]) == (False, ("inst", "m.Conn", ANNOTATED))
    assert returns(defs["gen"]) is None
    assert returns(defs["wrapped"]) is None
    assert returns(defs["opened"]) == (False, ("cm", ("call", "m.Conn")))
    assert returns(defs["fetch"]) == (True, ("inst", "m.Conn", ANNOTATED))


def test_self_cls_and_isinstance() -> None:
    tree, model = _model("""\
        class Pool:
            @classmethod
            def make(cls):
                return cls()

            def me(self):
                self.go()

        async def f(thing):
            if isinstance(thing, Pool):
                thing.go()
    """)
    _, returns = model.typing.class_types(_class(tree, "Pool"))
    assert returns["make"] == (False, ("self", "m.Pool"))
    assert _receiver(tree, model, 7) == ("self", "m.Pool")
    assert _receiver(tree, model, 11) is None  # isinstance makes no type up


def _index(tmp_path: Path, files: dict[str, str]) -> ProjectIndex:
    summaries = []
    for name, code in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(code))
        module = name[:-3].replace("/", ".")
        is_package = module.endswith(".__init__")
        module = module[: -len(".__init__")] if is_package else module
        summaries.append(summarize(SourceFile.read(str(path)), module, is_package))
    return ProjectIndex(summaries)


def test_index_evaluates_chains_bases_and_subclasses(tmp_path: Path) -> None:
    index = _index(tmp_path, {"m.py": """\
        class Db:
            async def save(self): ...
            def cursor(self):
                return Cursor()

        class Cursor:
            async def run(self): ...

        class Base:
            def __init__(self):
                self.db = Db()

        class Child(Base):
            pass

        class Other(Base):
            def __init__(self):
                self.db = Cursor()
    """})
    assert index.type_of(("attr", ("self", "m.Child"), "db")) == (NEW, "m.Db")
    assert index.type_of(("attr", ("self", "m.Base"), "db")) is None  # a subclass puts another class there
    assert index.type_of(("attr", ("call", "m.Child"), "db")) == (NEW, "m.Db")  # built right there
    assert index.type_of(("mcall", ("call", "m.Db"), "cursor")) == (NEW, "m.Cursor")
    assert index.type_of(("self", "m.Db")) == (SELF, "m.Db")
    assert index.type_of(("attr", ("inst", "m.Child", ANNOTATED), "db")) == (ANNOTATED, "m.Db")


def test_star_reexports_follow_all(tmp_path: Path) -> None:
    index = _index(tmp_path, {
        "pkg/__init__.py": "from .a import *\nfrom .b import *\n",
        "pkg/a.py": "__all__ = ['Store']\nclass Store: ...\nclass Hidden: ...\n",
        "pkg/b.py": "class Twice: ...\nclass _Private: ...\n",
        "pkg/c.py": "class Twice: ...\n",
    })
    assert index.resolve("pkg.Store") is not None
    assert index.resolve("pkg.Hidden") is None  # not in ``__all__``
    assert index.resolve("pkg.Twice") is not None
    assert index.resolve("pkg._Private") is None
    both = _index(tmp_path / "two", {
        "pkg/__init__.py": "from .a import *\nfrom .b import *\n",
        "pkg/a.py": "class Twice: ...\n",
        "pkg/b.py": "class Twice: ...\n",
    })
    assert both.resolve("pkg.Twice") is None  # two candidates: nothing


def test_namespace_packages_under_src_and_two_candidates(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "src/shop").mkdir(parents=True)
    (tmp_path / "src/shop/store.py").write_text("async def save(): ...\n")
    (tmp_path / "app.py").write_text("from shop.store import save\n\nasync def main():\n    save()\n")
    found = engine.check([str(tmp_path)], Settings(jobs=1, cache=False)).findings
    assert [(f.line, f.rule) for f in found] == [(4, "AM101")]
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop/store.py").write_text("async def save(): ...\n")
    found = engine.check([str(tmp_path)], Settings(jobs=1, cache=False)).findings
    assert [(f.path, f.line) for f in found if f.path.endswith("app.py")] == []


def test_init_parameter_every_call_passes_gives_an_unsafe_fix(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "m.py").write_text(textwrap.dedent("""\
        class Db:
            async def save(self): ...

        class Service:
            def __init__(self, db: Db):
                self.db = db

            async def run(self):
                self.db.save()

        async def main():
            await Service(Db()).run()
            await Service(db=Db()).run()
    """))
    found = engine.check([str(tmp_path)], Settings(jobs=1, cache=False)).findings
    assert [(f.line, f.fix.safety if f.fix else None) for f in found] == [(9, "unsafe")]


def test_coroutine_types_identity_decorators_and_unions(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "m.py").write_text(textwrap.dedent("""\
        from typing import Any, Callable, TypeVar
        from types import CoroutineType

        F = TypeVar("F")

        def register(func: F) -> F:
            return func

        def wrap(func: Callable) -> Callable:
            return func

        @register
        async def handler(): ...

        @wrap
        async def wrapped(): ...

        async def ping(): ...

        def make() -> CoroutineType[Any, Any, int] | CoroutineType[Any, Any, str]:
            return ping()

        def mixed() -> CoroutineType[Any, Any, int] | int:
            return ping()

        async def main():
            handler()
            wrapped()
            make()
            mixed()
    """))
    found = engine.check([str(tmp_path)], Settings(jobs=1, cache=False)).findings
    assert [f.line for f in found] == [27, 29]


# One home for "what does a class's method assign to an attribute of its instance": the unawaited
# family reads it as terms (``class_types``), the thread family as kinds (``asynckinds.Kinds``). A
# write the code does not see through makes the attribute unknown in both.
_OPAQUE_WRITES = {
    "unpacked": "self.ready, other = make(), 1",
    "augmented": "self.ready += 1",
    "for target": "for self.ready in []: pass",
    "with target": "with open(__file__) as self.ready: pass",
    "deleted": "del self.ready",
    "nested function": "def later(): self.ready = 1",
}


@pytest.mark.parametrize("write", _OPAQUE_WRITES.values(), ids=list(_OPAQUE_WRITES))
def test_both_families_read_attribute_writes_alike(write: str) -> None:
    from asyncmend.codemods.threads.asynckinds import CFUTURE, Kinds

    def answers(extra: str) -> tuple:
        tree, model = _model(f"""\
            import concurrent.futures

            class Probe:
                def __init__(self):
                    self.ready = concurrent.futures.Future()

                def reset(self):
                    {extra}

            async def main(probe: Probe):
                await probe.ready
        """)
        attrs, _ = model.typing.class_types(_class(tree, "Probe"))
        awaited = next(n for n in ast.walk(tree) if isinstance(n, ast.Await)).value
        return attrs["ready"], Kinds(model).of(awaited)

    assert answers("pass") == (("call", "concurrent.futures.Future"), CFUTURE)
    assert answers("self.ready = None") == (("call", "concurrent.futures.Future"), CFUTURE)  # no disagreement
    assert answers(write) == (None, None)


def test_thread_kinds_read_returns_and_self_through_the_model() -> None:
    from asyncmend.codemods.threads.asynckinds import FUTURE, LOOP, Kinds

    tree, model = _model("""\
        import asyncio

        class Pump:
            def __init__(self):
                self.loop = asyncio.get_running_loop()

            def owner(self):
                return self.loop

            def pending(self) -> "asyncio.Future[int]": ...

        def pump() -> Pump: ...

        pump().owner()
        pump().pending()
    """)
    kinds = Kinds(model)
    calls = [n.value for n in tree.body if isinstance(n, ast.Expr)]
    # the value ``owner`` returns (the model's ``returns``), a generic annotation read as its class
    assert [kinds.of(c) for c in calls] == [LOOP, FUTURE]
    assert kinds.class_of(calls[0].func.value) is _class(tree, "Pump")
