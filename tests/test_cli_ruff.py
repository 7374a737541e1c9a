"""The command line as a ruff user meets it, through real runs of the installed console script:
configuration per file, exclusions and .gitignore, standard input with a file name, output formats,
exit codes, suppression comments by name, AM001 and --add-noqa (issue 18)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

EXE = shutil.which("asyncmend", path=os.path.dirname(sys.executable)) or shutil.which("asyncmend")

SAFE = """\
import asyncio


async def ping():
    await asyncio.sleep(0)


async def main():
    ping()
"""

# One safe fix (line 9) and one unsafe one: the loop handed in may already run (line 13).
SAFE_AND_UNSAFE = SAFE + """

def given_loop(loop: asyncio.AbstractEventLoop):
    ping()
"""


def am(*args: str, cwd: Path, stdin: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    assert EXE, "the asyncmend console script is not installed"
    return subprocess.run([EXE, *args], cwd=cwd, input=stdin, capture_output=True, text=True,
                          env={**os.environ, **env} if env else None, timeout=300)


@pytest.fixture
def proj(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "pkg").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'proj'\n")
    (root / "pkg" / "jobs.py").write_text(SAFE_AND_UNSAFE)
    return root


# --- behaviour that surprised -----------------------------------------------------------------------

def test_fixable_counts_only_what_fix_applies(proj: Path) -> None:
    out = am("check", "--no-cache", ".", cwd=proj)
    assert out.returncode == 1
    assert "pkg/jobs.py:9:5: AM101 [*] " in out.stdout
    assert "pkg/jobs.py:13:5: AM102 Coroutine" in out.stdout  # unsafe: no [*]
    assert "[*] 1 fixable with `asyncmend fix` or `check --fix` (1 hidden fix can be enabled with `--unsafe-fixes`)." in out.stderr
    unsafe = am("check", "--no-cache", "--unsafe-fixes", ".", cwd=proj)
    assert "pkg/jobs.py:13:5: AM102 [*] " in unsafe.stdout and "[*] 2 fixable" in unsafe.stderr
    assert "hidden" not in unsafe.stderr
    fixed = am("fix", "--no-cache", ".", cwd=proj)
    assert "Fixed 1 problem in 1 file. 1 problem left (1 hidden fix can be enabled with `--unsafe-fixes`)." in fixed.stderr


def test_fix_diff_exits_1_on_changes_only(proj: Path) -> None:
    out = am("fix", "--diff", "--no-cache", ".", cwd=proj)
    assert out.returncode == 1 and "+    await ping()" in out.stdout
    assert (proj / "pkg" / "jobs.py").read_text() == SAFE_AND_UNSAFE
    assert am("check", "--diff", "--no-cache", ".", cwd=proj).returncode == 1
    (proj / "pkg" / "jobs.py").write_text("x = 1\n")
    out = am("fix", "--diff", "--no-cache", ".", cwd=proj)
    assert (out.returncode, out.stdout) == (0, "")


def test_configuration_is_each_files_closest(tmp_path: Path) -> None:
    """Run from the parent: proj's own settings apply to proj's files, patterns relative to proj."""
    (tmp_path / "pyproject.toml").write_text("[tool.asyncmend]\nignore = []\n")
    proj = tmp_path / "proj"
    (proj / "tests").mkdir(parents=True)
    (proj / "pyproject.toml").write_text(
        '[tool.asyncmend]\nper-file-ignores = { "tests/*" = ["AM101"] }\nexclude = ["gen"]\n'
    )
    (proj / "tests" / "t.py").write_text(SAFE)
    (proj / "gen").mkdir()
    (proj / "gen" / "g.py").write_text(SAFE)
    (proj / "app.py").write_text(SAFE)
    other = tmp_path / "other"
    (other / "tests").mkdir(parents=True)
    (other / "tests" / "t.py").write_text(SAFE)
    out = am("check", "--no-cache", "proj", "other", cwd=tmp_path)
    reported = sorted(line.split(":")[0] for line in out.stdout.splitlines())
    assert reported == ["other/tests/t.py", "proj/app.py"], out.stdout + out.stderr
    # asyncmend.toml (top-level keys) is a configuration too, and the closer one wins.
    (proj / "tests" / "asyncmend.toml").write_text("select = ['AM2']\n")
    out = am("check", "--no-cache", "proj/tests/t.py", cwd=tmp_path)
    assert out.returncode == 0, out.stdout
    # --config forces one file for every path; --isolated reads none.
    forced = tmp_path / "forced.toml"
    forced.write_text("ignore = ['AM101']\n")
    assert am("check", "--no-cache", "--config", str(forced), "proj", "other", cwd=tmp_path).returncode == 0
    out = am("check", "--no-cache", "--isolated", "proj", cwd=tmp_path)
    assert {"proj/gen/g.py", "proj/tests/t.py", "proj/app.py"} <= {line.split(":")[0] for line in out.stdout.splitlines()}


def test_force_exclude_and_gitignore(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / "pyproject.toml").write_text('[tool.asyncmend]\nexclude = ["migrations"]\n')
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "m1.py").write_text(SAFE)
    (tmp_path / "ignored").mkdir()
    (tmp_path / "ignored" / "i.py").write_text(SAFE)
    (tmp_path / ".gitignore").write_text("ignored/\n")
    (tmp_path / "app.py").write_text(SAFE)
    out = am("check", "--no-cache", ".", cwd=tmp_path)
    assert [line.split(":")[0] for line in out.stdout.splitlines()] == ["app.py"]
    assert "ignored/i.py" in am("check", "--no-cache", "--no-respect-gitignore", ".", cwd=tmp_path).stdout
    # Named explicitly: processed, unless --force-exclude (what the pre-commit hooks pass).
    assert am("check", "--no-cache", "migrations/m1.py", cwd=tmp_path).returncode == 1
    out = am("fix", "--no-cache", "--force-exclude", "migrations/m1.py", "ignored/i.py", "app.py", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "migrations" / "m1.py").read_text() == SAFE
    assert (tmp_path / "ignored" / "i.py").read_text() == SAFE
    assert "await ping()" in (tmp_path / "app.py").read_text()
    hooks = (Path(__file__).resolve().parent.parent / ".pre-commit-hooks.yaml").read_text()
    assert "entry: asyncmend fix --force-exclude\n" in hooks and "entry: asyncmend check --force-exclude\n" in hooks


def test_stdin_filename_gives_project_context(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.asyncmend]\nper-file-ignores = { "skip/*" = ["AM101"] }\n')
    (tmp_path / "helpers.py").write_text("async def save():\n    pass\n")
    text = "from helpers import save\n\n\nasync def main():\n    save()\n"
    (tmp_path / "app.py").write_text("x = 1\n")
    out = am("check", "--no-cache", "--stdin-filename", "app.py", cwd=tmp_path, stdin=text)
    assert out.returncode == 1
    assert out.stdout.startswith("app.py:5:5: AM101 [*] Coroutine `save()`")
    assert am("check", "--no-cache", "-", cwd=tmp_path, stdin=text).returncode == 0  # no context: unknown
    out = am("fix", "--no-cache", "--diff", "--stdin-filename", "app.py", cwd=tmp_path, stdin=text)
    assert out.returncode == 1
    assert out.stdout.startswith("--- a/app.py\n+++ b/app.py\n") and "+    await save()\n" in out.stdout
    out = am("fix", "--no-cache", "--stdin-filename", "app.py", cwd=tmp_path, stdin=text)
    assert out.stdout == text.replace("    save()", "    await save()")
    assert (tmp_path / "app.py").read_text() == "x = 1\n"  # the file there is never touched
    (tmp_path / "skip").mkdir()
    assert am("check", "--no-cache", "--stdin-filename", "skip/a.py", cwd=tmp_path, stdin=text).returncode == 0


def test_fix_diff_of_standard_input_is_a_diff(tmp_path: Path) -> None:
    out = am("fix", "--no-cache", "--diff", "-", cwd=tmp_path, stdin=SAFE)
    assert out.returncode == 1
    assert out.stdout == "--- a/-\n+++ b/-\n@@ -6,4 +6,4 @@\n \n \n async def main():\n-    ping()\n+    await ping()\n"


def test_folder_without_marker_is_the_project(tmp_path: Path) -> None:
    proj = tmp_path / "proj"
    (proj / "lib").mkdir(parents=True)
    (proj / "lib" / "helpers.py").write_text("async def save():\n    pass\n")
    (proj / "app.py").write_text("from lib.helpers import save\n\n\nasync def main():\n    save()\n")
    for cwd, args in ((tmp_path, ["proj"]), (proj, ["."]), (proj, ["app.py"])):
        out = am("check", "--no-cache", *args, cwd=cwd)
        assert out.returncode == 1 and "AM101 [*] Coroutine `save()`" in out.stdout, (args, out.stderr)


@pytest.mark.parametrize(
    "content, expected",
    [
        (b"[tool.asyncmend]\nignore = ['AM1\xe9']\n", "pyproject.toml: cannot read configuration: the file is not UTF-8"),
        (b"[tool.asyncmend\n", "pyproject.toml: cannot read configuration: "),
        (b"[tool.asyncmend]\nselect = ['XX1']\n", "pyproject.toml: select: 'XX1' matches no rule"),
    ],
)
def test_configuration_errors_are_one_line_exit_2(tmp_path: Path, content: bytes, expected: str) -> None:
    (tmp_path / "pyproject.toml").write_bytes(content)
    (tmp_path / "a.py").write_text(SAFE)
    out = am("check", "--no-cache", ".", cwd=tmp_path)
    assert out.returncode == 2
    assert len(out.stderr.strip().splitlines()) == 1 and expected in out.stderr, out.stderr
    assert "Traceback" not in out.stderr


def test_read_only_file_is_not_counted_as_fixed(tmp_path: Path) -> None:
    """The mode bits say "do not change me", to root as well (asyncmend.source.write_atomic)."""
    (tmp_path / "a.py").write_text(SAFE)
    os.chmod(tmp_path / "a.py", 0o444)
    out = am("fix", "--no-cache", ".", cwd=tmp_path)
    assert out.returncode == 1
    assert "Fixed 0 problems in 0 files. 1 problem left. 1 file could not be processed." in out.stderr
    assert (tmp_path / "a.py").read_text() == SAFE


def test_super_call_is_shown_in_the_message(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(
        "class A:\n    async def close(self):\n        pass\n\n\n"
        "class B(A):\n    async def close(self):\n        super().close()\n"
    )
    out = am("check", "--no-cache", ".", cwd=tmp_path)
    assert "a.py:8:9: AM101 [*] Coroutine `super().close()` is called but never awaited" in out.stdout


def test_noqa_by_rule_name_silences_only_that_rule(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(SAFE.replace("    ping()", "    ping()  # noqa: unawaited-coroutine"))
    assert am("check", "--no-cache", ".", cwd=tmp_path).returncode == 0
    (tmp_path / "a.py").write_text(SAFE.replace("    ping()", "    ping()  # noqa: cancel-without-drain, E501"))
    out = am("check", "--no-cache", ".", cwd=tmp_path)
    assert out.returncode == 1 and "AM101" in out.stdout


# --- what a ruff user reaches for ------------------------------------------------------------------

def test_check_fix_and_unsafe_fixes(proj: Path) -> None:
    out = am("check", "--fix", "--no-cache", ".", cwd=proj)
    assert out.returncode == 1  # one problem left (its fix is unsafe)
    assert out.stdout.startswith("pkg/jobs.py:13:5: AM102 Coroutine `ping()` is called from synchronous code")
    assert out.stderr == (
        "Found 2 problems (1 fixed, 1 remaining).\nNo fixes available (1 hidden fix can be enabled with `--unsafe-fixes`).\n"
    )
    out = am("check", "--fix", "--unsafe-fixes", "--no-cache", ".", cwd=proj)
    assert (out.returncode, out.stdout) == (0, "")
    assert "loop.run_until_complete(task)" in (proj / "pkg" / "jobs.py").read_text()


@pytest.mark.parametrize("option", ["--output-format", "--format"])
def test_output_formats(proj: Path, option: str) -> None:
    def fmt(name: str) -> str:
        out = am("check", "--no-cache", option, name, ".", cwd=proj)
        assert out.returncode == 1, out.stderr
        return out.stdout

    assert fmt("concise") == fmt("text")
    assert fmt("concise").splitlines()[0] == "pkg/jobs.py:9:5: AM101 [*] Coroutine `ping()` is called but never awaited"
    full = fmt("full")
    assert "\n  |\n9 |     ping()\n  |     ^^^^^^\n  = help: safe fix available\n" in full
    assert "   = help: unsafe fix available with --unsafe-fixes\n" in full
    assert [item["line"] for item in json.loads(fmt("json"))] == [9, 13]
    assert [json.loads(line)["line"] for line in fmt("json-lines").splitlines()] == [9, 13]
    assert fmt("github").startswith("::warning file=pkg/jobs.py,line=9,col=5,")
    gitlab = json.loads(fmt("gitlab"))
    assert gitlab[0]["location"] == {"path": "pkg/jobs.py", "lines": {"begin": 9, "end": 9}}
    assert len({item["fingerprint"] for item in gitlab}) == 2
    assert json.loads(fmt("sarif"))["version"] == "2.1.0"
    suites = ET.fromstring(fmt("junit"))
    assert suites.get("failures") == "2" and suites.find("testsuite").get("name") == "pkg/jobs.py"


def test_exit_zero_and_exit_non_zero_on_fix(proj: Path) -> None:
    assert am("check", "--no-cache", "--exit-zero", ".", cwd=proj).returncode == 0
    clean = proj / "clean"
    clean.mkdir()
    (clean / "c.py").write_text(SAFE)
    assert am("fix", "--no-cache", "clean", cwd=proj).returncode == 0  # everything fixed
    (clean / "c.py").write_text(SAFE)
    assert am("fix", "--no-cache", "--exit-non-zero-on-fix", "clean", cwd=proj).returncode == 1
    (clean / "c.py").write_text(SAFE)
    assert am("check", "--fix", "--no-cache", "--exit-non-zero-on-fix", "clean", cwd=proj).returncode == 1
    assert am("check", "--fix", "--no-cache", "--exit-non-zero-on-fix", "clean", cwd=proj).returncode == 0


def test_quiet_show_fixes_and_color(proj: Path) -> None:
    out = am("check", "--no-cache", "-q", ".", cwd=proj)
    assert out.returncode == 1 and out.stderr == "" and out.stdout.count("\n") == 2
    out = am("fix", "--no-cache", "--show-fixes", ".", cwd=proj)
    assert "Fixed 1 problem:\n  pkg/jobs.py:\n    1 × AM101 (unawaited-coroutine)\n" in out.stderr
    (proj / "pkg" / "jobs.py").write_text(SAFE_AND_UNSAFE)
    assert "\x1b[" not in am("check", "--no-cache", ".", cwd=proj).stdout  # not a terminal
    coloured = am("check", "--no-cache", "--color", "always", ".", cwd=proj).stdout
    assert "\x1b[31m\x1b[1mAM101\x1b[0m" in coloured
    assert "\x1b[" in am("fix", "--diff", "--no-cache", "--color", "always", ".", cwd=proj).stdout
    assert "\x1b[" not in am("check", "--no-cache", "--color", "never", ".", cwd=proj).stdout


def test_add_noqa_then_clean(proj: Path) -> None:
    (proj / "pkg" / "doc.py").write_text(SAFE.replace("    ping()", '    x = """\n    """\n    ping()  # noqa: E501'))
    out = am("check", "--no-cache", "--add-noqa", ".", cwd=proj)
    assert out.returncode == 0 and "Added 3 noqa directives." in out.stderr, out.stderr
    assert "    ping()  # noqa: AM101\n" in (proj / "pkg" / "jobs.py").read_text()
    assert "    ping()  # noqa: E501, AM101\n" in (proj / "pkg" / "doc.py").read_text()
    assert am("check", "--no-cache", ".", cwd=proj).returncode == 0


def test_unused_noqa_am001_and_its_fix(tmp_path: Path) -> None:
    text = SAFE.replace("    ping()", "    await ping()  # noqa: AM101, E501 kept\n    ping()  # noqa: AM102\n"
                        "    await ping()  # asyncmend: ignore[AM101]\n    x = '# noqa: AM101'")
    (tmp_path / "a.py").write_text(text)
    assert am("check", "--no-cache", "--select", "AM2", ".", cwd=tmp_path).returncode == 0  # off by default
    out = am("check", "--no-cache", "--extend-select", "AM001", ".", cwd=tmp_path)
    lines = out.stdout.splitlines()
    assert "a.py:9:19: AM001 [*] Unused suppression (unused: `AM101`)" in lines
    assert "a.py:10:13: AM001 [*] Unused suppression (unused: `AM102`)" in lines
    assert "a.py:11:19: AM001 [*] Unused suppression (unused: `AM101`)" in lines
    assert len([line for line in lines if "AM001" in line]) == 3  # not the text in the string
    out = am("fix", "--no-cache", "--extend-select", "AM001", ".", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "a.py").read_text() == SAFE.replace(
        "    ping()", "    await ping()  # noqa: E501 kept\n    await ping()\n    await ping()\n    x = '# noqa: AM101'"
    )
    # extend-select from the configuration, too; a second run has nothing to do.
    (tmp_path / "pyproject.toml").write_text("[tool.asyncmend]\nextend-select = ['unused-noqa']\n")
    assert am("fix", "--no-cache", "--diff", ".", cwd=tmp_path).returncode == 0


def test_extend_exclude(proj: Path) -> None:
    (proj / "pyproject.toml").write_text("[tool.asyncmend]\nexclude = ['nothing']\nextend-exclude = ['pkg']\n")
    (proj / "app.py").write_text(SAFE)
    out = am("check", "--no-cache", ".", cwd=proj)
    assert [line.split(":")[0] for line in out.stdout.splitlines()] == ["app.py"]
    out = am("check", "--no-cache", "--extend-exclude", "app.py", ".", cwd=proj)
    assert out.returncode == 0 and out.stdout == ""
    out = am("check", "--no-cache", "--exclude", "other", ".", cwd=proj)  # replaces `exclude` only
    assert [line.split(":")[0] for line in out.stdout.splitlines()] == ["app.py"]


def test_version_names_libcst_and_python(tmp_path: Path) -> None:
    import platform
    from importlib.metadata import version

    out = am("--version", cwd=tmp_path)
    assert out.stdout == (
        f"asyncmend {version('asyncmend')} (LibCST {version('libcst')}, Python {platform.python_version()})\n"
    )
