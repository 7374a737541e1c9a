"""A fixed file is replaced in one step: a crash before the rename leaves the old file whole.

The crash is simulated where it hurts: after the new content is written to disk and before the rename
that puts it in place, both in process (an exception: the temporary file is cleaned up) and in a
process that dies on the spot (``os._exit``: nothing is cleaned up, yet the old file is intact).
"""
from __future__ import annotations

import codecs
import os
import subprocess
import sys
from pathlib import Path

import pytest

from asyncmend import engine, source
from asyncmend.config import Settings
from asyncmend.model import AsyncmendError
from asyncmend.source import SourceFile, write_atomic

ROOT = Path(__file__).resolve().parent.parent
MISTAKE = "async def save():\n    pass\n\n\nasync def main():\n    save()\n"
MENDED = MISTAKE.replace("    save()", "    await save()")


def _temporaries(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name.startswith(".asyncmend-"))


def test_fix_replaces_the_file_instead_of_writing_into_it(tmp_path: Path) -> None:
    """An in-place write keeps the file's inode; an atomic replace gives the path a new one."""
    f = tmp_path / "m.py"
    f.write_text(MISTAKE)
    other_name = tmp_path / "hard-link.py"
    os.link(f, other_name)  # a second name of the old file: it must still hold the old content
    before = f.stat().st_ino
    run = engine.fix([str(f)], Settings(jobs=1), write=True)
    assert not run.errors and f.read_text() == MENDED
    assert f.stat().st_ino != before
    assert other_name.read_text() == MISTAKE
    assert not _temporaries(tmp_path)


def test_write_atomic_writes_through_the_same_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "m.py"
    f.write_text(MISTAKE)
    seen = []
    replace = os.replace

    def watching_replace(src, dst):
        # At the moment of the rename: the new content is complete in a temporary file beside the
        # target, and the target is still the old file.
        seen.append((Path(src).parent, Path(src).read_text(), Path(dst).read_text()))
        replace(src, dst)

    monkeypatch.setattr(source.os, "replace", watching_replace)
    write_atomic(SourceFile.read(str(f)), MENDED)
    assert seen == [(tmp_path, MENDED, MISTAKE)]
    assert f.read_text() == MENDED


@pytest.mark.parametrize("crash", [KeyboardInterrupt, SystemExit, OSError(28, "No space left on device")])
def test_crash_between_write_and_rename_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, crash
) -> None:
    f = tmp_path / "m.py"
    f.write_bytes(MISTAKE.encode())
    f.chmod(0o640)

    def crash_at_rename(src, dst):
        assert Path(src).read_text() == MENDED  # the new content was written in full first
        raise crash

    monkeypatch.setattr(source.os, "replace", crash_at_rename)
    expected = AsyncmendError if isinstance(crash, OSError) else crash
    with pytest.raises(expected) as info:
        write_atomic(SourceFile.read(str(f)), MENDED)
    if expected is AsyncmendError:
        assert str(info.value) == "cannot write: No space left on device"
    assert f.read_bytes() == MISTAKE.encode()
    assert (f.stat().st_mode & 0o777) == 0o640
    assert not _temporaries(tmp_path)


def test_crash_while_writing_leaves_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "m.py"
    f.write_text(MISTAKE)

    def disk_fails(fd):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(source.os, "fsync", disk_fails)
    with pytest.raises(AsyncmendError, match="^cannot write: Input/output error$"):
        write_atomic(SourceFile.read(str(f)), MENDED)
    assert f.read_text() == MISTAKE
    assert not _temporaries(tmp_path)


DIE_AT_RENAME = """\
import os, sys
from asyncmend import source

def die(src, dst):
    sys.stdout.write(open(src).read())
    sys.stdout.flush()
    os._exit(7)  # the process is gone: no finally, no clean-up

source.os.replace = die
from asyncmend import cli
cli.main(["fix", "-j", "1", "--no-cache", sys.argv[1]])
"""


def test_process_killed_before_the_rename_leaves_the_old_file(tmp_path: Path) -> None:
    folder = tmp_path / "project"
    folder.mkdir()
    f = folder / "m.py"
    f.write_text(MISTAKE)
    proc = subprocess.run([sys.executable, "-c", DIE_AT_RENAME, str(f)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 7, proc.stderr
    assert proc.stdout == MENDED  # the crash came after the new content was complete
    assert f.read_text() == MISTAKE
    [left] = _temporaries(folder)  # the dead process could not clean up; the old file is whole anyway
    assert left.read_text() == MENDED


def test_atomic_write_keeps_encoding_bom_and_newlines(tmp_path: Path) -> None:
    f = tmp_path / "m.py"
    text = "# -*- coding: latin-1 -*-\r\n# caf\xe9\r\n" + MISTAKE.replace("\n", "\r\n")
    f.write_bytes(text.encode("latin-1"))
    src = SourceFile.read(str(f))
    write_atomic(src, src.text.replace("    save()", "    await save()"))
    assert f.read_bytes() == text.replace("    save()", "    await save()").encode("latin-1")
    g = tmp_path / "bom.py"
    g.write_bytes(codecs.BOM_UTF8 + MISTAKE.encode())
    src = SourceFile.read(str(g))
    assert src.bom and src.text == MISTAKE
    write_atomic(src, MENDED)
    assert g.read_bytes() == codecs.BOM_UTF8 + MENDED.encode()


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file away")
def test_root_fixing_someone_elses_file_keeps_it_theirs(tmp_path: Path) -> None:
    f = tmp_path / "theirs.py"
    f.write_text(MISTAKE)
    f.chmod(0o640)
    os.chown(f, 1234, 5678)
    write_atomic(SourceFile.read(str(f)), MENDED)
    st = f.stat()
    assert (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (1234, 5678, 0o640)
    assert f.read_text() == MENDED and not _temporaries(tmp_path)


def test_a_file_changed_since_it_was_read_is_not_overwritten(tmp_path: Path) -> None:
    f = tmp_path / "busy.py"
    f.write_text(MISTAKE)
    src = SourceFile.read(str(f))
    theirs = MISTAKE + "# an editor saved this meanwhile\n"
    f.write_text(theirs)
    with pytest.raises(AsyncmendError) as info:
        write_atomic(src, MENDED)
    assert str(info.value) == "file changed on disk while it was being fixed; not overwritten"
    assert f.read_text() == theirs and not _temporaries(tmp_path)


def test_where_files_have_no_owner_to_keep_none_is_asked_for(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # As on Windows: no os.chown, os.getuid or os.getgid.
    f = tmp_path / "m.py"
    f.write_text(MISTAKE)
    src = SourceFile.read(str(f))
    for name in ("chown", "getuid", "getgid"):
        monkeypatch.delattr(source.os, name)
    write_atomic(src, MENDED)
    assert f.read_text() == MENDED and not _temporaries(tmp_path)


def test_a_file_is_read_with_the_open_flags_its_system_has(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # As on Windows: no O_NONBLOCK, and an O_BINARY to ask for (here O_CLOEXEC stands in for it: a flag
    # that changes nothing in the reading).
    f = tmp_path / "m.py"
    f.write_bytes(b"x = 1\r\n")
    opened = []
    os_open = os.open
    monkeypatch.delattr(source.os, "O_NONBLOCK")
    monkeypatch.setattr(source.os, "O_BINARY", os.O_CLOEXEC, raising=False)
    monkeypatch.setattr(source.os, "open", lambda path, flags, *args: opened.append(flags) or os_open(path, flags, *args))
    assert SourceFile.read(str(f)).raw == b"x = 1\r\n"
    assert opened == [os.O_RDONLY | os.O_CLOEXEC]
