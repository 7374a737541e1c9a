"""What the unawaited rules share: the family, which resolves each file's call sites (from its summary)
against the project index, and what a callee is found to be there.

An unawaited rule file has its ``RULE`` and ``find(call, summary, index, mode)``: the finding about one
call site whose value is dropped (``CallSite``, see ``codemods/summary.py``), with its fix plan, or
None. The family offers each call site to every rule; ``mode`` is the ``unawaited-fix`` setting
("await" or "task": how a call inside a coroutine is mended).
"""
from __future__ import annotations

from types import ModuleType
from typing import Optional, Protocol

from asyncmend.model import Finding, Fix, Rule

from ..family import Family
from ..index import ProjectIndex
from ..summary import CORO, REF, Binding, CallSite, ModuleSummary


class Settings(Protocol):
    """What the family reads of a file's settings (``asyncmend.config.Settings``, which sits above)."""

    unawaited_fix: str


SUMMARY = "unawaited coroutines: a coroutine function called and its coroutine never awaited"


def family(*rules: ModuleType) -> Family:
    def resolve(summary: ModuleSummary, index: ProjectIndex, settings: Settings) -> list[Finding]:
        """The findings of this family for one summarised module, given the project index."""
        findings = []
        for call in summary.calls:
            for rule in rules:
                finding = rule.find(call, summary, index, settings.unawaited_fix)
                if finding is not None:
                    findings.append(finding)
        return findings

    return Family("unawaited", SUMMARY, tuple(rule.RULE for rule in rules), rewrite, resolve=resolve)


def rewrite(module, findings, locate, context):
    # LibCST is loaded only to rewrite: `asyncmend check` never pays for it (about 0.85 s).
    from .rewrite import rewrite as apply

    return apply(module, findings, locate, context)


def coroutine_source(call: CallSite, summary: ModuleSummary, index: ProjectIndex) -> Optional[str]:
    """Where the callee was found to be a coroutine function ("module", "index", "typeshed",
    "package"), or None when it is not known to be one."""
    kind = call.target[0]
    if kind == "coro":
        return None if f"{summary.module}.{call.callee}" in index.rebound else "module"
    if kind == "qual":
        return index.creates_coroutine(call.target[1])
    if kind == "method":
        return "module" if index.self_method_creates_coroutine(call.target[1], call.target[2]) else None
    if kind == "super":
        return "index" if index.super_method_creates_coroutine(call.target[1], call.target[2]) else None
    if kind in ("instance", "annotated", "passed"):
        return index.instance_method_creates_coroutine(call.target[1], call.target[2], kind != "annotated")
    return None


def callee_binding(call: CallSite, index: ProjectIndex) -> Optional[Binding]:
    kind = call.target[0]
    if kind == "coro":
        return Binding(CORO, call.target[2])
    if kind == "qual":
        return index.resolve(call.target[1])
    if kind in ("method", "instance", "annotated", "passed"):
        return index.method(call.target[1], call.target[2])
    return None


# A parameter's (or a variable's) annotation says what the code expects, not what it gets: another
# class (a subclass overriding the method, a test double) may come in at run time.
ANNOTATED_NO_FIX = (
    "; no fix: the receiver's class is known only from an annotation, and another class may be "
    "passed at run time"
)


def asyncio_is_free(summary: ModuleSummary) -> bool:
    return summary.names.get("asyncio") in (None, Binding(REF, "asyncio"))


def finding(rule: Rule, call: CallSite, summary: ModuleSummary, message: str, fix: Optional[Fix]) -> Finding:
    return Finding(
        path=summary.path, rule=rule.code, name=rule.name, message=message, line=call.line,
        col=call.col + 1, end_line=call.end_line, end_col=call.end_col + 1, fix=fix,
    )
