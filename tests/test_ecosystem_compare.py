"""The ecosystem check's bookkeeping (bench/ecosystem.py): verdicts carried across runs, what is new,
gone or changed, and the summary. A fake snapshot; nothing is downloaded."""
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import ecosystem  # noqa: E402


def finding(path="pkg/a.py", line=10, rule="AM101", text="coro()", occurrence=0, fixed=False, diff=None,
            project="demo", version="1.0", **judged):
    entry = {
        "project": project, "version": version, "path": path, "line": line, "col": 5, "rule": rule,
        "message": "m", "fix_safety": "safe" if fixed else None, "text": text, "occurrence": occurrence,
        "fixed": fixed, "fix_hash": ecosystem.hashlib.sha1(diff.encode()).hexdigest()[:10] if fixed else None,
        "fix_diff": diff,
    }
    entry["id"] = ecosystem.finding_id(ecosystem.finding_key(entry))
    entry.update(judged)
    return entry


def tree(project="demo", version="1.0", **problems):
    base = {"project": project, "version": version, "root": "x", "files": 3, "bytes": 100, "crashes": [],
            "unread": [], "bad_outputs": [], "touched_without_fix": [], "second_run_changes": []}
    base.update(problems)
    return base


def test_a_verdict_follows_the_finding_when_its_line_moves():
    old = [finding(line=10, verdict="real", reason="never awaited")]
    merged, report = ecosystem.merge(old, [finding(line=42)], {("demo", "1.0")})
    assert merged[0]["verdict"] == "real" and merged[0]["reason"] == "never awaited"
    assert merged[0]["line"] == 42
    assert report == {"new": [], "gone": [], "fix_changed": []}


def test_new_findings_are_unjudged_and_old_ones_of_a_run_tree_are_gone():
    old = [finding(text="a()", verdict="false-alarm", reason="r")]
    merged, report = ecosystem.merge(old, [finding(text="b()")], {("demo", "1.0")})
    assert [e["text"] for e in report["new"]] == ["b()"]
    assert [e["text"] for e in report["gone"]] == ["a()"]
    assert [e["verdict"] for e in merged] == [ecosystem.UNJUDGED]


def test_findings_of_trees_not_run_are_kept_as_they_were():
    old = [finding(project="other", verdict="real", reason="r")]
    merged, report = ecosystem.merge(old, [], {("demo", "1.0")})
    assert merged == old and report["gone"] == []


def test_the_same_line_twice_is_told_apart_by_occurrence():
    old = [finding(occurrence=0, verdict="real", reason="first"),
           finding(occurrence=1, verdict="false-alarm", reason="second")]
    new = [finding(line=3, occurrence=0), finding(line=9, occurrence=1)]
    merged, _ = ecosystem.merge(old, new, {("demo", "1.0")})
    assert [(e["line"], e["reason"]) for e in merged] == [(3, "first"), (9, "second")]


def test_a_changed_fix_loses_its_fix_verdict_but_keeps_the_finding_verdict():
    old = [finding(fixed=True, diff="-coro()\n+await coro()", verdict="real", reason="r", fix_verdict="right")]
    new = [finding(fixed=True, diff="-coro()\n+asyncio.ensure_future(coro())")]
    merged, report = ecosystem.merge(old, new, {("demo", "1.0")})
    assert merged[0]["verdict"] == "real"
    assert merged[0]["fix_verdict"] == ecosystem.UNJUDGED
    assert len(report["fix_changed"]) == 1
    same, report = ecosystem.merge(old, [finding(fixed=True, diff="-coro()\n+await coro()")], {("demo", "1.0")})
    assert same[0]["fix_verdict"] == "right" and report["fix_changed"] == []


