"""The one list of asyncmend's rules, by family: the engine, the configuration, the documentation, the
language server and the codemod commands read them here.

Adding a rule: its file in its family's folder, and its line below (docs/CONTRIBUTING.md). A family's
``family(*rule_files)`` makes its ``Family`` (``codemods/family.py``): the rules, and the phases the
engine runs. Within a family the rules run in the order listed.
"""
from __future__ import annotations

from .drain import (
    am201_cancel_without_drain,
    am202_removed_task_api,
    am203_loop_closed_with_pending_tasks,
    am204_cancelled_not_awaited,
)
from .drain import checker as drain
from .family import Family
from .noqa import am001_unused_noqa
from .noqa import judge as noqa
from .threads import (
    am301_call_soon_from_thread,
    am302_create_task_from_thread,
    am303_future_set_from_thread,
    am304_await_concurrent_future,
    am305_task_result_in_thread,
    am306_loop_primitive_from_thread,
)
from .threads import checker as threads
from .unawaited import am101_unawaited_coroutine, am102_coroutine_called_sync
from .unawaited import resolver as unawaited

NOQA = noqa.family(am001_unused_noqa)  # judged once a file's other findings are known

UNAWAITED = unawaited.family(
    am101_unawaited_coroutine,
    am102_coroutine_called_sync,
)

DRAIN = drain.family(
    am202_removed_task_api,  # first: AM201's fixes reuse the replacements it records
    am201_cancel_without_drain,
    am203_loop_closed_with_pending_tasks,
    am204_cancelled_not_awaited,
)

THREADS = threads.family(
    am301_call_soon_from_thread,
    am302_create_task_from_thread,
    am303_future_set_from_thread,
    am304_await_concurrent_future,
    am305_task_result_in_thread,
    am306_loop_primitive_from_thread,
)

# In the order they rewrite a file: a family that keeps positions (edits only comments) first, then
# each family on the text the one before left (engine._rewrite).
FAMILIES: tuple[Family, ...] = (NOQA, UNAWAITED, DRAIN, THREADS)

# The families of asyncio mistakes, each also a LibCST codemod command (``codemods/command.py``).
COMMAND_FAMILIES = (UNAWAITED, DRAIN, THREADS)

ALL_RULES = tuple(sorted((rule for family in FAMILIES for rule in family.rules), key=lambda rule: rule.code))

RULES_BY_CODE = {rule.code: rule for rule in ALL_RULES}
