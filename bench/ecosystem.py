"""The ecosystem check: asyncmend over released asyncio projects, every finding judged by hand.

    python bench/ecosystem.py [--only NAME,...] [-j 2]     run, compare with the snapshot, update it
    python bench/ecosystem.py --unjudged                    show what is left to judge, with the code
    python bench/ecosystem.py --judge ID real|false-alarm "one-line reason" [--fix-verdict right|wrong --fix-reason "..."]
    python bench/ecosystem.py --summary                     the table of the committed snapshot

The projects are pinned in bench/ecosystem.txt (``name==version``). Their source distributions are
downloaded with pip into a cache folder outside the repository (``--cache``, else
``$ASYNCMEND_ECOSYSTEM``, else ``~/.cache/asyncmend-ecosystem``) and unpacked as shipped. For each tree,
on a copy:

1. ``asyncmend check --format json`` as a user runs it (a traceback or exit code 2 is a crash);
2. ``fix --unsafe-fixes`` in place (through the engine, to see which finding each fix belongs to);
   every changed file must compile if it compiled before, every other file must stay byte-identical,
   files that cannot be read are listed with their reason;
3. a second ``fix --unsafe-fixes``: it must change nothing.

The findings are compared with bench/ecosystem-findings.json, where each one carries a verdict
("real" or "false-alarm") and a one-line reason, and each applied fix a ``fix_verdict`` ("right" or
"wrong"). A finding is known across runs by its key: project, version, path, rule, the text of its
line (stripped) and its occurrence among findings with the same key, not by its line number. New
findings come in as "unjudged"; a fix whose diff changed loses its ``fix_verdict``. The snapshot is
updated (``--no-write`` to leave it), and the exit status is 1 while anything is unjudged or any tree
has a crash, a file that no longer compiles, a file changed without a fix, or a second run that
changes something.
"""
from __future__ import annotations

import argparse
import datetime
import difflib
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sdists import REPO, SKIP, cache_dir, error_kind, extract, fetch_sdist, python_files, run_cli  # noqa: E402

PINS = REPO / "bench" / "ecosystem.txt"
SNAPSHOT = REPO / "bench" / "ecosystem-findings.json"
FORMAT = "asyncmend-ecosystem-1"
VERDICTS = ("real", "false-alarm")
FIX_VERDICTS = ("right", "wrong")
UNJUDGED = "unjudged"
KEEP = ("verdict", "reason", "fix_verdict", "fix_reason")  # what a human wrote; carried across runs


# ---- pins ------------------------------------------------------------------------------------------

def read_pins(path: Path) -> list[tuple[str, str]]:
    pins = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.split("#")[0].strip()
        if not line:
            continue
        name, sep, version = line.partition("==")
        if not sep or not name.strip() or not version.strip():
            sys.exit(f"{path}:{number}: expected NAME==VERSION, got {line!r}")
        pins.append((name.strip(), version.strip()))
    return pins


# ---- one tree --------------------------------------------------------------------------------------

def _lines(data: bytes) -> list[str]:
    return data.decode("utf-8", "replace").splitlines()


def finding_key(entry: dict) -> tuple:
    return (entry["project"], entry["version"], entry["path"], entry["rule"], entry["text"], entry["occurrence"])


def finding_id(key: tuple) -> str:
    return hashlib.sha1(json.dumps(list(key)).encode()).hexdigest()[:10]


def fix_diffs(old: str, new: str, spans: list[tuple[int, int]]) -> list[str]:
    """For each finding's (first, last) line: the part of the file's diff that is its fix.

    A changed block overlapping the finding's lines is its own; a block overlapping none of them (an
    import or a module-level helper the fixes share) belongs to every fix of the file. No line numbers
    are kept, so the text is stable when unrelated lines move."""
    a, b = old.splitlines(), new.splitlines()
    own: list[list[str]] = [[] for _ in spans]
    shared: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        block = [f"-{line}" for line in a[i1:i2]] + [f"+{line}" for line in b[j1:j2]]
        first, last = i1 + 1, max(i1 + 1, i2)  # 1-based old lines; an insertion sits at i1 / i1 + 1
        hits = [k for k, (lo, hi) in enumerate(spans) if first <= hi and lo <= last]
        if not hits and tag == "insert":
            hits = [k for k, (lo, hi) in enumerate(spans) if lo <= i1 + 1 and i1 <= hi]
        for k in hits or []:
            own[k].extend(block)
        if not hits:
            shared.extend(block)
    return ["\n".join(o + shared) for o in own]


