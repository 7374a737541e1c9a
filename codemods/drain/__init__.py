"""The drain family: tasks left behind (AM201-AM204).

One file per rule (``am201_cancel_without_drain.py``, ...); what they share: ``checker`` (the check and
the family), ``drainfile`` (one file as the rules see it, and how findings and edits are made),
``flow`` (scopes and statement order), ``cancels`` (asyncio task expressions), ``spawns`` (the tasks a
scope starts), ``rewrite`` (LibCST).

As a LibCST codemod command::

    python -m libcst.tool codemod -x asyncmend.codemods.drain.DrainCommand --no-format src/
"""


def __getattr__(name: str):
    # The command loads LibCST and the engine, which checking never needs: it is imported only when
    # asked for by name (``libcst.tool`` does), not when a rule of this folder is.
    if name == "DrainCommand":
        from ..command import DrainCommand

        return DrainCommand
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
