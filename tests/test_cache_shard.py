"""Cold, warm and sharded runs find exactly the same things; a warm run parses nothing unchanged."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from asyncmend import engine
from asyncmend.config import Settings
from asyncmend.cli import main

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "unawaited"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    shutil.copytree(FIXTURES / "AM101_cross_module" / "input", root)
    shutil.copytree(FIXTURES / "AM101_src_layout_bases" / "input" / "src", root / "src")
    cases = ("AM101_same_module_basic", "AM101_nested_and_closure", "AM102_sync_loop_holder",
             "AM101_negative_module_rebound")
    for case in cases:
        shutil.copyfile(FIXTURES / f"{case}.py", root / f"{case}.py")
    (root / "pyproject.toml").write_text("")
    return root


def _findings(run: engine.RunResult) -> list[tuple]:
    return sorted((f.path, f.line, f.col, f.rule, f.message, f.fix) for f in run.findings)


def test_cold_warm_and_sharded_runs_agree(tree: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tree)
    cached = Settings(jobs=1, cache=True, cache_dir=str(tmp_path / "cache"))
    cold = _findings(engine.check(["."], cached))
    assert cold == _findings(engine.check(["."], Settings(jobs=1)))
    assert len(cold) >= 20

    def no_parsing(job):
        raise AssertionError(f"{job[0]} was analysed again")

    monkeypatch.setattr(engine, "_analyze_bytes", no_parsing)
    warm = _findings(engine.check(["."], cached))
    assert warm == cold
    monkeypatch.undo()
    monkeypatch.chdir(tree)

    sharded = []
    for k in (1, 2, 3):
        sharded += _findings(engine.check(["."], Settings(jobs=1, shard=(k, 3))))
    assert sorted(sharded) == cold

    index = tmp_path / "index.json"
    engine.write_index(["."], Settings(jobs=1), str(index))
    from_index = []
    for k in (1, 2, 3):
        from_index += _findings(engine.check(["."], Settings(jobs=1, shard=(k, 3), index_file=str(index))))
    assert sorted(from_index) == cold


def test_a_changed_file_is_analysed_again(tree: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tree)
    cached = Settings(jobs=1, cache=True, cache_dir=str(tmp_path / "cache"))
    before = _findings(engine.check(["."], cached))
    text = (tree / "AM101_same_module_basic.py").read_text()
    (tree / "AM101_same_module_basic.py").write_text(text.replace("    save(\n", "    await save(\n"))
    after = _findings(engine.check(["."], cached))
    assert len(after) == len(before) - 1


def test_a_corrupt_cache_is_ignored(tree: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tree)
    cache = tmp_path / "cache"
    cached = Settings(jobs=1, cache=True, cache_dir=str(cache))
    first = _findings(engine.check(["."], cached))
    for f in cache.glob("analyses-*"):
        f.write_bytes(b"not a pickle")
    assert _findings(engine.check(["."], cached)) == first


def test_cli_cache_folder_and_shard_option(tree: Path, monkeypatch) -> None:
    monkeypatch.chdir(tree)
    runner = CliRunner()
    assert runner.invoke(main, ["check", "."]).exit_code == 1
    assert (tree / ".asyncmend_cache" / ".gitignore").read_text().endswith("*\n")
    shutil.rmtree(tree / ".asyncmend_cache")
    assert runner.invoke(main, ["check", "--no-cache", "."]).exit_code == 1
    assert not (tree / ".asyncmend_cache").exists()
    result = runner.invoke(main, ["check", "--shard", "4/3", "."])
    assert result.exit_code == 2 and "--shard" in result.stderr
    result = runner.invoke(main, ["index", "-o", "idx.json", "."])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["check", "--shard", "1/1", "--index", "idx.json", "."])
    assert result.exit_code == 1 and "AM101" in result.stdout


def _age(tree: Path, seconds: int = 60) -> None:
    """Make every file look last changed a minute ago, as files are that a warm run meets."""
    for f in tree.rglob("*.py"):
        st = f.stat()
        os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns - seconds * 10**9))


def test_a_warm_run_reads_no_unchanged_file(tree: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tree)
    _age(tree)
    cached = Settings(jobs=1, cache=True, cache_dir=str(tmp_path / "cache"))
    cold = _findings(engine.check(["."], cached))
    opened = []
    real_open = open

    def watching_open(path, *args, **kwargs):
        if str(path).endswith(".py"):
            opened.append(str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(engine, "open", watching_open, raising=False)
    assert _findings(engine.check(["."], cached)) == cold
    assert opened == []
    # touched, not changed: read once (the digest says it is the same), then known by its stamp again
    touched = tree / "AM101_same_module_basic.py"
    os.utime(touched, ns=(touched.stat().st_atime_ns, touched.stat().st_mtime_ns + 10**9))
    assert _findings(engine.check(["."], cached)) == cold
    assert opened == ["AM101_same_module_basic.py"]
    assert _findings(engine.check(["."], cached)) == cold
    assert opened == ["AM101_same_module_basic.py"]


def test_a_change_that_keeps_size_and_mtime_is_seen_while_the_stamp_is_fresh(tree: Path, tmp_path: Path,
                                                                             monkeypatch) -> None:
    # a file changed again within the file system's timestamp granularity keeps its size and mtime:
    # its stamp is trusted only once it is older than that, so the change is still read
    monkeypatch.chdir(tree)
    cached = Settings(jobs=1, cache=True, cache_dir=str(tmp_path / "cache"))
    before = _findings(engine.check(["."], cached))
    f = tree / "AM101_same_module_basic.py"
    st = f.stat()
    text = f.read_text()
    f.write_text(text.replace("    save(\n", "    save (\n", 1).replace("\n\n\n", "\n\n", 1))
    assert f.stat().st_size == st.st_size
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    after = _findings(engine.check(["."], cached))
    assert after != before


def test_the_cache_is_keyed_by_every_module_of_the_tool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A change to a rule file in a family's folder (a subpackage) empties the cache, as one at the top."""
    from asyncmend import cache
    from asyncmend.codemods.drain import am201_cancel_without_drain as rule_file

    before = cache._code_fingerprint()
    real_stat = Path.stat

    def touched(self, *args, **kwargs):
        st = real_stat(self, *args, **kwargs)
        if self == Path(rule_file.__file__):
            return os.stat_result((*st[:8], st.st_mtime + 1, st.st_ctime))
        return st

    monkeypatch.setattr(Path, "stat", touched)
    assert cache._code_fingerprint() != before
