"""Hostile input: every case gets a clear message and the right exit code, and no file loses data.

Each test runs the real command line (in process through click's runner, or as a subprocess where a
signal is needed) over files made in a temporary folder. A file that has something to fix carries an
unawaited coroutine, so "untouched" is a claim with teeth: the fixer would have changed it.
"""
from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from asyncmend import cli, engine, source

MISTAKE = "async def save():\n    pass\n\n\nasync def main():\n    save()\n"
MENDED = MISTAKE.replace("    save()", "    await save()")


def run(*args: str):
    """Run the command line in process, one worker (so monkeypatches apply), from the given folder."""
    result = CliRunner().invoke(cli.main, [*args, "-j", "1"], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def leftovers(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.startswith(".asyncmend-")]


# --- what a file holds -------------------------------------------------------------------------


def test_not_utf8_without_cookie(tmp_path: Path) -> None:
    bad = tmp_path / "latin.py"
    bad.write_bytes(b'name = "Jos\xe9"\n' + MISTAKE.encode())
    good = tmp_path / "good.py"
    good.write_text(MISTAKE)
    code, _, err = run("fix", str(tmp_path))
    assert code == 1
    assert f"{bad}: cannot decode: invalid or missing encoding declaration" in err
    assert bad.read_bytes() == b'name = "Jos\xe9"\n' + MISTAKE.encode()
    assert good.read_text() == MENDED  # the rest of the run goes on


def test_latin1_with_cookie_is_fixed_in_its_encoding(tmp_path: Path) -> None:
    f = tmp_path / "latin.py"
    f.write_bytes(b'# -*- coding: latin-1 -*-\nname = "Jos\xe9"\n' + MISTAKE.encode())
    code, _, _ = run("fix", str(f))
    assert code == 0
    assert f.read_bytes() == b'# -*- coding: latin-1 -*-\nname = "Jos\xe9"\n' + MENDED.encode()


def test_nul_byte(tmp_path: Path) -> None:
    f = tmp_path / "nul.py"
    data = MISTAKE.encode() + b"x = '\x00'\n"
    f.write_bytes(data)
    code, _, err = run("fix", str(f))
    assert code == 1
    assert f"{f}: source contains a NUL byte" in err
    assert f.read_bytes() == data


@pytest.mark.parametrize(
    "data",
    [b"", b"\n", b"# only a comment", b"# one\r\n# two\r\n", b"\xef\xbb\xbf# BOM and a comment\n"],
    ids=["empty", "newline", "comment-no-eol", "comments-crlf", "bom-comment"],
)
def test_empty_and_comment_only_files(tmp_path: Path, data: bytes) -> None:
    """Valid Python with nothing in it: exit 0 ("No problems found") and not a byte changed.

    Unlike the other cases this is not an error: an empty ``__init__.py`` is the most common file
    there is, and a non-zero exit for it would fail every pre-commit run.
    """
    f = tmp_path / "empty.py"
    f.write_bytes(data)
    assert run("check", str(f)) == (0, "", "No problems found.\n")
    code, _, err = run("fix", str(f))
    assert code == 0, err
    assert f.read_bytes() == data


def test_five_megabyte_file(tmp_path: Path) -> None:
    """5 MB of data and code; the one mistake at the end is fixed, every other byte stays."""
    # Long rows keep the node count (and so LibCST's time) modest: the size is what is tested here.
    row = "    ('row-%d', '%s'),  # r\u00e9sum\u00e9 %d\r\n"
    rows = [row % (i, "x" * 4000, i) for i in range(5 * 1024 * 1024 // 4000 + 1)]
    head = "ROWS = [\r\n" + "".join(rows) + "]\r\n\r\n\r\n"
    f = tmp_path / "big.py"
    f.write_bytes((head + MISTAKE.replace("\n", "\r\n")).encode())
    assert f.stat().st_size > 5 * 1024 * 1024
    start = time.monotonic()
    code, _, err = run("fix", str(f))
    assert code == 0, err
    assert f.read_bytes() == (head + MENDED.replace("\n", "\r\n")).encode()
    assert time.monotonic() - start < 60


DEEP_FOR_AST = "x = " + "1 + " * 3000 + "1\n"  # the compiler gives up (RecursionError)
DEEP_FOR_ANALYSIS = "x = " + "-" * 1000 + "1\n"  # ast parses it; a recursive visitor cannot
DEEP_FOR_LIBCST = "x = " + "f(" * 150 + ")" * 150 + "\n"  # ast and the analysis cope; LibCST does not


@pytest.mark.parametrize(
    "extra, message",
    [
        (DEEP_FOR_AST, "cannot parse: RecursionError"),
        (DEEP_FOR_ANALYSIS, "cannot analyse: too deeply nested"),
        (DEEP_FOR_LIBCST, "cannot rewrite: too deeply nested for LibCST"),
    ],
    ids=["ast", "analysis", "libcst"],
)
def test_deeply_nested_expressions(tmp_path: Path, extra: str, message: str) -> None:
    deep = tmp_path / "deep.py"
    deep.write_text(MISTAKE + extra)
    good = tmp_path / "good.py"
    good.write_text(MISTAKE)
    code, _, err = run("fix", str(tmp_path))
    assert code == 1
    assert f"{deep}: {message}" in err
    assert deep.read_text() == MISTAKE + extra
    assert good.read_text() == MENDED


# --- what a path is ----------------------------------------------------------------------------


def test_symlink_loops(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    (proj / "pkg").mkdir(parents=True)
    (proj / "pkg" / "mod.py").write_text(MISTAKE)
    (proj / "pkg" / "again").symlink_to("..")  # a folder loop
    (proj / "a.py").symlink_to("b.py")  # a file loop
    (proj / "b.py").symlink_to("a.py")
    code, out, err = run("check", str(proj))
    assert code == 1
    assert out.count("AM101") == 1  # mod.py once, not once per trip round the loop
    assert f"{proj / 'a.py'}: cannot open: Too many levels of symbolic links" in err
    assert f"{proj / 'b.py'}: cannot open: Too many levels of symbolic links" in err
    code, _, err = run("check", str(proj / "a.py"))
    assert code == 1 and "Too many levels of symbolic links" in err


def test_links_out_of_the_tree_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "theirs.py").write_text(MISTAKE)
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "mine.py").write_text(MISTAKE)
    (proj / "linked_file.py").symlink_to(outside / "theirs.py")
    (proj / "linked_dir").symlink_to(outside)
    code, _, err = run("fix", str(proj))
    assert code == 0, err
    assert (proj / "mine.py").read_text() == MENDED
    assert (outside / "theirs.py").read_text() == MISTAKE
    # Named explicitly, a link is taken: the user asked for that file.
    code, _, err = run("fix", str(proj / "linked_file.py"))
    assert code == 0, err
    assert (outside / "theirs.py").read_text() == MENDED
    assert (proj / "linked_file.py").is_symlink()


def test_link_inside_the_tree_is_fixed_once_and_stays_a_link(tmp_path: Path) -> None:
    (tmp_path / "real.py").write_text(MISTAKE)
    (tmp_path / "alias.py").symlink_to("real.py")
    code, _, err = run("fix", str(tmp_path))
    assert code == 0, err
    assert (tmp_path / "real.py").read_text() == MENDED
    assert (tmp_path / "alias.py").is_symlink()
    assert "1 file" in err


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """chmod 000 does not stop root (the tests run as root), so the refusal is simulated at ``os.open``."""
    secret = tmp_path / "secret.py"
    secret.write_text(MISTAKE)
    other = tmp_path / "other.py"
    other.write_text(MISTAKE)
    real_open = os.open

    def refuse(path, *args, **kwargs):
        if os.fspath(path).endswith("secret.py"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(source.os, "open", refuse)
    code, _, err = run("fix", str(tmp_path))
    assert code == 1
    assert f"{secret}: cannot read: Permission denied" in err
    assert secret.read_text() == MISTAKE
    assert other.read_text() == MENDED


def test_pipe_and_folder_named_like_source(tmp_path: Path) -> None:
    """A FIFO named x.py would block a plain ``open()`` forever; a folder named x.py is walked."""
    os.mkfifo(tmp_path / "pipe.py")
    (tmp_path / "folder.py").mkdir()
    (tmp_path / "folder.py" / "inner.py").write_text(MISTAKE)
    code, out, err = run("check", str(tmp_path))
    assert code == 1
    assert f"{tmp_path / 'pipe.py'}: not a regular file" in err
    assert "inner.py:6:5: AM101" in out
    code, _, err = run("check", str(tmp_path / "pipe.py"))
    assert code == 1 and "not a regular file" in err


def test_read_only_file_needing_a_fix(tmp_path: Path) -> None:
    f = tmp_path / "frozen.py"
    f.write_text(MISTAKE)
    f.chmod(0o444)
    # As root, access() says yes: the engine must read the mode bits itself.
    if os.geteuid() == 0:
        assert os.access(f, os.W_OK)
    code, out, err = run("fix", str(f))
    assert code == 1
    assert f"{f}: cannot write: file is read-only (mode 0444); not fixed" in err
    assert f.read_text() == MISTAKE
    assert stat.S_IMODE(f.stat().st_mode) == 0o444
    assert not leftovers(tmp_path)
    # --diff still shows what would change: writing is what is refused.
    f.chmod(0o644)
    code, out, _ = run("fix", "--diff", str(f))
    assert "+    await save()" in out


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file away")
def test_fixed_file_keeps_owner_and_mode(tmp_path: Path) -> None:
    f = tmp_path / "theirs.py"
    f.write_text(MISTAKE)
    f.chmod(0o640)
    os.chown(f, 1234, 5678)
    code, _, err = run("fix", str(f))
    assert code == 0, err
    assert f.read_text() == MENDED
    st = f.stat()
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (1234, 5678, 0o640)


def test_path_that_does_not_exist(tmp_path: Path) -> None:
    good = tmp_path / "good.py"
    good.write_text(MISTAKE)
    missing = tmp_path / "missing.py"
    code, _, err = run("fix", str(missing), str(good))
    assert code == 1
    assert f"{missing}: no such file or directory" in err
    assert good.read_text() == MENDED
    (tmp_path / "dangling.py").symlink_to("nowhere.py")
    code, _, err = run("check", str(tmp_path / "dangling.py"))
    assert code == 1 and "a broken symbolic link" in err


# --- what happens during a run -----------------------------------------------------------------


def test_file_changed_after_analysis(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "busy.py"
    f.write_text(MISTAKE)
    theirs = MISTAKE + "# an editor saved this meanwhile\n"
    analyze = engine.analyze

    def analyze_then_edit(*args, **kwargs):
        out = analyze(*args, **kwargs)
        f.write_text(theirs)
        return out

    monkeypatch.setattr(engine, "analyze", analyze_then_edit)
    code, _, err = run("fix", str(f))
    assert code == 1
    assert f"{f}: file changed on disk while it was being checked; not fixed" in err
    assert f.read_text() == theirs


def test_file_changed_while_being_rewritten(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "busy.py"
    f.write_text(MISTAKE)
    theirs = MISTAKE + "# an editor saved this meanwhile\n"
    apply_fixes = engine.apply_fixes

    def rewrite_while_edited(src, findings):
        new = apply_fixes(src, findings)
        f.write_text(theirs)
        return new

    monkeypatch.setattr(engine, "apply_fixes", rewrite_while_edited)
    code, _, err = run("fix", str(f))
    assert code == 1
    assert f"{f}: file changed on disk while it was being fixed; not overwritten" in err
    assert f.read_text() == theirs
    assert not leftovers(tmp_path)


def test_a_bug_costs_one_file_not_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from asyncmend.codemods.unawaited import rewrite as unawaited_rewrite

    (tmp_path / "a.py").write_text(MISTAKE)
    (tmp_path / "b.py").write_text(MISTAKE.replace("main", "other"))
    rewrite = unawaited_rewrite.rewrite

    def broken(module, findings, locate, context):
        if "other" in module.code:
            raise ValueError("boom")
        return rewrite(module, findings, locate, context)

    monkeypatch.setattr(unawaited_rewrite, "rewrite", broken)
    code, _, err = run("fix", str(tmp_path))
    assert code == 2
    assert f"{tmp_path / 'b.py'}: internal error: ValueError: boom at test_hostile.py:" in err
    assert (tmp_path / "a.py").read_text() == MENDED
    assert (tmp_path / "b.py").read_text() == MISTAKE.replace("main", "other")


def test_ctrl_c_during_parallel_fix(tmp_path: Path) -> None:
    """SIGINT to the whole process group (as a terminal sends it) in the middle of ``fix -j 2``."""
    proj = tmp_path / "proj"
    proj.mkdir()
    # Files big enough that rewriting takes a while, each with a mistake at the end.
    filler = "".join(f"def helper_{i}(a, b):\n    return [a, b, {i}]\n\n\n" for i in range(150))
    before = {}
    for n in range(30):
        text = filler + MISTAKE.replace("main", f"main_{n}")
        (proj / f"m{n:02}.py").write_text(text)
        before[f"m{n:02}.py"] = text
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "asyncmend.cli", "fix", "--no-cache", "-j", "2", str(proj)],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True, env=env,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if any(p.read_text() != before[p.name] for p in proj.glob("*.py")):
            break
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    after = tree(proj)
    assert set(after) == set(before)
    new = [name for name, text in before.items() if after[name].decode() == text.replace(
        "    save()", "    await save()")]
    old = [name for name, text in before.items() if after[name].decode() == text]
    assert len(new) + len(old) == len(before)  # each file exactly old or exactly new
    assert new and old  # the interrupt really came in the middle
    assert not leftovers(tmp_path)


def test_file_that_parses_but_does_not_compile(tmp_path: Path) -> None:
    """``ast`` accepts a bad ``__future__`` import; the compiler (and symtable) do not."""
    f = tmp_path / "future.py"
    f.write_text("from __future__ import braces\n" + MISTAKE)
    code, _, err = run("fix", str(f))
    assert code == 1
    assert f"{f}: cannot compile: not a chance (line 1)" in err
    assert f.read_text() == "from __future__ import braces\n" + MISTAKE


def test_output_that_would_not_compile_is_not_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rewriter bug that puts ``await`` into a plain ``def`` parses, but must never be written."""
    from asyncmend.codemods.unawaited import rewrite as unawaited_rewrite

    f = tmp_path / "sync.py"
    f.write_text(MISTAKE)
    rewrite = unawaited_rewrite.rewrite

    def await_in_plain_def(module, findings, locate, context):
        new = rewrite(module, findings, locate, context)
        import libcst as cst

        return cst.parse_module(new.code.replace("async def main", "def main"))

    monkeypatch.setattr(unawaited_rewrite, "rewrite", await_in_plain_def)
    code, _, err = run("fix", str(f))
    assert code == 2
    assert "internal error: the fixed code does not compile ('await' outside async function" in err
    assert f.read_text() == MISTAKE


def test_file_libcst_does_not_round_trip(tmp_path: Path) -> None:
    """LibCST 1.9 loses the first of these trailing comments; such a file is reported, not rewritten."""
    f = tmp_path / "tail.py"
    text = MISTAKE + "print()\n    # first trailing comment\n    # second\n"
    f.write_text(text)
    code, _, err = run("fix", str(f))
    assert code == 1
    assert f"{f}: cannot rewrite: LibCST does not reproduce this file exactly; not fixed" in err
    assert f.read_text() == text


def test_a_worker_that_dies_is_reported() -> None:
    """A crash in native code (LibCST's parser is Rust) kills a worker: a message, not a traceback."""
    from asyncmend.model import AsyncmendError

    with pytest.raises(AsyncmendError, match="internal error: a worker process died"):
        engine._map(os._exit, [3, 3, 3, 3], jobs=2)


def test_warnings_of_the_checked_file_stay_quiet(tmp_path: Path) -> None:
    """An invalid escape sequence warns while parsing; that is no business of asyncmend's output."""
    import warnings

    src = source.SourceFile.from_bytes("w.py", b'import re\nP = re.compile("\\d+")\n' + MISTAKE.encode())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        src.tree  # noqa: B018
        assert engine.fix_source(src.text, engine.Settings(jobs=1)).changed
