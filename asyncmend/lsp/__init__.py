"""``asyncmend server``: the Language Server Protocol over stdio, for editors (see docs/editor.md).

The server is built on pygls, an optional extra (``pip install "asyncmend[lsp]"``): this module
imports it only when the server starts, so ``asyncmend check`` never loads it.
"""
from __future__ import annotations

from ..model import AsyncmendError

_EXTRA = ("pygls", "lsprotocol", "cattrs")


def serve() -> None:
    """Talk LSP over standard input and output until the client says exit."""
    try:
        from .server import serve as run
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] not in _EXTRA:
            raise
        raise AsyncmendError(
            f'the language server needs {exc.name}, which is not installed: pip install "asyncmend[lsp]"'
        ) from None
    run()
