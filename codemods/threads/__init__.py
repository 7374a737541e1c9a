"""The thread family: asyncio across threads (AM301-AM306).

One file per rule (``am301_call_soon_from_thread.py``, ...); what they share: ``checker`` (the check,
the family, and one file as the rules see it), ``threadflow`` (which code runs in a worker thread),
``asynckinds`` (which receivers are an asyncio loop, future or task, or a concurrent future),
``adapter`` (what AM305's fix inserts), ``rewrite`` (LibCST).

As a LibCST codemod command::

    python -m libcst.tool codemod -x asyncmend.codemods.threads.ThreadsCommand --no-format src/
"""


def __getattr__(name: str):
    # The command loads LibCST and the engine, which checking never needs: it is imported only when
    # asked for by name (``libcst.tool`` does), not when a rule of this folder is.
    if name == "ThreadsCommand":
        from ..command import ThreadsCommand

        return ThreadsCommand
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
