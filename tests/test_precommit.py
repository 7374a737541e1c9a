"""The README's pre-commit snippet, for real: a throw-away repository uses it as written.

pre-commit comes from this environment when it has it, else from PyPI into a temporary virtualenv;
pre-commit itself then installs asyncmend (from a copy of this working tree, as the snippet's
`additional_dependencies` says) into its own environment. Without network access to PyPI the test is
skipped, saying so.
"""
from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from .working_tree import copy_working_tree

ROOT = Path(__file__).resolve().parent.parent
SNIPPET = ROOT / "docs" / "snippets" / "pre-commit-config.yaml"

MISTAKE = """\
import asyncio


async def save(x):
    print("saved", x)


async def main():
    save(1)


asyncio.run(main())
"""

# What pip or pre-commit print when PyPI cannot be reached (and only then: "no matching distribution"
# alone may just as well be a packaging mistake, which must fail the test, not skip it).
OFFLINE = (
    "NewConnectionError", "Failed to establish a new connection", "Temporary failure in name resolution",
    "Name or service not known", "Network is unreachable", "Connection refused", "ProxyError",
    "ConnectTimeout", "ReadTimeout", "Max retries exceeded",
)


def _offline(output: str) -> bool:
    return any(marker in output for marker in OFFLINE)


@pytest.fixture(scope="module")
def pre_commit(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    try:
        import pre_commit  # noqa: F401

        return [sys.executable, "-m", "pre_commit"]
    except ImportError:
        pass
    folder = tmp_path_factory.mktemp("pre-commit-venv")
    venv.create(folder, with_pip=True)
    python = str(folder / "bin" / "python")
    try:
        proc = subprocess.run([python, "-m", "pip", "install", "-q", "pre-commit"], capture_output=True,
                              text=True, timeout=300)
    except subprocess.TimeoutExpired:
        pytest.skip("pre-commit cannot be installed: pip timed out (no network?)")
    if proc.returncode != 0 and _offline(proc.stdout + proc.stderr):
        pytest.skip(f"pre-commit cannot be installed: PyPI cannot be reached ({proc.stderr.strip().splitlines()[-1:]})")
    assert proc.returncode == 0, f"pip could not install pre-commit:\n{proc.stdout}{proc.stderr}"
    return [python, "-m", "pre_commit"]


def _git(*args: str, cwd: Path, env: dict) -> str:
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


def _env(tmp: Path) -> dict:
    gitconfig = tmp / "gitconfig"
    gitconfig.write_text("[init]\n\tdefaultBranch = main\n")
    names = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
             "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    return {**env, **names, "GIT_CONFIG_GLOBAL": str(gitconfig), "GIT_CONFIG_NOSYSTEM": "1",
            "PRE_COMMIT_HOME": str(tmp / "pre-commit-home")}


def _clone(dest: Path) -> Path:
    """A copy of this working tree as it is now (committed or not), standing for the user's clone."""
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: the clone is made from `git ls-files`")
    return copy_working_tree(dest)


def test_snippet_and_published_hooks_agree() -> None:
    """The hooks this repository publishes (.pre-commit-hooks.yaml, for `repo: <its URL>` once it has
    one) run what the README's local snippet runs."""
    import yaml

    snippet = yaml.safe_load(SNIPPET.read_text())["repos"][0]["hooks"]
    published = {hook["id"]: hook for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    for hook in snippet:
        for key in ("entry", "language", "types", "require_serial"):
            assert hook[key] == published[hook["id"]][key], (hook["id"], key)


@pytest.mark.network
def test_hooks_fix_on_commit(pre_commit: list[str], tmp_path: Path) -> None:
    """The README's snippet as written, with the clone's folder put in: the fix hook stops the commit
    once, with the file fixed; an excluded file (--force-exclude) is left alone; then the commit goes."""
    env = _env(tmp_path)
    clone = _clone(tmp_path / "asyncmend")
    project = tmp_path / "project"
    project.mkdir()
    _git("init", "-q", cwd=project, env=env)
    config = SNIPPET.read_text()
    assert config.count("/path/to/asyncmend") == 1
    (project / ".pre-commit-config.yaml").write_text(config.replace("/path/to/asyncmend", str(clone)))
    (project / "pyproject.toml").write_text('[tool.asyncmend]\nexclude = ["migrations"]\n')
    (project / "app.py").write_text(MISTAKE)
    (project / "migrations").mkdir()
    (project / "migrations" / "m1.py").write_text(MISTAKE)
    _git("add", "-A", cwd=project, env=env)

    def run(*args: str) -> subprocess.CompletedProcess:
        proc = subprocess.run([*pre_commit, *args], cwd=project, env=env, capture_output=True, text=True,
                              timeout=900)
        if proc.returncode not in (0, 1) and _offline(proc.stdout + proc.stderr):
            pytest.skip("pre-commit could not install the hook's environment from PyPI (no network?)")
        return proc

    assert run("install").returncode == 0
    commit = subprocess.run(["git", "commit", "-m", "add app"], cwd=project, env=env, capture_output=True,
                            text=True, timeout=900)
    output = commit.stdout + commit.stderr
    if commit.returncode != 0 and _offline(output):
        pytest.skip("pre-commit could not install the hook's environment from PyPI (no network?)")
    assert commit.returncode != 0, output  # the hook changed a file: the commit stops for a look
    assert "files were modified by this hook" in output
    assert "    await save(1)\n" in (project / "app.py").read_text()
    assert (project / "migrations" / "m1.py").read_text() == MISTAKE

    _git("add", "-A", cwd=project, env=env)
    commit = subprocess.run(["git", "commit", "-m", "add app"], cwd=project, env=env, capture_output=True,
                            text=True, timeout=900)
    assert commit.returncode == 0, commit.stdout + commit.stderr
    assert "asyncmend (fix)" in commit.stdout + commit.stderr


def test_only_an_unreachable_pypi_counts_as_offline() -> None:
    assert _offline("WARNING: Retrying ... NewConnectionError('Failed to establish a new connection')")
    assert _offline("ERROR: ... Temporary failure in name resolution")
    # pip says this for a requirement nobody can satisfy, too: a packaging mistake fails the test
    assert not _offline("ERROR: Could not find a version that satisfies the requirement asyncmend==9\n"
                        "ERROR: No matching distribution found for asyncmend==9")
    assert not _offline("error: subprocess-exited-with-error\n× Building wheel for asyncmend did not run successfully.")
