"""Plain data shared by the analysis, the rewriters and the front ends."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Safety = Literal["safe", "unsafe"]


@dataclass(frozen=True)
class Rule:
    """A rule's identity and its documentation (in ruff's shape: What it does, Why is this bad, ...)."""

    code: str
    name: str
    summary: str
    fix_safety: str
    doc: str
    default: bool = True  # on unless a selection leaves it out; False: only when selected by name or code


@dataclass(frozen=True)
class Fix:
    """A fix plan: what a rewriter should do at a finding's position.

    ``action`` names the rewrite within the rule's family and ``params`` holds what it needs; both are
    plain data so that plans can cross process boundaries and be cached.
    """

    action: str
    safety: Safety = "safe"
    params: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Finding:
    """One problem at one place. Lines are 1-based; columns are 1-based and count characters."""

    path: str
    rule: str
    name: str
    message: str
    line: int
    col: int
    end_line: int
    end_col: int
    fix: Fix | None = None

    @property
    def fixable(self) -> bool:
        return self.fix is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "line": self.line,
            "col": self.col,
            "end_line": self.end_line,
            "end_col": self.end_col,
            "rule": self.rule,
            "name": self.name,
            "message": self.message,
            "fixable": self.fixable,
            "fix_safety": self.fix.safety if self.fix else None,
        }


class AsyncmendError(Exception):
    """Raised for bad input or bad settings; the message is meant for the user."""
