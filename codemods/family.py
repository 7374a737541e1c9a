"""What the engine knows of a rule family: its rules and the phases it takes part in.

A rule is one file (``drain/am201_cancel_without_drain.py``): its ``RULE`` (code, name, message, doc)
and its detection and fix plan, in the shape its family's shared code asks for (the family's
``__init__`` says which). A family folder holds what its rules share (the checker, the rewrite), and
``family(*rule_modules)`` there makes the family's ``Family`` from the rule files it is given.
``codemods/registry.py`` is the one place that lists the rule files; the engine iterates the families
and names none.

The phases, each optional but ``rewrite``:

- ``check(src)``, per file: findings from the file alone, in a worker. A family that has it can find
  its mistakes again in a text another family's fix has changed (``engine._rewrite``).
- ``resolve(summary, index, settings)``, per project: findings from a file's summary resolved against
  the project index, once every file is summarised.
- ``judge(path, directives, text, found, enabled, rules)``, after the other phases: findings about
  the file's other findings (AM001, suppressions that silence nothing).
- ``rewrite(module, findings, locate, context)``: applies the findings' fix plans with LibCST.
  ``keeps_positions``: it edits only comments, so the positions of the analysis still hold after it
  (such families rewrite first).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, Callable, Optional

from asyncmend.model import Finding, Rule

if TYPE_CHECKING:
    from asyncmend.source import SourceFile


@dataclass(frozen=True)
class Family:
    name: str  # its folder, and its codemod command: asyncmend.codemods.<name>.<Name>Command
    summary: str  # one line, for the command's help
    rules: tuple[Rule, ...]
    rewrite: Callable[..., Any]
    check: Optional[Callable[["SourceFile"], list[Finding]]] = None
    resolve: Optional[Callable[..., list[Finding]]] = None
    judge: Optional[Callable[..., list[Finding]]] = None
    keeps_positions: bool = False

    @cached_property
    def codes(self) -> frozenset[str]:
        return frozenset(rule.code for rule in self.rules)
