"""``asyncmend server``: started as a subprocess and driven by pygls's LSP client, as an editor would."""
from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any, Callable

import pytest
from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient
from pygls.uris import from_fs_path

TIMEOUT = 60  # seconds: the machine running the tests may be busy

APP = """\
import asyncio


async def save(x):
    await asyncio.sleep(0)


async def main():
    save(1)
"""


class Editor:
    """An LSP client holding open documents, the diagnostics published for them and the log."""

    def __init__(self, root: Path, settings: dict | None = None, init_options: Any = None, timeout: float = TIMEOUT,
                 resolve: bool = False):
        self.root = root
        self.resolve = resolve  # the client asks for a code action's edit when it is picked
        self.timeout = timeout
        self.settings = settings or {}
        self.init_options = init_options
        self.client = LanguageClient("test-editor", "1")
        self.texts: dict[str, str] = {}
        self.versions: dict[str, int] = {}
        self.diagnostics: dict[str, tuple[int | None, list[lsp.Diagnostic]]] = {}
        self.log: list[str] = []
        self.registered: list[str] = []
        self.changed = asyncio.Condition()

        @self.client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        async def publish(ls, params: lsp.PublishDiagnosticsParams) -> None:
            async with self.changed:
                self.diagnostics[params.uri] = (params.version, params.diagnostics)
                self.changed.notify_all()

        @self.client.feature(lsp.WINDOW_LOG_MESSAGE)
        async def log_message(ls, params: lsp.LogMessageParams) -> None:
            async with self.changed:
                self.log.append(params.message)
                self.changed.notify_all()

        @self.client.feature(lsp.WINDOW_SHOW_MESSAGE)
        async def show_message(ls, params: lsp.ShowMessageParams) -> None:
            async with self.changed:
                self.log.append(params.message)
                self.changed.notify_all()

        @self.client.feature(lsp.CLIENT_REGISTER_CAPABILITY)
        async def register(ls, params: lsp.RegistrationParams) -> None:
            async with self.changed:
                self.registered.extend(r.method for r in params.registrations)
                self.changed.notify_all()

        @self.client.feature(lsp.WORKSPACE_CONFIGURATION)
        def configuration(ls, params: lsp.ConfigurationParams) -> list[Any]:
            return [self.settings if item.section == "asyncmend" else None for item in params.items]

    async def __aenter__(self) -> "Editor":
        await self.client.start_io(sys.executable, "-m", "asyncmend.cli", "server", cwd=str(self.root))
        await self.client.initialize_async(lsp.InitializeParams(
            capabilities=lsp.ClientCapabilities(
                workspace=lsp.WorkspaceClientCapabilities(
                    configuration=True, workspace_edit=lsp.WorkspaceEditClientCapabilities(document_changes=True),
                    did_change_watched_files=lsp.DidChangeWatchedFilesClientCapabilities(dynamic_registration=True),
                ),
                general=lsp.GeneralClientCapabilities(position_encodings=[lsp.PositionEncodingKind.Utf16]),
                text_document=lsp.TextDocumentClientCapabilities(code_action=lsp.CodeActionClientCapabilities(
                    data_support=True, resolve_support=lsp.ClientCodeActionResolveOptions(properties=["edit"]),
                )) if self.resolve else None,
            ),
            root_uri=from_fs_path(str(self.root)),
            workspace_folders=[lsp.WorkspaceFolder(uri=from_fs_path(str(self.root)), name="project")],
            initialization_options=self.init_options,
        ))
        self.client.initialized(lsp.InitializedParams())
        return self

    async def __aexit__(self, *exc) -> None:
        await self.client.shutdown_async(None)
        self.client.exit(None)
        await asyncio.wait_for(self.client.stop(), TIMEOUT)

    def uri(self, name: str) -> str:
        return from_fs_path(str(self.root / name))

    async def until(self, ready: Callable[[], Any], what: str) -> Any:
        async def wait() -> Any:
            async with self.changed:
                await self.changed.wait_for(ready)
                return ready()

        try:
            return await asyncio.wait_for(wait(), self.timeout)
        except asyncio.TimeoutError:
            pytest.fail(f"waited {self.timeout} s for {what}; diagnostics: {self.diagnostics}; log: {self.log}")

    async def indexed(self) -> None:
        await self.until(lambda: any("indexed" in m for m in self.log), "the project index")

    async def diagnostics_of(self, name: str) -> list[lsp.Diagnostic]:
        """The diagnostics published for the document's current version."""
        uri = self.uri(name)

        def now() -> list[lsp.Diagnostic] | None:
            version, found = self.diagnostics.get(uri, (None, None))
            return found if found is not None and version == self.versions[uri] else None

        await self.until(lambda: now() is not None, f"diagnostics of {name} version {self.versions[uri]}")
        return list(now())

    def open(self, name: str) -> None:
        uri = self.uri(name)
        self.texts[uri] = (self.root / name).read_text()
        self.versions[uri] = 1
        self.diagnostics.pop(uri, None)
        self.client.text_document_did_open(lsp.DidOpenTextDocumentParams(
            text_document=lsp.TextDocumentItem(uri=uri, language_id="python", version=1, text=self.texts[uri])
        ))

    def change(self, name: str, text: str) -> None:
        uri = self.uri(name)
        self.texts[uri] = text
        self.versions[uri] += 1
        self.client.text_document_did_change(lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
            content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)],
        ))

    async def actions(self, name: str, diagnostic: lsp.Diagnostic | None, only: list[str] | None = None):
        uri = self.uri(name)
        where = diagnostic.range if diagnostic else lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0))
        return await self.client.text_document_code_action_async(lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri), range=where,
            context=lsp.CodeActionContext(diagnostics=[diagnostic] if diagnostic else [], only=only),
        )) or []

    def apply(self, action: lsp.CodeAction) -> None:
        """Apply the action's edit as an editor does and tell the server of the new text."""
        (change,) = action.edit.document_changes
        uri = change.text_document.uri
        assert change.text_document.version == self.versions[uri]
        self.change(_name(self.root, uri), apply_edits(self.texts[uri], change.edits))