def run_tree(name: str, version: str, cache: Path, jobs: int) -> tuple[dict, list[dict]]:
    from asyncmend import engine
    from asyncmend.config import Settings
    from asyncmend.source import compile_error

    label = f"{name}-{version}"
    archive = fetch_sdist(cache / "downloads", name, version)
    root = extract(archive, cache / "trees" / label)
    work = cache / "work" / label
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(root, work, symlinks=True, ignore=shutil.ignore_patterns(*SKIP))
    original = python_files(work)
    tree = {"project": name, "version": version, "root": str(root.relative_to(cache)),
            "files": len(original), "bytes": sum(map(len, original.values())),
            "crashes": [], "unread": [], "bad_outputs": [], "touched_without_fix": [],
            "second_run_changes": []}

    # 1. check, as a user runs it.
    code, out, err, seconds = run_cli(["check", "--format", "json", "--no-cache", "-j", str(jobs), "."], work)
    tree["check_seconds"] = round(seconds, 1)
    if "Traceback" in err or code == 2:
        tree["crashes"].append(f"check exit {code}: {err.strip().splitlines()[-1] if err.strip() else ''}")
    try:
        found = json.loads(out) if out.strip() else []
    except json.JSONDecodeError:
        tree["crashes"].append("check --format json printed no JSON")
        found = []

    # 2. fix --unsafe-fixes in place.
    settings = Settings(unsafe_fixes=True, jobs=jobs)
    first = engine.fix([str(work)], settings, write=True)
    after = python_files(work)
    fixed_at: dict[tuple, str] = {}
    for r in first.files:
        rel = os.path.relpath(r.path, work)
        if r.error:
            (tree["crashes"] if error_kind(r.error) == "crash" else tree["unread"]).append(
                {"path": rel, "reason": r.error})
        if not r.changed:
            continue
        diffs = fix_diffs(r.old, r.new, [(f.line, f.end_line) for f in r.fixed])
        for f, diff in zip(r.fixed, diffs):
            fixed_at[(rel, f.line, f.col, f.rule)] = diff
        problem = compile_error(r.new, rel)
        if problem is not None and compile_error(r.old, rel) is None:
            tree["bad_outputs"].append(f"{rel}: {problem}")
    changed = {os.path.relpath(r.path, work) for r in first.files if r.changed}
    tree["touched_without_fix"] = sorted(rel for rel, data in original.items()
                                         if rel not in changed and after.get(rel) != data)

    # 3. A second fix changes nothing.
    second = engine.fix([str(work)], settings, write=True)
    tree["second_run_changes"] = sorted(os.path.relpath(r.path, work) for r in second.files if r.changed)
    if python_files(work) != after and not tree["second_run_changes"]:
        tree["second_run_changes"].append("(files changed on disk)")
    shutil.rmtree(work, ignore_errors=True)

    entries = []
    seen: dict[tuple, int] = {}
    for f in sorted(found, key=lambda f: (f["path"], f["line"], f["col"], f["rule"])):
        rel = os.path.normpath(f["path"])
        lines = _lines(original.get(rel, b""))
        text = lines[f["line"] - 1].strip() if 0 < f["line"] <= len(lines) else ""
        base = (name, version, rel, f["rule"], text)
        occurrence = seen[base] = seen.get(base, -1) + 1
        diff = fixed_at.get((rel, f["line"], f["col"], f["rule"]))
        entry = {
            "project": name, "version": version, "path": rel, "line": f["line"], "col": f["col"],
            "rule": f["rule"], "message": f["message"], "fix_safety": f["fix_safety"],
            "text": text, "occurrence": occurrence,
            "fixed": diff is not None,
            "fix_hash": hashlib.sha1(diff.encode()).hexdigest()[:10] if diff is not None else None,
            "fix_diff": diff,
        }
        entry["id"] = finding_id(finding_key(entry))
        entries.append(entry)
    matched = {(e["path"], e["line"], e["col"], e["rule"]) for e in entries}
    tree["fixes_without_finding"] = sorted(f"{rel}:{line}: {rule}" for rel, line, col, rule in fixed_at
                                           if (rel, line, col, rule) not in matched)
    tree["findings"] = len(entries)
    return tree, entries


# ---- comparison ------------------------------------------------------------------------------------

