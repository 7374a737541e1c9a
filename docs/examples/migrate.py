"""Migrate a code base: await every unawaited coroutine call (AM101) in the given files and folders.

    python migrate.py src/ tests/             # fix in place
    python migrate.py --dry-run src/          # print the diffs, write nothing
"""
import argparse
import sys

import asyncmend


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args(argv)
    try:
        results = asyncmend.fix_paths(args.paths, select=["AM101"], write=not args.dry_run, project_root=".")
    except asyncmend.AsyncmendError as exc:  # bad options or configuration
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for result in results:
        if result.error:
            print(f"skipped {result.path}: {result.error}", file=sys.stderr)
        elif result.changed and args.dry_run:
            print(result.diff, end="")
        elif result.changed:
            print(f"fixed {result.path}: {len(result.fixed)} call(s) now awaited")
        for finding in result.findings:
            print(f"{finding.path}:{finding.line}:{finding.col}: {finding.rule} {finding.message} (left for review)")
    return 1 if any(result.error for result in results) else 0


if __name__ == "__main__":
    sys.exit(main())
