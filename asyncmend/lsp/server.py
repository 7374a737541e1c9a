"""The language server: diagnostics as the user types, fixes as code actions.

Every open document is checked with the engine's ``Workspace`` (the CLI's findings, select/ignore,
per-file ignores and ``noqa``), against a project index built once in the background from the
workspace folder (through the analysis cache) and updated from each document's text as it changes.
Until the index is ready, documents are checked on their own; once it lands they are checked again.

Work on the engine runs in one worker thread, in order, so the event loop stays free to read the
client's messages; a result for a document that has changed since is dropped, a newer one follows.
"""
from __future__ import annotations

import asyncio
import bisect
import logging
import multiprocessing
import os
import re
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Callable, Iterable, TypeVar

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path
from pygls.workspace.position_codec import PositionCodec

from asyncmend.codemods.registry import RULES_BY_CODE

from .. import engine
from ..config import Settings, find_config, resolve_settings, table_values
from ..model import AsyncmendError, Finding
from ..ruledocs import doc_url
from ..source import SourceFile, split_lines, text_changes
from ..suppress import noqa_edit
from ..workspace import Workspace

NAME = "asyncmend"
FIX_ALL = f"{lsp.CodeActionKind.SourceFixAll.value}.{NAME}"
SECTION = NAME  # the editor's settings live under this key
DEBOUNCE = 0.2  # seconds of quiet after a change before the document is checked

T = TypeVar("T")
Edit = tuple[int, int, str]  # (start, end, inserted): character offsets into a document's text

log = logging.getLogger(__name__)


def _version() -> str:
    try:
        return version(NAME)
    except PackageNotFoundError:
        return "0"


class AsyncmendServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(NAME, _version(), text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental)
        self.root: str | None = None
        self.init_options: Any = None
        self.settings = Settings(cache=True)
        self.checker: Workspace | None = None
        self.shut_down = False
        self._generation = 0  # bumped whenever the settings change: older index builds are dropped
        self._analysis = ThreadPoolExecutor(1, thread_name_prefix="asyncmend-analysis")
        self._indexing = ThreadPoolExecutor(1, thread_name_prefix="asyncmend-index")
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._tasks: set[asyncio.Task] = set()
        self._configured: asyncio.Event | None = None  # set once the settings are read

    def configured(self) -> asyncio.Event:
        if self._configured is None:  # made on the server's event loop
            self._configured = asyncio.Event()
        return self._configured

    # running engine work off the event loop

    async def _in_worker(self, fn: Callable[..., T], *args) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._analysis, fn, *args)

    def _spawn(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _schedule(self, uri: str, delay: float, others: bool) -> None:
        """Check ``uri`` after ``delay`` seconds without a newer request for it; ``others``: then the
        other open documents too (they may call what changed)."""
        timer = self._timers.pop(uri, None)
        if timer is not None:
            timer.cancel()
        self._timers[uri] = asyncio.get_running_loop().call_later(
            delay, lambda: self._spawn(self._publish(uri, others))
        )

    # settings and the index

    def _say(self, kind: lsp.MessageType, message: str) -> None:
        self.window_show_message(lsp.ShowMessageParams(type=kind, message=f"{NAME}: {message}"))

    async def reload(self) -> None:
        """Read the settings, check the open documents on their own, then build the index again."""
        self._generation += 1
        generation = self._generation
        self.settings = await self._read_settings()
        settings = self.settings
        self.checker = Workspace(replace(settings, cache=False))
        self.configured().set()
        await self._recheck()
        if self.root is None:
            return
        started = time.perf_counter()
        loop = asyncio.get_running_loop()
        try:
            checker = await loop.run_in_executor(
                self._indexing, lambda: Workspace(settings, [self.root], index_only=True)
            )
        except AsyncmendError as exc:
            self._say(lsp.MessageType.Error, f"cannot index the project: {exc}")
            return
        if generation != self._generation:
            return
        self.checker = checker
        took = time.perf_counter() - started
        self.window_log_message(lsp.LogMessageParams(
            type=lsp.MessageType.Info,
            message=f"{NAME}: indexed {len(checker.index.modules)} modules of {self.root} in {took:.1f} s",
        ))
        await self._recheck()

    async def _read_settings(self) -> Settings:
        """``[tool.asyncmend]`` of the root's pyproject.toml, then the editor's settings on top.

        A bad setting is shown to the user, and then the editor's settings are left out."""
        editor = _settings_table(self.init_options)
        capabilities = self.client_capabilities.workspace
        if capabilities is not None and capabilities.configuration:
            try:
                answer = await self.workspace_configuration_async(lsp.ConfigurationParams(
                    items=[lsp.ConfigurationItem(section=SECTION, scope_uri=_uri_of(self.root))]
                ))
                editor.update(_settings_table(answer[0] if answer else None))
            except Exception as exc:  # a client that says it answers and does not
                log.warning("workspace/configuration failed: %s", exc)
        config = find_config(self.root) if self.root else None
        try:
            return self._resolve(config, editor)
        except AsyncmendError as exc:
            self._say(lsp.MessageType.Error, f"{exc}; the editor's asyncmend settings are not used")
        try:
            return self._resolve(config, {})
        except AsyncmendError as exc:
            self._say(lsp.MessageType.Error, f"{exc}; using the default settings")
            return Settings(cache=True)

    @staticmethod
    def _resolve(config, editor: dict) -> Settings:
        options = dict(editor)
        python = options.pop("python", None)
        if python is not None and not isinstance(python, str):
            raise AsyncmendError("editor settings python: expected a path")
        values = table_values(options, "editor settings")
        return resolve_settings(config, python=python, cache=True, **values)

    # checking documents

    def _document(self, uri: str):
        try:
            doc = self.workspace.get_text_document(uri)
        except KeyError:
            return None
        if doc.language_id not in (None, "python") and not uri.endswith((".py", ".pyi")):
            return None
        return doc

    async def _publish(self, uri: str, others: bool) -> None:
        self._timers.pop(uri, None)
        await self.configured().wait()
        doc = self._document(uri)
        if doc is None or uri not in self.workspace.text_documents:
            return
        version, text = doc.version, doc.source
        diagnostics = await self._in_worker(self._diagnose, _path(uri), text, self.workspace.position_codec)
        if uri in self.workspace.text_documents and self.workspace.get_text_document(uri).version == version:
            self.text_document_publish_diagnostics(
                lsp.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version)
            )
        if others:
            await self._recheck(skip=uri)

    async def _recheck(self, skip: str | None = None) -> None:
        for uri in list(self.workspace.text_documents):
            if uri != skip and self._document(uri) is not None:
                await self._publish(uri, others=False)

    def _findings(self, path: str, text: str) -> tuple[SourceFile, engine.FileResult]:
        src = _source(path, text)
        assert self.checker is not None  # set before the first check (see ``configured``)
        result = self.checker.analyse(src)
        if result.error is not None:
            log.info("%s: %s", path, result.error)
        return src, result

    def _diagnose(self, path: str, text: str, codec: PositionCodec) -> list[lsp.Diagnostic]:
        _, result = self._findings(path, text)
        lines = split_lines(text)
        return [_diagnostic(f, lines, codec) for f in result.findings]

    def _from_disk(self, path: str) -> None:
        """The index learns the file's text on disk (a document closed, a file changed outside)."""
        if self.checker is not None and os.path.isfile(path):
            try:
                self.checker.analyse(SourceFile.read(path))
            except AsyncmendError:
                pass

    # code actions

    def _actions(
        self, uri: str, version: int | None, text: str, wanted: lsp.Range, only: list[str] | None,
        codec: PositionCodec, versioned: bool, lazy: bool,
    ) -> list[lsp.CodeAction]:
        """The actions for the findings in ``wanted``. A fix's edit (LibCST parses the file for it, a
        matter of seconds in a large file) is left for ``codeAction/resolve`` when ``lazy``."""
        src, result = self._findings(_path(uri), text)
        findings = result.findings
        lines = split_lines(text)
        here = [f for f in findings if _overlaps(_range(f, lines, codec), wanted)]
        actions: list[lsp.CodeAction] = []
        fixes: list[tuple[lsp.CodeAction, list[Finding]]] = []  # actions whose edit is a fix's

        def action(title: str, kind: str, finding: Finding | None = None, preferred: bool = False):
            made = lsp.CodeAction(
                title=title, kind=kind, is_preferred=preferred or None,
                diagnostics=[_diagnostic(finding, lines, codec)] if finding is not None else None,
            )
            actions.append(made)
            return made

        if _wanted(lsp.CodeActionKind.QuickFix, only):
            for f in here:
                if result.applies(f):
                    unsafe = f.fix.safety != "safe"
                    title = f"Fix {f.rule} ({f.name})" + (" (unsafe fix)" if unsafe else "")
                    fixes.append((action(title, lsp.CodeActionKind.QuickFix, f, not unsafe), [f]))
            seen = set()
            for f in here:
                edit = noqa_edit(text, f.line, f.rule)
                if edit is None or (f.line, f.rule) in seen:
                    continue
                seen.add((f.line, f.rule))
                made = action(f"Ignore {f.rule} on this line (# noqa)", lsp.CodeActionKind.QuickFix, f)
                made.edit = _workspace_edit(uri, version, text, lines, codec, [edit], versioned)
        # The whole file's fixes: when asked for, or offered beside the quick fixes.
        safe = [f for f in findings if f.fix is not None and f.fix.safety == "safe"]
        if safe and _wanted(FIX_ALL, only) and (only is not None or actions):
            fixes.append((action("Fix all safe asyncmend problems", FIX_ALL), safe))
        if lazy:
            for made, group in fixes:
                made.data = {"uri": uri, "version": version, "findings": [_finding_key(f) for f in group]}
            return actions
        groups = list({tuple(group): group for _, group in fixes}.values())  # fix-all may be one fix
        texts = dict(zip(map(tuple, groups), _fixed_texts(src, groups)))
        for made, group in fixes:
            new = texts[tuple(group)]
            if new is None or new == text:
                actions.remove(made)
            else:
                made.edit = _workspace_edit(uri, version, text, lines, codec, text_changes(text, new), versioned)
        return actions

    def _resolve_action(
        self, made: lsp.CodeAction, uri: str, version: int | None, text: str, codec: PositionCodec, versioned: bool,
    ) -> lsp.CodeAction:
        """The edit of an action ``_actions`` left without one, for the text it was made for."""
        data = made.data if isinstance(made.data, dict) else {}
        if data.get("version") != version or not isinstance(data.get("findings"), list):
            return made
        src, result = self._findings(_path(uri), text)
        findings = result.findings
        keys = {tuple(key) for key in data["findings"] if isinstance(key, list)}
        group = [f for f in findings if _finding_key(f) in keys]
        new = _fixed_texts(src, [group])[0] if group and len(group) == len(keys) else None
        if new is not None and new != text:
            made.edit = _workspace_edit(uri, version, text, split_lines(text), codec, text_changes(text, new), versioned)
        return made