def merge(old: list[dict], new: list[dict], trees_run: set[tuple[str, str]]) -> tuple[list[dict], dict]:
    """Carry the verdicts of ``old`` over to ``new``; what is new, gone and changed.

    Only findings of the trees in ``trees_run`` can be gone: the others are kept as they were."""
    by_key = {finding_key(e): e for e in old}
    merged, report = [], {"new": [], "gone": [], "fix_changed": []}
    for entry in new:
        entry = dict(entry)
        before = by_key.pop(finding_key(entry), None)
        if before is None:
            entry.update(verdict=UNJUDGED, reason="", fix_verdict=UNJUDGED if entry["fixed"] else None,
                         fix_reason="")
            report["new"].append(entry)
        else:
            for field in KEEP:
                entry[field] = before.get(field)
            if (before.get("fixed"), before.get("fix_hash")) != (entry["fixed"], entry["fix_hash"]):
                entry["fix_verdict"] = UNJUDGED if entry["fixed"] else None
                entry["fix_reason"] = ""
                report["fix_changed"].append({"before": before, "after": entry})
        merged.append(entry)
    for entry in by_key.values():
        if (entry["project"], entry["version"]) in trees_run:
            report["gone"].append(entry)
        else:
            merged.append(entry)
    merged.sort(key=lambda e: (e["project"].lower(), e["version"], e["path"], e["line"], e["col"], e["rule"]))
    return merged, report


def unjudged(entries: list[dict]) -> list[dict]:
    return [e for e in entries
            if e.get("verdict") not in VERDICTS or (e.get("fixed") and e.get("fix_verdict") not in FIX_VERDICTS)]


def summary(snapshot: dict) -> dict:
    trees, entries = snapshot["trees"], snapshot["findings"]
    real = sum(e.get("verdict") == "real" for e in entries)
    false = sum(e.get("verdict") == "false-alarm" for e in entries)
    fixed = [e for e in entries if e.get("fixed")]
    safe = [e for e in fixed if e.get("fix_safety") == "safe"]
    return {
        "trees": len(trees),
        "files": sum(t["files"] for t in trees),
        "megabytes": round(sum(t["bytes"] for t in trees) / 1e6, 1),
        "findings": len(entries),
        "real": real,
        "false_alarms": false,
        "unjudged": len(unjudged(entries)),
        "precision": round(real / (real + false), 3) if real + false else None,
        "fixes_applied": len(fixed),
        "fixes_right": sum(e.get("fix_verdict") == "right" for e in fixed),
        "fixes_wrong": sum(e.get("fix_verdict") == "wrong" for e in fixed),
        "safe_fixes_applied": len(safe),
        "safe_fixes_wrong": sum(e.get("fix_verdict") == "wrong" for e in safe),
        "files_not_read": sum(len(t["unread"]) for t in trees),
        "crashes": sum(len(t["crashes"]) for t in trees),
        "bad_outputs": sum(len(t["bad_outputs"]) for t in trees),
        "touched_without_fix": sum(len(t["touched_without_fix"]) for t in trees),
        "not_idempotent": sum(len(t["second_run_changes"]) for t in trees),
        "fixes_without_finding": sum(len(t.get("fixes_without_finding", ())) for t in trees),
    }


def summary_table(s: dict) -> str:
    rows = [
        ("trees (files, MB)", f"{s['trees']} ({s['files']} files, {s['megabytes']} MB)"),
        ("findings", s["findings"]),
        ("real / false alarm / unjudged", f"{s['real']} / {s['false_alarms']} / {s['unjudged']}"),
        ("precision", "-" if s["precision"] is None else f"{s['precision']:.2f}"),
        ("fixes applied by `fix --unsafe-fixes` (right / wrong)",
         f"{s['fixes_applied']} ({s['fixes_right']} / {s['fixes_wrong']})"),
        ("of which safe fixes, applied by plain `fix` (wrong)", f"{s['safe_fixes_applied']} ({s['safe_fixes_wrong']})"),
        ("files not read", s["files_not_read"]),
        ("crashes", s["crashes"]),
        ("fixed files that no longer compile", s["bad_outputs"]),
        ("files changed without a fix", s["touched_without_fix"]),
        ("files a second fix changes", s["not_idempotent"]),
    ]
    return "| | measured |\n|---|---|\n" + "".join(f"| {a} | {b} |\n" for a, b in rows)


