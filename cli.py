"""The ``asyncmend`` command line: options in, a Settings object to the engine, results out.

Exit codes: 0 nothing found (or everything fixed), 1 findings left, files that could not be processed,
or changes pending under ``fix --diff --check``; 2 usage or internal error; 130 interrupted (Ctrl-C).
"""
from __future__ import annotations

import sys
from contextlib import nullcontext

import click

from asyncmend import engine, report
from asyncmend.config import Settings, find_config, resolve_settings
from asyncmend.model import AsyncmendError
from codemods import ALL_RULES


class Failure(click.ClickException):
    """A bad input or setting: reported on stderr, exit code 2."""

    exit_code = 2


def _split(values: tuple[str, ...]) -> tuple[str, ...] | None:
    out = tuple(v.strip() for value in values for v in value.split(",") if v.strip())
    return out or None


def _shard(value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    k, sep, n = value.partition("/")
    if not (sep and k.isdigit() and n.isdigit() and 1 <= int(k) <= int(n)):
        raise AsyncmendError(f"--shard takes K/N with 1 <= K <= N, not {value!r}")
    return int(k), int(n)


def _settings(config: str | None, **options) -> Settings:
    from pathlib import Path

    path = Path(config) if config is not None else find_config()
    for key in ("select", "ignore", "exclude"):
        options[key] = _split(options.get(key) or ())
    options["cache"] = not options.pop("no_cache", False)
    options["shard"] = _shard(options.get("shard"))
    return resolve_settings(path, **options)


def _common(fn):
    options = [
        click.argument("paths", nargs=-1, type=click.Path()),
        click.option("--select", multiple=True, help="Rule codes, prefixes or names to check (comma-separated)."),
        click.option("--ignore", multiple=True, help="Rule codes, prefixes or names to leave out."),
        click.option("--exclude", multiple=True, help="Glob patterns of files or folders to skip."),
        click.option("-j", "--jobs", type=int, default=None, help="Worker processes [default: CPU count]."),
        click.option("--config", type=click.Path(dir_okay=False), help="A pyproject.toml to read settings from."),
        click.option("--include-generated", is_flag=True, default=None, help="Also process files marked @generated."),
        click.option("--no-cache", is_flag=True, help="Neither read nor write the analysis cache."),
        click.option("--cache-dir", type=click.Path(file_okay=False), default=None,
                     help="Where the analysis cache lives [default: .asyncmend_cache at the project root]."),
        click.option("--shard", type=str, default=None, metavar="K/N",
                     help="Check only the K-th of N deterministic shares of the files (CI matrices)."),
        click.option("--index", "index_file", type=click.Path(dir_okay=False), default=None,
                     help="Project summaries written by `asyncmend index --output` (with --shard)."),
        click.option(
            "--python", type=click.Path(), default=None,
            help="Interpreter or virtual environment whose packages are read [default: $VIRTUAL_ENV, else this one].",
        ),
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


FORMATS = ["text", "json", "github", "sarif"]

# Runs over this many files show a progress bar (on a terminal, in text output only).
PROGRESS_MIN_FILES = 300


def _progress(fmt: str):
    """A progress display for the engine, or None: only when both output streams are a terminal."""
    if fmt != "text" or not (sys.stderr.isatty() and sys.stdout.isatty()):
        return None

    def bar(label: str, total: int):
        if total < PROGRESS_MIN_FILES:
            return nullcontext()
        return click.progressbar(length=total, label=label, file=sys.stderr)

    return bar


@main.command()
@_common
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="text, json, github (workflow annotations) or sarif (SARIF 2.1.0, for code scanning).")
@click.option("--statistics", is_flag=True,
              help="Print how many problems each rule found instead of each problem.")
def check(paths, fmt, statistics, config, include_generated, **options) -> None:
    """Report problems; exit 1 when there are any."""
    if statistics and fmt not in ("text", "json"):
        raise click.UsageError("--statistics goes with --format text or json")
    try:
        settings = _settings(config, include_generated=include_generated, **options)
        stdin = _read_stdin(paths)
        run = engine.check(list(paths) or ["."], settings, stdin, progress=_progress(fmt))
    except AsyncmendError as exc:
        raise Failure(str(exc)) from None
    except KeyboardInterrupt:
        _interrupted()
    if statistics:
        click.echo(report.statistics_json(run) if fmt == "json" else report.statistics_text(run), nl=False)
    elif fmt == "sarif":
        from asyncmend import sarif

        errors = [(r.path, r.error or "") for r in run.errors]
        fixes = sarif.fix_texts(run.findings, stdin)
        click.echo(sarif.as_sarif(run.findings, errors, ALL_RULES, _version(), fixes), nl=False)
    elif fmt == "github":
        click.echo(report.as_github(run), nl=False)
    else:
        click.echo(report.as_json(run) if fmt == "json" else report.as_text(run), nl=False)
    if fmt != "github":
        _report_errors(run)
    click.echo(report.check_summary(run), err=True)
    sys.exit(_exit_code(run, bool(run.findings)))


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("asyncmend")
    except PackageNotFoundError:
        return "0"


@main.command()
def rules() -> None:
    """List every rule: code, name, fix safety and what it finds."""
    from asyncmend import ruledocs

    click.echo(ruledocs.rules_listing(), nl=False)


@main.command()
@click.argument("rule")
def explain(rule: str) -> None:
    """Print a rule's full documentation (by code, like AM101, or by name)."""
    from asyncmend import ruledocs

    found = ruledocs.find_rule(rule)
    if found is None:
        raise Failure(f"{rule!r} is not a rule (see `asyncmend rules`)")
    click.echo(ruledocs.explain(found), nl=False)


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
        run = engine.fix(
            list(paths) or ["."], settings, write=not diff, stdin_text=stdin, progress=_progress("text")
        )
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


@main.command("index")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False), help="The file to write.")
@click.option("--exclude", multiple=True, help="Glob patterns of files or folders to skip.")
@click.option("-j", "--jobs", type=int, default=None, help="Worker processes [default: CPU count].")
@click.option("--config", type=click.Path(dir_okay=False), help="A pyproject.toml to read settings from.")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the analysis cache.")
@click.option("--cache-dir", type=click.Path(file_okay=False), default=None, help="Where the analysis cache lives.")
def index_command(paths, output, config, **options) -> None:
    """Write the project's summaries to a file, for `check --shard K/N --index FILE` on many machines."""
    try:
        settings = _settings(config, **options)
        count = engine.write_index(list(paths) or ["."], settings, output)
    except AsyncmendError as exc:
        raise Failure(str(exc)) from None
    click.echo(f"Wrote {report.plural(count, 'module')} to {output}.", err=True)


@main.command()
def server() -> None:
    """Run the language server (LSP) over stdio, for editors; needs `pip install "asyncmend[lsp]"`."""
    from asyncmend import lsp  # pygls is loaded only here

    try:
        lsp.serve()
    except AsyncmendError as exc:
        raise Failure(str(exc)) from None


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
