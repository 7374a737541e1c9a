"""Names of asyncio's API that several analyses look for: one table each, in its qualified spelling
(``asyncio.new_event_loop`` and the module that defines it, ``asyncio.events.new_event_loop``), and the
short spelling derived from it for the analyses that match a call's last name."""
from __future__ import annotations


def _qualified(*names: str, modules: tuple[str, ...] = ("asyncio", "asyncio.events")) -> frozenset[str]:
    return frozenset(f"{module}.{name}" for module in modules for name in names)


GET_EVENT_LOOP = _qualified("get_event_loop")
NEW_EVENT_LOOP = _qualified("new_event_loop")
GET_RUNNING_LOOP = _qualified("get_running_loop")
SET_EVENT_LOOP = _qualified("set_event_loop")

# Calls that give an event loop.
LOOP_FACTORIES = GET_EVENT_LOOP | NEW_EVENT_LOOP | GET_RUNNING_LOOP
LOOP_FACTORY_NAMES = frozenset(name.rpartition(".")[2] for name in LOOP_FACTORIES)