def _finding_key(f: Finding) -> tuple:
    """What names a finding in an action's data: its rule and where it starts."""
    return f.rule, f.line, f.col


def _fixed_texts(src: SourceFile, groups: list[list[Finding]]) -> list[str | None]:
    """The text after each group's fixes, or None for each when the file cannot be rewritten."""
    try:
        return list(engine.apply_fixes_each(src, groups))
    except (AsyncmendError, RecursionError) as exc:
        log.info("%s: no fixes: %s", src.path, exc)
        return [None] * len(groups)


# conversions between asyncmend's positions and the client's


def _source(path: str, text: str) -> SourceFile:
    return SourceFile(path, text.encode("utf-8", "surrogatepass"), text, "utf-8", False)


def _path(uri: str) -> str:
    return to_fs_path(uri) or uri


def _uri_of(path: str | None) -> str | None:
    return from_fs_path(path) if path else None


def _position(lines: list[str], line: int, character: int, codec: PositionCodec) -> lsp.Position:
    """A 0-based line and code-point column, in the client's units."""
    return codec.position_to_client_units(lines, lsp.Position(line=line, character=character))


def _range(f: Finding, lines: list[str], codec: PositionCodec) -> lsp.Range:
    return lsp.Range(
        start=_position(lines, f.line - 1, f.col - 1, codec),
        end=_position(lines, f.end_line - 1, f.end_col - 1, codec),
    )


