"""Recall and precision of AM101/AM102 on cases rewritten from type checkers' own tests.

Each case restates, in our own words and names, a shape those suites test for a coroutine created
and dropped (mypy ``unused-coroutine``, pyright ``reportUnusedCoroutine``, ty ``unused-awaitable``,
pyrefly ``unused-coroutine``, pyre ``Unawaited awaitable``); the source of each group is cited
above it. A line ending in ``# expect`` must be reported (AM101 or AM102); every other line must
not. A line ending in ``# beyond`` is one the type checker accepts and asyncmend reports on purpose
(``_ = f()`` drops the coroutine as surely as a bare call: it never runs; see AM101's doc): it must be
reported, and is counted apart from the type checkers' cases. Cases a type checker needs a full type system for, and asyncmend does not claim (a plain
function annotated to return a coroutine with no body to show it), stay in the suite as misses.

Sources:
- mypy: test-data/unit/check-async-await.test (the unused-coroutine and unused-awaitable cases
  added with python/mypy#12279: coroutines, user classes, ``__getattr__`` giving no false alarm;
  ``testAsyncWith``: ``__aenter__``'s return type), test-data/unit/check-errorcodes.test
  (``[unused-coroutine]``), docs/source/error_code_list.rst ("Check that coroutine return value
  is used").
- pyright: packages/pyright-internal/src/tests/samples/unusedCoroutine1.py, coroutines1.py.
- ty: crates/ty_python_semantic/resources/mdtest/diagnostics/unused_awaitable.md (astral-sh/ruff).
- pyrefly: the ``unused-coroutine`` error kind (facebook/pyrefly, its tests of bare async calls,
  methods and ``_ =``).
- pyre: source/analysis/test/unawaitedAwaitableCheckTest.ml (facebook/pyre-check): bare calls,
  ``C().method()`` receivers, methods reached through attributes.
"""
from __future__ import annotations

import textwrap
from pathlib import Path

from asyncmend import engine
from asyncmend.config import Settings