def rule_table(entries: list[dict]) -> str:
    """Per rule: findings, real / false alarm, fixes applied (right / wrong)."""
    out = ["| rule | findings | real | false alarm | fixes applied | right | wrong |", "|---|---|---|---|---|---|---|"]
    for rule in sorted({e["rule"] for e in entries}):
        mine = [e for e in entries if e["rule"] == rule]
        fixed = [e for e in mine if e.get("fixed")]
        cells = [rule, len(mine), sum(e.get("verdict") == "real" for e in mine),
                 sum(e.get("verdict") == "false-alarm" for e in mine), len(fixed),
                 sum(e.get("fix_verdict") == "right" for e in fixed), sum(e.get("fix_verdict") == "wrong" for e in fixed)]
        out.append("| " + " | ".join(map(str, cells)) + " |")
    return "\n".join(out) + "\n"


def failing(snapshot: dict) -> list[str]:
    s = summary(snapshot)
    why = [f"{s[k]} {k.replace('_', ' ')}" for k in
           ("unjudged", "crashes", "bad_outputs", "touched_without_fix", "not_idempotent",
            "fixes_without_finding") if s[k]]
    return why


def describe(entry: dict) -> str:
    fix = f" [fix {entry['fix_safety']}{', applied' if entry['fixed'] else ''}]" if entry["fix_safety"] else ""
    return (f"{entry['id']} {entry['project']}=={entry['version']} {entry['path']}:{entry['line']}: "
            f"{entry['rule']}{fix} {entry['message']}")


def print_report(report: dict) -> None:
    for title, items in (("new findings (to be judged)", report["new"]), ("findings gone", report["gone"])):
        print(f"## {title}: {len(items)}")
        for e in items:
            verdict = "" if e.get("verdict") in (None, UNJUDGED) else f"  (was {e['verdict']}: {e.get('reason')})"
            print("  " + describe(e) + verdict)
    print(f"## fixes changed: {len(report['fix_changed'])}")
    for change in report["fix_changed"]:
        print("  " + describe(change["after"]) + f"  (fix was {change['before'].get('fix_verdict')})")


# ---- snapshot file ---------------------------------------------------------------------------------

def load(path: Path) -> dict:
    if not path.exists():
        return {"format": FORMAT, "trees": [], "findings": []}
    data = json.loads(path.read_text())
    if data.get("format") != FORMAT:
        sys.exit(f"{path}: not an asyncmend ecosystem snapshot ({FORMAT})")
    return data


def save(path: Path, snapshot: dict) -> None:
    snapshot["summary"] = summary(snapshot)
    path.write_text(json.dumps(snapshot, indent=1, ensure_ascii=False) + "\n")


def judge(snapshot: dict, ident: str, verdict: str, reason: str, fix_verdict: str | None,
          fix_reason: str | None = None) -> dict:
    matches = [e for e in snapshot["findings"] if e["id"].startswith(ident)]
    if len(matches) != 1:
        sys.exit(f"{ident}: {'no finding' if not matches else 'several findings'} with this id")
    entry = matches[0]
    if verdict not in VERDICTS:
        sys.exit(f"verdict must be one of {', '.join(VERDICTS)}")
    if "\n" in reason or not reason.strip():
        sys.exit("the reason is one non-empty line")
    entry["verdict"], entry["reason"] = verdict, reason.strip()
    if fix_verdict is not None:
        if not entry["fixed"]:
            sys.exit(f"{ident}: no fix was applied for this finding")
        if fix_verdict not in FIX_VERDICTS:
            sys.exit(f"fix verdict must be one of {', '.join(FIX_VERDICTS)}")
        entry["fix_verdict"] = fix_verdict
        entry["fix_reason"] = (fix_reason or "").strip()
    elif entry["fixed"] and entry.get("fix_verdict") not in FIX_VERDICTS:
        sys.exit(f"{ident}: a fix was applied; give --fix-verdict right|wrong")
    return entry


def show(entry: dict, cache: Path, trees: dict) -> str:
    out = [describe(entry)]
    tree = trees.get((entry["project"], entry["version"]))
    path = cache / tree["root"] / entry["path"] if tree else None
    if path and path.is_file():
        lines = _lines(path.read_bytes())
        lo, hi = max(0, entry["line"] - 6), min(len(lines), entry["line"] + 5)
        out.append(f"    {path}")
        out += [f"    {n + 1:5}{'>' if n + 1 == entry['line'] else ' '} {lines[n]}" for n in range(lo, hi)]
    if entry["fix_diff"]:
        out += ["    fix:"] + [f"      {line}" for line in entry["fix_diff"].splitlines()]
    return "\n".join(out)


