"""The ``asyncmend`` command line: options in, a Settings object to the engine, results out.

Exit codes: 0 nothing found (or everything fixed), 1 findings left, files that could not be processed,
or changes pending under ``fix --diff --check``; 2 usage or internal error; 130 interrupted (Ctrl-C).
"""
from __future__ import annotations

import sys

import click

from asyncmend import engine, report
from asyncmend.config import Settings, find_config, load_settings, validate_selectors
from asyncmend.model import AsyncmendError
from codemods import ALL_RULES


class Failure(click.ClickException):
    """A bad input or setting: reported on stderr, exit code 2."""

    exit_code = 2


def _split(values: tuple[str, ...]) -> tuple[str, ...] | None:
    out = tuple(v.strip() for value in values for v in value.split(",") if v.strip())
    return out or None


def _settings(config: str | None, **options) -> Settings:
    path = None
    if config is not None:
        from pathlib import Path

        path = Path(config)
    else:
        path = find_config()
    settings = load_settings(path)
    for key in ("select", "ignore", "exclude"):
        options[key] = _split(options.get(key) or ())
    if options.get("exclude") is not None:
        options["exclude"] = settings.exclude + options["exclude"]
    settings = settings.with_options(**options)
    validate_selectors(settings.select, ALL_RULES, "select")
    validate_selectors(settings.ignore, ALL_RULES, "ignore")
    for _, codes in settings.per_file_ignores:
        validate_selectors(codes, ALL_RULES, "per-file-ignores")
    if settings.jobs is not None and settings.jobs < 1:
        raise AsyncmendError("--jobs must be at least 1")
    return settings


def _common(fn):
    options = [
        click.argument("paths", nargs=-1, type=click.Path()),
        click.option("--select", multiple=True, help="Rule codes, prefixes or names to check (comma-separated)."),
        click.option("--ignore", multiple=True, help="Rule codes, prefixes or names to leave out."),
        click.option("--exclude", multiple=True, help="Glob patterns of files or folders to skip."),
        click.option("-j", "--jobs", type=int, default=None, help="Worker processes [default: CPU count]."),
        click.option("--config", type=click.Path(dir_okay=False), help="A pyproject.toml to read settings from."),
        click.option("--include-generated", is_flag=True, default=None, help="Also process files marked @generated."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _read_stdin(paths: tuple[str, ...]) -> str | None:
    if engine.STDIN not in paths:
        return None
    data = sys.stdin.buffer.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise AsyncmendError("standard input is not UTF-8") from None


def _report_errors(run: engine.RunResult) -> None:
    for r in run.errors:
        click.echo(f"{r.path}: {r.error}", err=True)


def _exit_code(run: engine.RunResult, problems: bool) -> int:
    if any(r.internal for r in run.errors):
        return 2
    return 1 if problems or run.errors else 0


def _interrupted() -> None:
    click.echo(
        "asyncmend: interrupted; files already fixed keep their fixes, no file was left half-written",
        err=True,
    )
    sys.exit(130)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="asyncmend")
def main() -> None:
    """Find and fix asyncio mistakes: unawaited coroutines, cancel without drain, asyncio across threads."""


@main.command()
@_common
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def check(paths, fmt, config, include_generated, **options) -> None:
    """Report problems; exit 1 when there are any."""
    try:
        settings = _settings(config, include_generated=include_generated, **options)
        stdin = _read_stdin(paths)
        run = engine.check(list(paths) or ["."], settings, stdin)
    except AsyncmendError as exc:
        raise Failure(str(exc)) from None
    except KeyboardInterrupt:
        _interrupted()
    click.echo(report.as_json(run) if fmt == "json" else report.as_text(run), nl=False)
    _report_errors(run)
    click.echo(report.check_summary(run), err=True)
    sys.exit(_exit_code(run, bool(run.findings)))


@main.command()
@_common
@click.option("--diff", is_flag=True, help="Write nothing; print a unified diff of the fixes.")
@click.option("--check", "check_only", is_flag=True, help="With --diff: exit 1 when anything would change.")
@click.option("--unsafe-fixes", is_flag=True, default=None, help="Also apply fixes marked unsafe.")
@click.option(
    "--unawaited-fix", type=click.Choice(["await", "task"]), default=None,
    help="Mend an unawaited coroutine with `await` (default) or a kept background task.",
)
def fix(paths, diff, check_only, config, include_generated, unsafe_fixes, unawaited_fix, **options) -> None:
    """Apply fixes in place (or show them with --diff)."""
    if check_only and not diff:
        raise click.UsageError("--check goes with --diff")
    try:
        settings = _settings(
            config, include_generated=include_generated, unsafe_fixes=unsafe_fixes,
            unawaited_fix=unawaited_fix, **options,
        )
        stdin = _read_stdin(paths)
        run = engine.fix(list(paths) or ["."], settings, write=not diff, stdin_text=stdin)
    except AsyncmendError as exc:
        raise Failure(str(exc)) from None
    except KeyboardInterrupt:
        _interrupted()
    color = sys.stdout.isatty()
    for r in run.files:
        if r.path == engine.STDIN:
            click.echo(r.new if r.new is not None else r.old or stdin or "", nl=False)
            continue
        if not r.changed:
            continue
        if diff:
            text = report.unified_diff(r.path, r.old, r.new)
            click.echo(_colour(text) if color else text, nl=False)
        else:
            click.echo(f"fixed {r.path} ({report.plural(len(r.fixed), 'fix')})", err=True)
    for f in run.findings:
        click.echo(report.finding_line(f), err=True)
    _report_errors(run)
    click.echo(report.fix_summary(run, wrote=not diff), err=True)
    pending = diff and check_only and any(r.changed for r in run.files)
    sys.exit(_exit_code(run, pending or (not diff and bool(run.findings))))


def _colour(diff: str) -> str:
    out = []
    for line in diff.splitlines(keepends=True):
        if line.startswith(("+++", "---")):
            out.append(click.style(line, bold=True))
        elif line.startswith("+"):
            out.append(click.style(line, fg="green"))
        elif line.startswith("-"):
            out.append(click.style(line, fg="red"))
        elif line.startswith("@@"):
            out.append(click.style(line, fg="cyan"))
        else:
            out.append(line)
    return "".join(out)


if __name__ == "__main__":
    main()