CASES: dict[str, dict[str, str]] = {
    # --- mypy ----------------------------------------------------------------------------------
    "mypy_plain": {"m.py": """\
        async def refresh() -> None: ...

        async def run() -> None:
            refresh()  # expect
            await refresh()
            _ = refresh()  # beyond
    """},
    "mypy_user_class_method": {"m.py": """\
        class Pump:
            async def start(self) -> int:
                return 1

        async def run() -> None:
            pump = Pump()
            pump.start()  # expect
            Pump().start()  # expect
            await pump.start()
    """},
    "mypy_getattr_no_false_alarm": {"m.py": """\
        class Anything:
            def __getattr__(self, name):
                return lambda: None

        async def run() -> None:
            Anything().whatever()
    """},
    "mypy_aenter_type": {"m.py": """\
        class Link:
            async def send(self) -> None: ...

        class Opener:
            async def __aenter__(self) -> Link:
                return Link()

            async def __aexit__(self, *exc) -> None: ...

        async def run() -> None:
            async with Opener() as link:
                link.send()  # expect
    """},
    "mypy_errorcode_module_level": {"m.py": """\
        async def commit(name: str) -> None: ...

        commit("a")  # expect
    """},
    "mypy_annotated_parameter": {"m.py": """\
        class Store:
            async def flush(self) -> None: ...

        async def run(store: Store) -> None:
            store.flush()  # expect
    """},
    "mypy_return_annotation": {"m.py": """\
        class Store:
            async def flush(self) -> None: ...

        def open_store() -> Store:
            return Store()

        async def run() -> None:
            open_store().flush()  # expect
            s = open_store()
            s.flush()  # expect
    """},
    "mypy_plain_function_no_alarm": {"m.py": """\
        def compute() -> int:
            return 1

        async def run() -> None:
            compute()
    """},
    # --- pyright -------------------------------------------------------------------------------
    "pyright_unused1": {"m.py": """\
        async def first():
            return 3

        async def second() -> str:
            return "5"

        async def third():
            await first()
            await second()
            first()  # expect
            second()  # expect
            _ = first()  # beyond
            _ = second()  # beyond
    """},
    "pyright_self_method": {"m.py": """\
        class Worker:
            async def step(self) -> None: ...

            async def loop(self) -> None:
                self.step()  # expect
    """},
    "pyright_instance_attribute_init": {"m.py": """\
        class Db:
            async def save(self, item) -> None: ...

        class Handler:
            def __init__(self) -> None:
                self.db = Db()

            async def handle(self, item) -> None:
                self.db.save(item)  # expect
    """},
    "pyright_class_annotation": {"m.py": """\
        class Db:
            async def save(self, item) -> None: ...

        class Handler:
            db: Db

            async def handle(self, item) -> None:
                self.db.save(item)  # expect
    """},
    "pyright_aenter_returns_self": {"m.py": """\
        class Session:
            async def __aenter__(self):
                return self

            async def __aexit__(self, *exc):
                return None

            async def close(self) -> None: ...

        async def run() -> None:
            async with Session() as session:
                session.close()  # expect
    """},
    "pyright_enter_not_async_no_alarm": {"m.py": """\
        class Plain:
            def __enter__(self):
                return self

            def __exit__(self, *exc):
                return None

            def close(self) -> None: ...

        async def run() -> None:
            with Plain() as p:
                p.close()
    """},
    "pyright_passed_to_call_no_alarm": {"m.py": """\
        import asyncio

        async def job() -> None: ...

        async def run() -> None:
            task = asyncio.create_task(job())
            await task
            print(job)
    """},
    # --- ty ------------------------------------------------------------------------------------
    "ty_basic": {"m.py": """\
        async def fetch() -> int:
            return 42

        async def main():
            fetch()  # expect
    """},
    "ty_awaited": {"m.py": """\
        async def fetch() -> int:
            return 42

        async def main():
            await fetch()
    """},
    "ty_assigned": {"m.py": """\
        async def fetch() -> int:
            return 42

        async def main():
            coro = fetch()
            await coro
    """},
    "ty_argument": {"m.py": """\
        async def fetch() -> int:
            return 42

        async def main():
            print(fetch())
    """},
    "ty_top_level": {"m.py": """\
        async def fetch() -> int:
            return 42

        fetch()  # expect
    """},
    "ty_union_of_coroutines": {"m.py": """\
        from types import CoroutineType
        from typing import Any

        def get_coroutine() -> CoroutineType[Any, Any, int] | CoroutineType[Any, Any, str]:
            raise NotImplementedError

        async def main():
            get_coroutine()  # expect
    """},
    "ty_union_with_int": {"m.py": """\
        from types import CoroutineType
        from typing import Any

        def maybe() -> CoroutineType[Any, Any, int] | int:
            raise NotImplementedError

        async def main():
            maybe()
    """},
    "ty_non_awaitable": {"m.py": """\
        def compute() -> int:
            return 42

        def main():
            compute()
    """},
    "ty_any": {"m.py": """\
        from typing import Any

        def get_any() -> Any:
            return None

        async def main():
            get_any()
    """},
    # --- pyrefly -------------------------------------------------------------------------------
    "pyrefly_bare_and_underscore": {"m.py": """\
        async def ping() -> None: ...

        async def main() -> None:
            ping()  # expect
            _ = ping()  # beyond
            await ping()
    """},
    "pyrefly_static_and_class_methods": {"m.py": """\
        class Registry:
            @staticmethod
            async def load() -> None: ...

            @classmethod
            async def reload(cls) -> None: ...

        async def main() -> None:
            Registry.load()  # expect
            Registry.reload()  # expect
    """},
    "pyrefly_classmethod_constructor": {"m.py": """\
        class Client:
            @classmethod
            def connect(cls):
                return cls()

            async def send(self) -> None: ...

        async def main() -> None:
            Client.connect().send()  # expect
    """},
    "pyrefly_property": {"m.py": """\
        class Conn:
            async def ping(self) -> None: ...

        class Pool:
            @property
            def conn(self) -> Conn:
                return Conn()

        async def main() -> None:
            Pool().conn.ping()  # expect
    """},
    "pyrefly_dataclass_field": {"m.py": """\
        from dataclasses import dataclass

        class Mailer:
            async def send(self) -> None: ...

        @dataclass
        class Notifier:
            mailer: Mailer

            async def notify(self) -> None:
                self.mailer.send()  # expect
    """},
    "pyrefly_sync_caller": {"m.py": """\
        class Client:
            async def close(self) -> None: ...

        class Owner:
            def __init__(self) -> None:
                self.client = Client()

            def shutdown(self) -> None:
                self.client.close()  # expect
    """},
    # --- pyre ----------------------------------------------------------------------------------
    "pyre_bare_call": {"m.py": """\
        async def awaitable() -> int: ...

        async def foo():
            awaitable()  # expect
    """},
    "pyre_constructed_receiver_awaited": {"m.py": """\
        class C:
            async def awaitable(self) -> int: ...

        async def foo():
            await C().awaitable()
    """},
    "pyre_constructed_receiver_dropped": {"m.py": """\
        class C:
            async def awaitable(self) -> int: ...

        async def foo():
            C().awaitable()  # expect
    """},
    "pyre_attribute_chain": {"m.py": """\
        class Engine:
            async def start(self) -> None: ...

        class Car:
            def __init__(self) -> None:
                self.engine = Engine()

        class Driver:
            def __init__(self) -> None:
                self.car = Car()

            async def go(self) -> None:
                self.car.engine.start()  # expect
    """},
    "pyre_base_class_attribute": {"m.py": """\
        class Engine:
            async def start(self) -> None: ...

        class Base:
            def __init__(self) -> None:
                self.engine = Engine()

        class Child(Base):
            async def go(self) -> None:
                self.engine.start()  # expect
    """},
    "pyre_two_assignments_disagree": {"m.py": """\
        class Engine:
            async def start(self) -> None: ...

        class Toy:
            def start(self) -> None: ...

        class Car:
            def __init__(self, toy: bool) -> None:
                self.engine = Engine()
                if toy:
                    self.engine = Toy()

            async def go(self) -> None:
                self.engine.start()
    """},
    "pyre_isinstance_makes_no_type": {"m.py": """\
        class Engine:
            async def start(self) -> None: ...

        async def go(thing) -> None:
            if isinstance(thing, Engine):
                await thing.start()
            thing.start()
    """},
    "pyre_optional_attribute": {"m.py": """\
        class Engine:
            async def start(self) -> None: ...

        class Car:
            def __init__(self) -> None:
                self.engine = None

            def build(self) -> None:
                self.engine = Engine()

            async def go(self) -> None:
                if self.engine is not None:
                    self.engine.start()  # expect
    """},
    "pyre_context_manager_function": {"m.py": """\
        from contextlib import asynccontextmanager
        from typing import AsyncIterator

        class Tx:
            async def commit(self) -> None: ...

        @asynccontextmanager
        async def transaction() -> AsyncIterator[Tx]:
            yield Tx()

        async def run() -> None:
            async with transaction() as tx:
                tx.commit()  # expect
    """},
    "pyre_cross_module_reexport": {
        "pkg/__init__.py": """\
            from .store import *
        """,
        "pkg/store.py": """\
            __all__ = ["Store"]

            class Store:
                async def put(self) -> None: ...
        """,
        "app.py": """\
            from pkg import Store

            class App:
                def __init__(self) -> None:
                    self.store = Store()

                async def run(self) -> None:
                    self.store.put()  # expect
        """,
    },
    "pyre_function_building_object": {
        "lib.py": """\
            class Queue:
                async def push(self, item) -> None: ...

            def make_queue():
                return Queue()
        """,
        "app.py": """\
            from lib import make_queue

            async def run() -> None:
                q = make_queue()
                q.push(1)  # expect
        """,
    },
}