def _offset_position(lines: list[str], starts: list[int], offset: int, codec: PositionCodec) -> lsp.Position:
    line = max(0, bisect.bisect_right(starts, offset) - 1)
    return _position(lines, line, offset - starts[line], codec)


def _overlaps(a: lsp.Range, b: lsp.Range) -> bool:
    def key(p: lsp.Position) -> tuple[int, int]:
        return p.line, p.character

    return key(a.start) <= key(b.end) and key(b.start) <= key(a.end)


def _diagnostic(f: Finding, lines: list[str], codec: PositionCodec) -> lsp.Diagnostic:
    rule = RULES_BY_CODE.get(f.rule)
    return lsp.Diagnostic(
        range=_range(f, lines, codec),
        message=f.message,
        severity=lsp.DiagnosticSeverity.Warning,
        code=f.rule,
        code_description=lsp.CodeDescription(href=doc_url(rule)) if rule is not None else None,
        source=NAME,
    )


def _workspace_edit(
    uri: str, version: int | None, text: str, lines: list[str], codec: PositionCodec, edits: Iterable[Edit],
    versioned: bool,
) -> lsp.WorkspaceEdit:
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    text_edits: list[lsp.TextEdit | lsp.AnnotatedTextEdit | lsp.SnippetTextEdit] = [
        lsp.TextEdit(
            range=lsp.Range(
                start=_offset_position(lines, starts, start, codec),
                end=_offset_position(lines, starts, end, codec),
            ),
            new_text=inserted,
        )
        for start, end, inserted in edits
    ]
    if versioned:
        document = lsp.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version)
        return lsp.WorkspaceEdit(document_changes=[lsp.TextDocumentEdit(text_document=document, edits=text_edits)])
    return lsp.WorkspaceEdit(changes={uri: list(text_edits)})


def _wanted(kind: str, only: list[str] | None) -> bool:
    """LSP kinds are hierarchical: asking for ``source`` includes ``source.fixAll.asyncmend``."""
    return only is None or any(kind == o or kind.startswith(f"{o}.") for o in only)


def _settings_table(value: Any) -> dict:
    """The editor's asyncmend settings, with keys as in ``[tool.asyncmend]``: camelCase
    (``unsafeFixes``) and snake_case keys are accepted as their kebab-case selves. Settings sent
    whole (``{"asyncmend": {...}}`` or ``{"settings": {...}}``) are unwrapped."""
    if not isinstance(value, dict):
        return {}
    for wrapper in (SECTION, "settings"):
        if isinstance(value.get(wrapper), dict):
            value = value[wrapper]
    return {re.sub(r"[A-Z]", lambda m: "-" + m.group().lower(), k).replace("_", "-"): v for k, v in value.items()}


# the protocol

server = AsyncmendServer()


@server.feature(lsp.INITIALIZE)
def initialize(ls: AsyncmendServer, params: lsp.InitializeParams) -> None:
    folders = params.workspace_folders or []
    uri = folders[0].uri if folders else params.root_uri
    ls.root = _path(uri) if uri else params.root_path
    ls.init_options = params.initialization_options


@server.feature(lsp.SHUTDOWN)
def shutdown(ls: AsyncmendServer, params: None) -> None:
    ls.shut_down = True


@server.feature(lsp.EXIT)
def exit_(ls: AsyncmendServer, params: None) -> None:
    _end(0 if ls.shut_down else 1)


@server.feature(lsp.INITIALIZED)
async def initialized(ls: AsyncmendServer, params: lsp.InitializedParams) -> None:
    ls._spawn(ls.reload())
    watched = ls.client_capabilities.workspace.did_change_watched_files if ls.client_capabilities.workspace else None
    if watched is not None and watched.dynamic_registration:
        options = lsp.DidChangeWatchedFilesRegistrationOptions(watchers=[lsp.FileSystemWatcher(glob_pattern="**/*.py")])
        try:
            await ls.client_register_capability_async(lsp.RegistrationParams(registrations=[lsp.Registration(
                id=f"{NAME}-files", method=lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES, register_options=options,
            )]))
        except Exception as exc:  # the client said it could and cannot: edits in the editor still count
            log.warning("cannot watch the project's files: %s", exc)