def _name(root: Path, uri: str) -> str:
    return next(n for n in map(str, (p.relative_to(root) for p in root.rglob("*.py"))) if from_fs_path(str(root / n)) == uri)


def apply_edits(text: str, edits) -> str:
    """Apply LSP text edits (UTF-16 positions, non-overlapping) from the last to the first."""
    lines = text.splitlines(keepends=True) or [""]

    def offset(p: lsp.Position) -> int:
        before = sum(len(line) for line in lines[: p.line])
        line = lines[p.line] if p.line < len(lines) else ""
        units = 0
        for i, ch in enumerate(line):
            if units >= p.character:
                return before + i
            units += 2 if ord(ch) > 0xFFFF else 1
        return before + len(line)

    spans = sorted(((offset(e.range.start), offset(e.range.end), e.new_text) for e in edits), reverse=True)
    for start, end, new in spans:
        text = text[:start] + new + text[end:]
    return text


def _project(root: Path, files: dict[str, str]) -> Path:
    (root / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def run(coro) -> None:
    asyncio.run(coro)


def test_a_mistake_is_reported_fixed_and_gone(tmp_path: Path) -> None:
    root = _project(tmp_path, {"app.py": APP})

    async def scenario() -> None:
        async with Editor(root) as editor:
            editor.open("app.py")
            (found,) = await editor.diagnostics_of("app.py")
            assert found.code == "AM101" and found.source == "asyncmend"
            assert found.severity == lsp.DiagnosticSeverity.Warning
            assert found.code_description.href.endswith("#am101-unawaited-coroutine")
            assert found.range == lsp.Range(lsp.Position(8, 4), lsp.Position(8, 11))

            actions = await editor.actions("app.py", found)
            titles = [a.title for a in actions]
            assert titles == [
                "Fix AM101 (unawaited-coroutine)", "Ignore AM101 on this line (# noqa)", "Fix all safe asyncmend problems",
            ]
            fix = actions[0]
            assert fix.kind == lsp.CodeActionKind.QuickFix and fix.is_preferred
            editor.apply(fix)
            assert editor.texts[editor.uri("app.py")] == APP.replace("    save(1)", "    await save(1)")
            assert await editor.diagnostics_of("app.py") == []

    run(scenario())


def test_a_client_that_resolves_gets_the_edit_when_it_picks_the_fix(tmp_path: Path) -> None:
    root = _project(tmp_path, {"app.py": APP})

    async def scenario() -> None:
        async with Editor(root, resolve=True) as editor:
            editor.open("app.py")
            (found,) = await editor.diagnostics_of("app.py")
            fix, noqa, fix_all = await editor.actions("app.py", found)
            assert fix.edit is None and fix_all.edit is None and noqa.edit is not None
            resolved = await editor.client.code_action_resolve_async(fix)
            editor.apply(resolved)
            assert editor.texts[editor.uri("app.py")] == APP.replace("    save(1)", "    await save(1)")
            assert await editor.diagnostics_of("app.py") == []
            # An action made for an older text gets no edit.
            assert (await editor.client.code_action_resolve_async(fix_all)).edit is None

    run(scenario())


def test_positions_count_utf16_units(tmp_path: Path) -> None:
    text = APP.replace("    save(1)", "    mood = '😀'; save(1)")
    root = _project(tmp_path, {"app.py": text})

    async def scenario() -> None:
        async with Editor(root) as editor:
            editor.open("app.py")
            (found,) = await editor.diagnostics_of("app.py")
            assert found.range == lsp.Range(lsp.Position(8, 17), lsp.Position(8, 24))  # the emoji is 2 units
            editor.apply((await editor.actions("app.py", found))[0])
            assert editor.texts[editor.uri("app.py")] == text.replace("; save(1)", "; await save(1)")

    run(scenario())


def test_ignore_on_this_line_and_fix_all(tmp_path: Path) -> None:
    text = APP + "\n\nasync def other():\n    save(2)  # a comment\n"
    root = _project(tmp_path, {"app.py": text})

    async def scenario() -> None:
        async with Editor(root) as editor:
            editor.open("app.py")
            first, second = await editor.diagnostics_of("app.py")
            (fix_all,) = await editor.actions("app.py", None, only=[lsp.CodeActionKind.SourceFixAll])
            assert fix_all.kind == "source.fixAll.asyncmend"
            assert apply_edits(text, fix_all.edit.document_changes[0].edits).count("await save(") == 2

            noqa = next(a for a in await editor.actions("app.py", second) if "noqa" in a.title)
            editor.apply(noqa)
            assert "    save(2)  # a comment  # noqa: AM101\n" in editor.texts[editor.uri("app.py")]
            assert [d.range.start.line for d in await editor.diagnostics_of("app.py")] == [first.range.start.line]

    run(scenario())


STORE_SYNC = "def save(x):\n    print('saved', x)\n"
MAIN = "from pkg.store import save\n\n\nasync def main():\n    save(1)\n"


def test_a_change_in_one_file_reports_a_mistake_in_another(tmp_path: Path) -> None:
    root = _project(tmp_path, {"pkg/__init__.py": "", "pkg/store.py": STORE_SYNC, "pkg/main.py": MAIN})

    async def scenario() -> None:
        async with Editor(root) as editor:
            await editor.indexed()
            editor.open("pkg/main.py")
            editor.open("pkg/store.py")
            assert await editor.diagnostics_of("pkg/main.py") == []
            assert await editor.diagnostics_of("pkg/store.py") == []

            editor.change("pkg/store.py", "async " + STORE_SYNC)  # save() becomes a coroutine function
            (found,) = await editor.until(
                lambda: editor.diagnostics.get(editor.uri("pkg/main.py"), (0, []))[1], "the other file's diagnostic"
            )
            assert found.code == "AM101" and found.range.start.line == 4

            fix = (await editor.actions("pkg/main.py", found))[0]
            editor.apply(fix)
            assert "    await save(1)\n" in editor.texts[editor.uri("pkg/main.py")]
            assert await editor.diagnostics_of("pkg/main.py") == []

    run(scenario())


def test_the_index_knows_files_that_are_not_open(tmp_path: Path) -> None:
    # Enough files for the index to be built in worker processes, started from the server's threads.
    many = {f"pkg/m{i}.py": f"async def f{i}():\n    pass\n" for i in range(64)}
    root = _project(tmp_path, {"pkg/__init__.py": "", "pkg/store.py": "async " + STORE_SYNC, "pkg/main.py": MAIN, **many})

    async def scenario() -> None:
        async with Editor(root) as editor:
            await editor.indexed()
            editor.open("pkg/main.py")
            (found,) = await editor.diagnostics_of("pkg/main.py")
            assert found.code == "AM101"

    run(scenario())


def test_a_file_changed_outside_the_editor_is_learnt(tmp_path: Path) -> None:
    root = _project(tmp_path, {"pkg/__init__.py": "", "pkg/store.py": STORE_SYNC, "pkg/main.py": MAIN})

    async def scenario() -> None:
        async with Editor(root) as editor:
            await editor.indexed()
            await editor.until(lambda: lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES in editor.registered, "the file watch")
            editor.open("pkg/main.py")
            assert await editor.diagnostics_of("pkg/main.py") == []
            (root / "pkg/store.py").write_text("async " + STORE_SYNC)  # as a checkout would
            editor.client.workspace_did_change_watched_files(lsp.DidChangeWatchedFilesParams(changes=[
                lsp.FileEvent(uri=editor.uri("pkg/store.py"), type=lsp.FileChangeType.Changed)
            ]))
            (found,) = await editor.until(
                lambda: editor.diagnostics.get(editor.uri("pkg/main.py"), (0, []))[1], "the new diagnostic"
            )
            assert found.code == "AM101"

    run(scenario())


def test_settings_select_ignore_and_unsafe_fixes(tmp_path: Path) -> None:
    # A coroutine called at a module's top level: the fix (asyncio.run) is unsafe outside a main guard.
    text = "import asyncio\n\n\nasync def job():\n    await asyncio.sleep(0)\n\n\njob()\n"
    root = _project(tmp_path, {"app.py": text})
    (root / "pyproject.toml").write_text("[project]\nname = 'demo'\n[tool.asyncmend]\nignore = ['AM101']\n")

    async def offered(settings: dict | None, init_options: Any = None) -> tuple[list, list]:
        async with Editor(root, settings, init_options) as editor:
            editor.open("app.py")
            found = await editor.diagnostics_of("app.py")
            actions = await editor.actions("app.py", found[0]) if found else []
            return [d.code for d in found], [a.title for a in actions]

    codes, titles = asyncio.run(offered(None))
    assert codes == ["AM102"]
    assert titles == ["Ignore AM102 on this line (# noqa)"]
    codes, titles = asyncio.run(offered({"unsafeFixes": True}))
    assert titles[:2] == ["Fix AM102 (coroutine-called-sync) (unsafe fix)", "Ignore AM102 on this line (# noqa)"]
    codes, _ = asyncio.run(offered(None, {"settings": {"ignore": ["AM102"]}}))
    assert codes == []


def test_a_bad_setting_is_shown_and_the_rest_still_works(tmp_path: Path) -> None:
    root = _project(tmp_path, {"app.py": APP})

    async def scenario() -> None:
        async with Editor(root, {"select": ["AM999"]}) as editor:
            editor.open("app.py")
            await editor.until(lambda: any("AM999" in m for m in editor.log), "the message about the setting")
            assert [d.code for d in await editor.diagnostics_of("app.py")] == ["AM101"]

    run(scenario())


def test_exit_while_the_index_is_built_ends_at_once(tmp_path: Path) -> None:
    # Many files: the index is still being built in worker processes when the client says exit. Those
    # must end with the server, and none may keep the server's output open (the client waits for it).
    root = _project(tmp_path, {f"pkg/m{i}.py": f"async def f{i}():\n    pass\n" * 50 for i in range(3000)})
    (root / "app.py").write_text(APP)

    async def scenario() -> float:
        editor = Editor(root)
        await editor.__aenter__()
        editor.open("app.py")
        await editor.diagnostics_of("app.py")  # checked on its own: the index build starts now
        await asyncio.sleep(0.2)  # let the workers start
        assert not any("indexed" in m for m in editor.log), "the index was built too soon to test this"
        started = asyncio.get_running_loop().time()
        await editor.__aexit__(None, None, None)
        return asyncio.get_running_loop().time() - started

    assert asyncio.run(scenario()) < 10