def _measure(tmp_path: Path) -> tuple[int, int, int, list[str]]:
    tp = fp = fn = 0
    wrong = []
    for name, files in CASES.items():
        root = tmp_path / name
        expected = set()
        for rel, text in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            body = textwrap.dedent(text)
            path.write_text(body)
            expected |= {(str(path), n) for n, line in enumerate(body.splitlines(), 1) if line.endswith("# expect")}
            beyond = {(str(path.resolve()), n) for n, line in enumerate(body.splitlines(), 1) if line.endswith("# beyond")}
        (root / "pyproject.toml").write_text("")
        found = engine.check([str(root)], Settings(jobs=1, cache=False)).findings
        got = {(str(Path(f.path).resolve()), f.line) for f in found if f.rule in ("AM101", "AM102")}
        expected = {(str(Path(p).resolve()), n) for p, n in expected}
        wrong += [f"{name}: missed line {n}, which asyncmend reports beyond the type checkers" for _, n in sorted(beyond - got)]
        got -= beyond
        tp += len(got & expected)
        fp += len(got - expected)
        fn += len(expected - got)
        wrong += [f"{name}: false alarm at line {n}" for _, n in sorted(got - expected)]
        wrong += [f"{name}: missed line {n}" for _, n in sorted(expected - got)]
    return tp, fp, fn, wrong


def test_recall_and_precision_on_type_checker_cases(tmp_path: Path) -> None:
    tp, fp, fn, wrong = _measure(tmp_path)
    precision = tp / (tp + fp)
    recall = tp / (tp + fn)
    print(f"\nrecall {recall:.3f} ({tp}/{tp + fn}), precision {precision:.3f} ({tp}/{tp + fp})")
    print("\n".join(wrong))
    assert fp == 0, wrong
    assert recall >= 0.96, wrong
    assert not [w for w in wrong if "beyond the type checkers" in w], wrong