@server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
async def did_change_watched_files(ls: AsyncmendServer, params: lsp.DidChangeWatchedFilesParams) -> None:
    """A file changed on disk, not in the editor (a checkout, a formatter): the index learns it."""
    changed = [
        _path(change.uri) for change in params.changes
        if change.type != lsp.FileChangeType.Deleted and change.uri not in ls.workspace.text_documents
        and change.uri.endswith(".py")
    ]
    if changed:
        await ls._in_worker(lambda: [ls._from_disk(path) for path in changed])
        await ls._recheck()


@server.feature(lsp.WORKSPACE_DID_CHANGE_CONFIGURATION)
async def did_change_configuration(ls: AsyncmendServer, params: lsp.DidChangeConfigurationParams) -> None:
    if _settings_table(params.settings):
        ls.init_options = params.settings
    ls._spawn(ls.reload())


@server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
async def did_open(ls: AsyncmendServer, params: lsp.DidOpenTextDocumentParams) -> None:
    ls._schedule(params.text_document.uri, 0, others=True)


@server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
async def did_change(ls: AsyncmendServer, params: lsp.DidChangeTextDocumentParams) -> None:
    ls._schedule(params.text_document.uri, DEBOUNCE, others=True)


@server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
async def did_save(ls: AsyncmendServer, params: lsp.DidSaveTextDocumentParams) -> None:
    ls._schedule(params.text_document.uri, 0, others=True)


@server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
async def did_close(ls: AsyncmendServer, params: lsp.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    timer = ls._timers.pop(uri, None)
    if timer is not None:
        timer.cancel()
    ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
    await ls._in_worker(ls._from_disk, _path(uri))
    await ls._recheck()


@server.feature(
    lsp.TEXT_DOCUMENT_CODE_ACTION,
    lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix, FIX_ALL], resolve_provider=True),
)
async def code_action(ls: AsyncmendServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction] | None:
    await ls.configured().wait()
    doc = ls._document(params.text_document.uri)
    if doc is None:
        return None
    return await ls._in_worker(
        ls._actions, doc.uri, doc.version, doc.source, params.range, params.context.only,
        ls.workspace.position_codec, _versioned_edits(ls), _resolves_edits(ls),
    )


@server.feature(lsp.CODE_ACTION_RESOLVE)
async def code_action_resolve(ls: AsyncmendServer, params: lsp.CodeAction) -> lsp.CodeAction:
    uri = params.data.get("uri") if isinstance(params.data, dict) else None
    doc = ls._document(uri) if isinstance(uri, str) else None
    if doc is None:
        return params
    return await ls._in_worker(
        ls._resolve_action, params, doc.uri, doc.version, doc.source, ls.workspace.position_codec, _versioned_edits(ls),
    )


def _versioned_edits(ls: AsyncmendServer) -> bool:
    workspace = ls.client_capabilities.workspace
    return bool(workspace and workspace.workspace_edit and workspace.workspace_edit.document_changes)


def _resolves_edits(ls: AsyncmendServer) -> bool:
    """The client asks for an action's edit when the user picks it (and keeps the action's data)."""
    document = ls.client_capabilities.text_document
    action = document.code_action if document else None
    resolve = action.resolve_support if action else None
    return bool(action and action.data_support and resolve and "edit" in resolve.properties)


def serve() -> None:
    # The index is built in worker processes, started while the server's threads run: one of them
    # blocks reading standard input, and a forked child, closing its copy of stdin, would wait for that
    # read's lock forever. Fresh interpreters inherit no lock.
    multiprocessing.set_start_method("spawn", force=True)
    # The protocol talks over private copies of standard input and output, which child processes do
    # not inherit (a worker holding the output open would keep the client waiting for its end), and
    # anything printed by accident goes to standard error instead of into the protocol.
    sys.stdout.flush()
    reader = os.fdopen(os.dup(0), "rb")
    writer = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format=f"{NAME}: %(message)s")
    server.start_io(reader, writer)
    _end(0)  # the client went away


def _end(code: int) -> None:
    """End the process now: an index still being built is of no use any more, and waiting for it (as
    the interpreter would, for its threads and worker processes) would keep the editor waiting."""
    for worker in multiprocessing.active_children():
        worker.terminate()
    logging.shutdown()
    sys.stderr.flush()
    os._exit(code)
