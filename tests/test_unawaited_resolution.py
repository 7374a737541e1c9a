"""Where AM101 learns that a callee is a coroutine function: the module, the project index, typeshed,
installed packages of the environment the user names (never importing anything)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from asyncmend import engine
from asyncmend.config import Settings

CALLER = """\
import asyncio
import fakeaio


async def main():
    fakeaio.sleep(1)
    fakeaio.sync_op()
    asyncio.sleep(0)
"""


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    """A virtual environment with a package ``fakeaio`` that exists nowhere else."""
    root = tmp_path_factory.mktemp("env") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
    [site] = root.glob("lib/python*/site-packages")
    (site / "fakeaio").mkdir()
    (site / "fakeaio" / "__init__.py").write_text(
        "raise RuntimeError('asyncmend must never import packages')\n"
        "async def sleep(seconds):\n    pass\n\n"
        "def sync_op():\n    pass\n"
        "from contextlib import AbstractAsyncContextManager\n"
        "class Nursery:\n    async def start(self, func): ...\n    def start_soon(self, func): ...\n"
        "def open_nursery() -> AbstractAsyncContextManager[Nursery]: ...\n"
    )
    return root


def _check(tmp_path: Path, settings: Settings):
    (tmp_path / "app.py").write_text(CALLER)
    run = engine.check([str(tmp_path / "app.py")], settings)
    return {(f.line, f.fix.params["via"]) for f in run.findings}


def test_stdlib_from_typeshed(tmp_path: Path) -> None:
    assert _check(tmp_path, Settings(jobs=1)) == {(8, "typeshed")}


def test_installed_package_of_the_named_environment(tmp_path: Path, venv: Path) -> None:
    assert _check(tmp_path, Settings(jobs=1, python=str(venv))) == {(6, "package"), (8, "typeshed")}
    interpreter = venv / "bin" / "python"
    assert _check(tmp_path, Settings(jobs=1, python=str(interpreter))) == {(6, "package"), (8, "typeshed")}


def test_context_manager_type_from_an_installed_package(tmp_path: Path, venv: Path) -> None:
    """``async with open_nursery() as n: n.start(f)``: the package's ``-> AbstractAsyncContextManager[Nursery]``
    says what ``n`` is; an annotation only, so reported without a fix."""
    (tmp_path / "app.py").write_text(
        "import fakeaio\n\nasync def job(): ...\n\nasync def main():\n"
        "    async with fakeaio.open_nursery() as n:\n        n.start(job)\n        n.start_soon(job)\n"
    )
    run = engine.check([str(tmp_path / "app.py")], Settings(jobs=1, python=str(venv)))
    assert [(f.line, f.fix) for f in run.findings] == [(7, None)]


def test_active_virtual_env(tmp_path: Path, venv: Path, monkeypatch) -> None:
    monkeypatch.setenv("VIRTUAL_ENV", str(venv))
    assert _check(tmp_path, Settings(jobs=1)) == {(6, "package"), (8, "typeshed")}


def test_project_index_reads_files_outside_the_given_paths(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "__init__.py").write_text("from .impl import ping\n")
    (tmp_path / "lib" / "impl.py").write_text("async def ping():\n    pass\n")
    (tmp_path / "lib" / "plain.py").write_text("def pong():\n    pass\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.py").write_text(
        "from lib import ping\nfrom lib.plain import pong\n\nasync def main():\n    ping()\n    pong()\n"
    )
    run = engine.check([str(tmp_path / "app" / "main.py")], Settings(jobs=1))
    assert [(f.line, f.rule, f.fix.params["via"]) for f in run.findings] == [(5, "AM101", "index")]


def test_annotated_receiver_is_reported_without_fix(tmp_path: Path) -> None:
    """A parameter annotation is a claim: a subclass or a double may be passed; nothing is rewritten."""
    source = (
        "class Store:\n    async def save(self):\n        pass\n\n"
        "async def use(store: Store):\n    store.save()\n"
    )
    (tmp_path / "m.py").write_text(source)
    run = engine.fix([str(tmp_path)], Settings(jobs=1, unsafe_fixes=True), write=True)
    [finding] = run.findings
    assert finding.rule == "AM101" and finding.fix is None
    assert "known only from an annotation" in finding.message
    assert (tmp_path / "m.py").read_text() == source


def test_annotated_variable_built_by_its_class_is_fixed(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text(
        "class Store:\n    async def save(self):\n        pass\n\n"
        "async def use():\n    store: Store = Store()\n    store.save()\n"
    )
    engine.fix([str(tmp_path)], Settings(jobs=1), write=True)
    assert "    await store.save()\n" in (tmp_path / "m.py").read_text()


@pytest.mark.parametrize(
    "source",
    [
        "import asyncio\n\nasync def f(tg: asyncio.TaskGroup, c):\n    tg.create_task(c)\n",
        "import asyncio\n\nasync def f(c):\n    asyncio.gather(c)\n    asyncio.ensure_future(c)\n",
        "import asyncio\n\nasync def f():\n    q = asyncio.Queue()\n    q.put_nowait(1)\n",
        "async def f(obj):\n    obj.save()\n",
    ],
)
def test_scheduling_and_unknown_objects_are_not_findings(tmp_path: Path, source: str) -> None:
    (tmp_path / "m.py").write_text(source)
    assert engine.check([str(tmp_path / "m.py")], Settings(jobs=1)).findings == []


def test_a_module_name_claimed_by_two_files_resolves_nothing(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    for folder, body in (("a", "async def run():\n    pass\n"), ("b", "def run():\n    pass\n")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "helpers.py").write_text(body)
        (tmp_path / folder / "main.py").write_text("from helpers import run\n\nasync def main():\n    run()\n")
    assert engine.check([str(tmp_path)], Settings(jobs=1)).findings == []
