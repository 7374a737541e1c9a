"""A copy of this repository's working tree, standing for a user's clone in tests that install it."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def copy_working_tree(dest: Path) -> Path:
    """Every file git tracks or would track (committed or not), copied into ``dest``; a symbolic link
    stays one (``asyncmend/cli.py``), as in a clone."""
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, check=True,
                           capture_output=True).stdout.decode().split("\0")
    for name in filter(None, files):
        source = ROOT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            if source.is_symlink():
                os.symlink(os.readlink(source), dest / name)
            else:
                (dest / name).write_bytes(source.read_bytes())
    return dest
