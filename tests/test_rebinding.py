"""A coroutine function rebound outside its own scope is no longer known to be one.

Found by hand review as false positives: each program rebinds a coroutine function, visibly, to a
plain callable, and adding ``await`` would make the fixed program raise ``TypeError`` where the
original ran. An assignment to ``Class.attr`` or ``module.name`` anywhere in the project, or ``setattr``
with a literal name, makes that binding unknown. (Fully dynamic rebinding, ``globals()["f"] = ...``, is
not seen.)
"""
from __future__ import annotations

from pathlib import Path

from asyncmend import engine
from asyncmend.config import Settings

CLASS = "class A:\n    async def m(self):\n        pass\n\n    async def run(self):\n        self.m()\n"


def _fixes(tmp_path: Path, files: dict[str, str]) -> int:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    run = engine.fix([str(tmp_path)], Settings(jobs=1, unsafe_fixes=True), write=False)
    return sum(len(r.fixed) for r in run.files)


def test_method_replaced_on_the_class(tmp_path: Path) -> None:
    assert _fixes(tmp_path, {"main.py": CLASS + "\n\nA.m = print\n"}) == 0


def test_method_replaced_by_setattr(tmp_path: Path) -> None:
    assert _fixes(tmp_path, {"main.py": CLASS + "\n\nsetattr(A, 'm', print)\n"}) == 0


def test_function_replaced_from_another_module(tmp_path: Path) -> None:
    mod = "async def f():\n    pass\n\n\nasync def main():\n    f()\n"
    assert _fixes(tmp_path, {"mod.py": mod, "patch.py": "import mod\n\nmod.f = print\n"}) == 0


def test_unrelated_attribute_assignments_keep_the_finding(tmp_path: Path) -> None:
    assert _fixes(tmp_path, {"main.py": CLASS + "\n\nA.other = print\nsetattr(A, 'x', 1)\n"}) == 1
