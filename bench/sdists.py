"""Helpers shared by the scripts that run asyncmend over real code (bench/corpus.py, bench/ecosystem.py):
a cache folder outside the repository, source distributions fetched with pip and unpacked as shipped,
the Python files of a tree, and the command line run as a user runs it."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

import asyncmend.codemods
from asyncmend import engine

REPO = Path(__file__).resolve().parent.parent
# The command line as the environment's ``asyncmend`` script runs it. The environment must have this
# checkout installed (``pip install -e .``): a run of another checkout's code would be measured silently.
ASYNCMEND = [sys.executable, "-m", "asyncmend.cli"]
if Path(asyncmend.codemods.__file__).resolve().parent != REPO / "codemods":
    sys.exit(f"asyncmend.codemods is imported from {Path(asyncmend.codemods.__file__).parent}, not this "
             f"checkout: pip install -e {REPO}")

SKIP = ("site-packages", "__pycache__")
ARCHIVES = (".tar.gz", ".tgz", ".tar.bz2", ".zip")


def cache_dir(given: str | None, env: str, default: str) -> Path:
    """``given``, else ``$env``, else ``~/.cache/<default>``; never inside the repository."""
    path = Path(given or os.environ.get(env) or Path.home() / ".cache" / default).expanduser()
    if REPO == path.resolve() or REPO in path.resolve().parents:
        sys.exit(f"the cache must be outside the repository: {path}")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _normal(name: str) -> str:
    return name.lower().replace("-", "_").replace(".", "_")


def archive_stem(archive: Path) -> str:
    for suffix in ARCHIVES:
        if archive.name.endswith(suffix):
            return archive.name[: -len(suffix)]
    return archive.stem


def find_sdist(downloads: Path, name: str, version: str | None) -> Path | None:
    """The source archive of ``name`` (at ``version``, or the newest) already in ``downloads``."""
    found = []
    for archive in downloads.iterdir():
        stem = archive_stem(archive)
        if archive.name == stem or "-" not in stem:
            continue
        base, _, ver = stem.rpartition("-")
        if _normal(base) == _normal(name) and (version is None or ver == version):
            found.append(archive)
    return sorted(found)[-1] if found else None


def fetch_sdist(downloads: Path, name: str, version: str | None = None,
                no_binary: str | None = None) -> Path:
    """Download the sdist of ``name`` (``==version`` if given) with pip unless it is already there.

    ``no_binary`` defaults to the package itself: its build dependencies may come as wheels, which is
    quicker than ``:all:`` and works for old packages whose build dependencies no longer build."""
    downloads.mkdir(parents=True, exist_ok=True)
    archive = find_sdist(downloads, name, version)
    if archive is None:
        spec = f"{name}=={version}" if version else name
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", no_binary or name,
             "-d", str(downloads), spec],
            check=True,
        )
        archive = find_sdist(downloads, name, version)
        if archive is None:
            raise FileNotFoundError(f"pip downloaded no source archive for {spec}")
    return archive


def extract(archive: Path, dest: Path) -> Path:
    """Unpack ``archive`` as shipped into ``dest`` (once); the tree's root (its single top folder)."""
    if not dest.exists():
        tmp = dest.with_name(dest.name + ".partial")
        shutil.rmtree(tmp, ignore_errors=True)
        if archive.name.endswith(".zip"):
            with zipfile.ZipFile(archive) as z:
                z.extractall(tmp)
        else:
            with tarfile.open(archive) as tar:
                tar.extractall(tmp, filter="data")
        tmp.rename(dest)
    entries = list(dest.iterdir())
    return entries[0] if len(entries) == 1 and entries[0].is_dir() else dest


def python_files(root: Path) -> dict[str, bytes]:
    """Every ``.py`` file under ``root`` (not following links), by path relative to ``root``."""
    out = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in SKIP]
        for name in files:
            path = Path(folder, name)
            if name.endswith(".py") and path.is_file() and not path.is_symlink():
                out[str(path.relative_to(root))] = path.read_bytes()
    return out


def run_cli(args: list[str], cwd: Path) -> tuple[int, str, str, float]:
    """Run ``asyncmend ARGS`` in ``cwd`` as the installed console script does; (exit, out, err, seconds)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    start = time.monotonic()
    proc = subprocess.run([*ASYNCMEND, *args], cwd=cwd, capture_output=True, text=True, env=env)
    return proc.returncode, proc.stdout, proc.stderr, time.monotonic() - start


def error_kind(message: str) -> str:
    """The kind of a per-file error: "crash" for a bug in asyncmend, else the reason's first words."""
    if message.startswith(engine.INTERNAL_ERROR):
        return "crash"
    return message.split(":")[0]  # "cannot parse", "cannot decode", "source contains a NUL byte", ...
