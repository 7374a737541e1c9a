"""The unawaited family: coroutines called and never awaited (AM101, AM102).

One file per rule (``am101_unawaited_coroutine.py``, ``am102_coroutine_called_sync.py``); what they
share: ``resolver`` (the family, and what a call site's callee is found to be in the project index),
``rewrite`` (LibCST). The call sites come from the per-file summaries (``codemods/summary.py``) and
are resolved across files by the project index (``codemods/index.py``).

As a LibCST codemod command::

    python -m libcst.tool codemod -x asyncmend.codemods.unawaited.UnawaitedCommand --no-format src/
"""


def __getattr__(name: str):
    # The command loads LibCST and the engine, which checking never needs: it is imported only when
    # asked for by name (``libcst.tool`` does), not when a rule of this folder is.
    if name == "UnawaitedCommand":
        from ..command import UnawaitedCommand

        return UnawaitedCommand
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
