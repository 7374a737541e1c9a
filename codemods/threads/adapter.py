"""The adapter AM305's fix inserts: a ``concurrent.futures.Future`` mirroring an asyncio future, so a
worker thread can wait for it; and how it is found again in a module (by its docstring's first line)."""
from __future__ import annotations

import ast
from typing import Optional

ADAPTER_BASE = "_mirror_asyncio_future"
ADAPTER_DOC = "Wait for an asyncio future from any thread: a concurrent.futures.Future mirroring it."
ADAPTER = '''\
def {name}(future):
    """{doc}

    Inserted by asyncmend (AM305). The done-callback is added on the future's own loop through
    call_soon_threadsafe; result, exception and cancellation are copied to the mirror.
    """
    mirror = concurrent.futures.Future()

    def copy(done):
        if done.cancelled():
            mirror.cancel()
        if not mirror.set_running_or_notify_cancel():
            return
        error = done.exception()
        if error is not None:
            mirror.set_exception(error)
        else:
            mirror.set_result(done.result())

    if future.done():
        copy(future)
    else:
        future.get_loop().call_soon_threadsafe(future.add_done_callback, copy)
    return mirror
'''


def existing_adapter(tree: ast.Module) -> Optional[str]:
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef) and stmt.name.startswith(ADAPTER_BASE):
            doc = ast.get_docstring(stmt)
            if doc and doc.splitlines()[0] == ADAPTER_DOC:
                return stmt.name
    return None