# ---- main ------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", help="default: $ASYNCMEND_ECOSYSTEM, else ~/.cache/asyncmend-ecosystem")
    parser.add_argument("--pins", default=str(PINS))
    parser.add_argument("--snapshot", default=str(SNAPSHOT))
    parser.add_argument("--only", help="comma-separated project names (or name==version) to run")
    parser.add_argument("-j", "--jobs", type=int, default=2, choices=(1, 2))
    parser.add_argument("--no-write", action="store_true", help="compare only; leave the snapshot as it is")
    parser.add_argument("--summary", action="store_true", help="print the snapshot's table; run nothing")
    parser.add_argument("--unjudged", action="store_true", help="print what is left to judge, with its code")
    parser.add_argument("--judge", nargs=3, metavar=("ID", "VERDICT", "REASON"))
    parser.add_argument("--fix-verdict", choices=FIX_VERDICTS, help="with --judge: is the applied fix right?")
    parser.add_argument("--fix-reason", help="with --judge: one line on the fix (say why, when it is wrong)")
    args = parser.parse_args(argv)
    path = Path(args.snapshot)
    snapshot = load(path)

    if args.judge:
        entry = judge(snapshot, *args.judge, args.fix_verdict, args.fix_reason)
        save(path, snapshot)
        print(describe(entry) + f" -> {entry['verdict']}" + (f", fix {entry['fix_verdict']}" if entry["fixed"] else ""))
        return 0
    if args.summary or args.unjudged:
        if args.unjudged:
            cache = cache_dir(args.cache, "ASYNCMEND_ECOSYSTEM", "asyncmend-ecosystem")
            trees = {(t["project"], t["version"]): t for t in snapshot["trees"]}
            for entry in unjudged(snapshot["findings"]):
                print(show(entry, cache, trees) + "\n")
        print(summary_table(summary(snapshot)))
        print(rule_table(snapshot["findings"]))
        why = failing(snapshot)
        if why:
            print("FAIL: " + ", ".join(why))
        return 1 if why else 0

    cache = cache_dir(args.cache, "ASYNCMEND_ECOSYSTEM", "asyncmend-ecosystem")
    pins = read_pins(Path(args.pins))
    if args.only:
        wanted = set(args.only.split(","))
        pins = [(n, v) for n, v in pins if n in wanted or f"{n}=={v}" in wanted]
        if not pins:
            sys.exit(f"--only {args.only}: no such pin in {args.pins}")
    trees, found = [], []
    for n, (name, version) in enumerate(pins, 1):
        print(f"[{n}/{len(pins)}] {name}=={version}", file=sys.stderr, flush=True)
        tree, entries = run_tree(name, version, cache, args.jobs)
        trees.append(tree)
        found.extend(entries)
    run_keys = {(t["project"], t["version"]) for t in trees}
    merged, report = merge(snapshot["findings"], found, run_keys)
    kept = [t for t in snapshot["trees"] if (t["project"], t["version"]) not in run_keys]
    all_pins = {(n, v) for n, v in read_pins(Path(args.pins))}
    new = {
        "format": FORMAT,
        "run": {
            "when": f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
            "asyncmend": subprocess.run(["git", "describe", "--always", "--dirty"], cwd=REPO,
                                        capture_output=True, text=True).stdout.strip(),
            "python": platform.python_version(),
        },
        "trees": sorted([t for t in kept if (t["project"], t["version"]) in all_pins] + trees,
                        key=lambda t: (t["project"].lower(), t["version"])),
        "findings": [e for e in merged if (e["project"], e["version"]) in all_pins],
    }
    print_report(report)
    for tree in trees:
        for kind in ("crashes", "unread", "bad_outputs", "touched_without_fix", "second_run_changes",
                     "fixes_without_finding"):
            for item in tree[kind]:
                item = f"{item['path']}: {item['reason']}" if isinstance(item, dict) else item
                print(f"{tree['project']}=={tree['version']}: {kind}: {item}")
    print(summary_table(summary(new)))
    if not args.no_write:
        save(path, new)
    why = failing(new)
    if why:
        print("FAIL: " + ", ".join(why) + ("" if args.no_write else " (judge with --unjudged / --judge)"))
    return 1 if why else 0


if __name__ == "__main__":
    sys.exit(main())
