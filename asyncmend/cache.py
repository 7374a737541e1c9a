"""A cache of per-file analyses, so that a run re-parses only the files that changed.

Entries are keyed by the file's path as given, whether it was analysed fully or only for the index,
and its content hash; the whole cache is keyed by the tool's own code, the Python version and the
settings that change what an analysis holds. Each entry also keeps the file's ``stat`` stamp (size,
mtime, inode), as ruff and git do, so a warm run knows an unchanged file without reading it; a stamp
is kept only when the file was last modified well before it was read, since a change within the
file system's timestamp granularity could otherwise keep size and mtime ("racy git"). One file per
project and key, replaced atomically, so concurrent runs never see a half-written cache (the last
writer wins). The folder holds a
``.gitignore`` so it is never committed.

The same file keeps the last run's resolved results, under a key made of everything they depend on
(``engine._run_key``: every file's content digest, the settings and the environment read for
packages): a run in which nothing changed takes them as they are, with no project index, no
resolution across modules and no stub read.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import pickle
import sys
import tempfile
import time
from pathlib import Path

_FORMAT = 6  # 3: the run's resolved results; 4: CallSite.shape, .bound, .returns_nothing; 5: types;
# 6: ModuleSummary.awaits, .asyncio_ref
# How long before it is read a file must have last changed for its stat stamp to be trusted.
_RACY_NS = 2_000_000_000
# The folders of the tool's own code: in a checkout, ``codemods/`` is not inside ``asyncmend/`` (see
# pyproject.toml), so each package is found where it would be imported from.
_PACKAGES = ("asyncmend", "asyncmend.codemods")


def _code_fingerprint() -> str:
    """The tool's own source files (names, sizes, mtimes): any change to the tool empties the cache."""
    h = hashlib.blake2b(digest_size=8)
    h.update(f"{_FORMAT}:{sys.version}".encode())
    for package in _PACKAGES:
        folder = Path(next(iter(importlib.util.find_spec(package).submodule_search_locations)))
        for path in sorted(folder.rglob("*.py")):  # the subpackages too (semantic/, the rule families)
            st = path.stat()
            h.update(f"{package}/{path.relative_to(folder).as_posix()}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()


def stamp(st: os.stat_result) -> tuple[int, int, int]:
    return (st.st_size, st.st_mtime_ns, st.st_ino)


class AnalysisCache:
    def __init__(self, folder: Path, settings_key: str):
        self.folder = folder
        key = hashlib.blake2b(f"{_code_fingerprint()}:{settings_key}".encode(), digest_size=8).hexdigest()
        self.file = folder / f"analyses-{key}.pickle"
        self.entries: dict = {}
        self.resolved_key: str | None = None
        self.resolved_results: list = []
        self.dirty = False
        try:
            with open(self.file, "rb") as f:
                entries, self.resolved_key, self.resolved_results = pickle.load(f)
            if isinstance(entries, dict):
                self.entries = entries
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError, ValueError):
            self.entries, self.resolved_key, self.resolved_results = {}, None, []

    def digest(self, key: tuple) -> str | None:
        """The content digest recorded for ``key`` (after this run's ``put``), else ``None``."""
        entry = self.entries.get(key)
        return entry[0] if entry is not None else None

    def resolved(self, run_key: str) -> list | None:
        """The results kept under ``run_key``, else ``None``."""
        return self.resolved_results if self.resolved_key == run_key else None

    def keep_resolved(self, run_key: str, results: list) -> None:
        if self.resolved_key != run_key:
            self.resolved_key, self.resolved_results = run_key, results
            self.dirty = True

    def get(self, key: tuple, digest: str):
        entry = self.entries.get(key)
        return entry[1] if entry is not None and entry[0] == digest else None

    def unchanged(self, key: tuple, st: os.stat_result):
        """The analysis of a file whose stat stamp is the one recorded with it, else ``None``."""
        entry = self.entries.get(key)
        return entry[1] if entry is not None and entry[2] is not None and entry[2] == stamp(st) else None

    def put(self, key: tuple, digest: str, analysis, st: os.stat_result | None = None) -> None:
        """Keep ``analysis`` of the content ``digest``; ``st``, the file's stat taken before it was
        read, lets the next run skip reading it when nothing about it has changed."""
        kept = stamp(st) if st is not None and time.time_ns() - st.st_mtime_ns > _RACY_NS else None
        old = self.entries.get(key)
        if old is not None and old[0] == digest and old[1] is analysis and old[2] == kept:
            return  # a warm hit: nothing to write
        self.entries[key] = (digest, analysis, kept)
        self.dirty = True

    def save(self) -> None:
        """Write the cache; a cache that cannot be written is silently skipped (it is only a cache)."""
        if not self.dirty:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            ignore = self.folder / ".gitignore"
            if not ignore.exists():
                ignore.write_text("# Created by asyncmend\n*\n")
            fd, tmp = tempfile.mkstemp(prefix=".analyses-", dir=self.folder)
            try:
                with os.fdopen(fd, "wb") as f:
                    pickle.dump((self.entries, self.resolved_key, self.resolved_results), f,
                                protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(tmp, self.file)
            except BaseException:
                os.unlink(tmp)
                raise
            self._prune()
        except OSError:
            pass

    def _prune(self, keep: int = 4) -> None:
        """Caches of other tool versions or settings: only the few most recently written stay."""
        others = sorted(self.folder.glob("analyses-*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in others[keep:]:
            old.unlink(missing_ok=True)