def test_summary_counts_precision_and_fails_while_anything_is_unjudged():
    snapshot = {"trees": [tree()], "findings": [
        finding(text="a", verdict="real", reason="r", fixed=True, diff="x", fix_verdict="right"),
        finding(text="b", verdict="real", reason="r", fixed=True, diff="y", fix_verdict="wrong"),
        finding(text="c", verdict="false-alarm", reason="r"),
        finding(text="d", verdict="real", reason="r"),
    ]}
    s = ecosystem.summary(snapshot)
    assert (s["findings"], s["real"], s["false_alarms"], s["precision"]) == (4, 3, 1, 0.75)
    assert (s["fixes_applied"], s["fixes_right"], s["fixes_wrong"], s["safe_fixes_wrong"]) == (2, 1, 1, 1)
    assert ecosystem.failing(snapshot) == []
    snapshot["findings"].append(finding(text="e", verdict=ecosystem.UNJUDGED))
    assert ecosystem.failing(snapshot) == ["1 unjudged"]
    snapshot["findings"][-1].update(verdict="real", reason="r")
    snapshot["trees"][0]["crashes"].append({"path": "a.py", "reason": "internal error"})
    assert ecosystem.failing(snapshot) == ["1 crashes"]


def test_an_applied_fix_without_a_fix_verdict_is_unjudged():
    entry = finding(fixed=True, diff="x", verdict="real", reason="r", fix_verdict=ecosystem.UNJUDGED)
    assert ecosystem.unjudged([entry]) == [entry]


def test_judge_writes_a_verdict_and_refuses_a_bad_one(tmp_path):
    path = tmp_path / "snap.json"
    entry = finding(fixed=True, diff="x", verdict=ecosystem.UNJUDGED)
    path.write_text(json.dumps({"format": ecosystem.FORMAT, "trees": [tree()], "findings": [entry]}))
    with pytest.raises(SystemExit):  # an applied fix needs its own verdict
        ecosystem.main(["--snapshot", str(path), "--judge", entry["id"][:6], "real", "awaited nowhere"])
    with pytest.raises(SystemExit):
        ecosystem.main(["--snapshot", str(path), "--judge", entry["id"], "maybe", "r", "--fix-verdict", "right"])
    assert ecosystem.main(["--snapshot", str(path), "--judge", entry["id"], "real", "awaited nowhere",
                           "--fix-verdict", "right"]) == 0
    saved = json.loads(path.read_text())
    assert saved["findings"][0]["verdict"] == "real" and saved["findings"][0]["fix_verdict"] == "right"
    assert saved["summary"]["unjudged"] == 0
    assert ecosystem.main(["--snapshot", str(path), "--summary"]) == 0


def test_each_fix_gets_its_own_part_of_the_diff_and_the_shared_import():
    old = "import os\n\nasync def f():\n    a()\n    x = 1\n    b()\n"
    new = "import asyncio\nimport os\n\nasync def f():\n    await a()\n    x = 1\n    await b()\n"
    first, second = ecosystem.fix_diffs(old, new, [(4, 4), (6, 6)])
    assert "-    a()\n+    await a()" in first and "b()" not in first
    assert "-    b()\n+    await b()" in second and "    a()" not in second
    assert "+import asyncio" in first and "+import asyncio" in second


def test_pins_must_be_name_equals_version(tmp_path):
    pins = tmp_path / "pins.txt"
    pins.write_text("# comment\naiohttp==3.5.4  # 2019\n\njanus==1.0.0\n")
    assert ecosystem.read_pins(pins) == [("aiohttp", "3.5.4"), ("janus", "1.0.0")]
    pins.write_text("aiohttp>=3\n")
    with pytest.raises(SystemExit):
        ecosystem.read_pins(pins)


def test_docs_show_the_committed_snapshot():
    repo = Path(__file__).resolve().parent.parent
    snapshot = ecosystem.load(repo / "bench" / "ecosystem-findings.json")
    doc = (repo / "docs" / "ecosystem.md").read_text()
    assert ecosystem.summary_table(ecosystem.summary(snapshot)) in doc
    assert ecosystem.rule_table(snapshot["findings"]) in doc
    assert ecosystem.unjudged(snapshot["findings"]) == []
