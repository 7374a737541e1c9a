"""The ``asyncmend`` command line: options in, a Settings object to the engine, results out.

Exit codes: 0 nothing found (or everything fixed); 1 findings left, files that could not be processed,
or, with ``--diff``, changes to make; 2 usage, configuration or internal error; 130 interrupted (Ctrl-C).
``--exit-zero`` turns findings into 0, ``--exit-non-zero-on-fix`` makes applied fixes count as 1.

A subcommand is a function under ``@main.command()``; the option groups (``_files``, ``_selection``,
``_reporting``) are decorators it can take.
"""
from __future__ import annotations

import os
import sys
from contextlib import nullcontext
from pathlib import Path

import click

from asyncmend import engine, lsp, report, ruledocs, sarif
from asyncmend.codemods.registry import ALL_RULES
from asyncmend.config import Settings, hierarchical_settings, resolve_settings
from asyncmend.model import AsyncmendError
from asyncmend.source import SourceFile


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


def _from_here(pattern: str) -> str:
    """A command-line pattern with a folder in it is relative to the current folder."""
    if "/" not in pattern or os.path.isabs(pattern):
        return pattern
    return Path(os.getcwd(), pattern).as_posix()


def _settings(config: str | None, isolated: bool = False, **options) -> Settings:
    """Each file's closest configuration with the options on top; ``--config`` forces one file for
    every path, ``--isolated`` reads none."""
    if config is not None and isolated:
        raise click.UsageError("--config and --isolated exclude each other")
    for key in ("select", "extend_select", "ignore", "exclude", "extend_exclude"):
        if key in options:
            options[key] = _split(options[key] or ())
    for key in ("exclude", "extend_exclude"):
        if options.get(key):
            options[key] = tuple(_from_here(p) for p in options[key])
    options["cache"] = not options.pop("no_cache", False)
    options["shard"] = _shard(options.get("shard"))
    if config is not None:
        return resolve_settings(Path(config), **options)
    if isolated:
        return resolve_settings(None, **options)
    return hierarchical_settings(**options)


def _options(fn, options):
    for option in reversed(options):
        fn = option(fn)
    return fn


def _files(fn):
    """Which files, which configuration, how the engine runs: shared by check, fix and index."""
    return _options(fn, [
        click.argument("paths", nargs=-1, type=click.Path()),
        click.option("--exclude", multiple=True, help="Glob patterns of files or folders to skip (replaces the configured ones)."),
        click.option("--extend-exclude", multiple=True, help="Glob patterns to skip on top of the configured ones."),
        click.option("--force-exclude/--no-force-exclude", default=None,
                     help="Apply the exclusions to files named on the command line too."),
        click.option("--respect-gitignore/--no-respect-gitignore", default=None,
                     help="Skip what .gitignore files leave out [default: on]."),
        click.option("--config", type=click.Path(dir_okay=False),
                     help="Read settings from this pyproject.toml or asyncmend.toml, for every file."),
        click.option("--isolated", is_flag=True, help="Read no configuration file."),
        click.option("-j", "--jobs", type=int, default=None, help="Worker processes [default: CPU count]."),
        click.option("--no-cache", is_flag=True, help="Neither read nor write the analysis cache."),
        click.option("--cache-dir", type=click.Path(file_okay=False), default=None,
                     help="Where the analysis cache lives [default: .asyncmend_cache at the project root]."),
    ])


def _selection(fn):
    """Which rules, and what the project index holds: shared by check and fix."""
    return _options(_files(fn), [
        click.option("--select", multiple=True, help="Rule codes, prefixes or names to check (comma-separated)."),
        click.option("--extend-select", multiple=True, help="Rules to check on top of the selection."),
        click.option("--ignore", multiple=True, help="Rule codes, prefixes or names to leave out."),
        click.option("--include-generated", is_flag=True, default=None, help="Also process files marked @generated."),
        click.option("--shard", type=str, default=None, metavar="K/N",
                     help="Check only the K-th of N deterministic shares of the files (CI matrices)."),
        click.option("--index", "index_file", type=click.Path(dir_okay=False), default=None,
                     help="Project summaries written by `asyncmend index --output` (with --shard)."),
        click.option(
            "--python", type=click.Path(), default=None,
            help="Interpreter or virtual environment whose packages are read [default: $VIRTUAL_ENV, else this one].",
        ),
    ])


def _reporting(fn):
    """How results are shown and what the exit code says: shared by check and fix."""
    return _options(fn, [
        click.option("--unsafe-fixes/--no-unsafe-fixes", default=None, help="Also apply fixes marked unsafe."),
        click.option("--unawaited-fix", type=click.Choice(["await", "task"]), default=None,
                     help="Mend an unawaited coroutine with `await` (default) or a kept background task."),
        click.option("--diff", is_flag=True, help="Write nothing; print a unified diff of the fixes (exit 1 if any)."),
        click.option("--stdin-filename", type=click.Path(), default=None,
                     help="Read standard input as the file at this path (its project, settings and ignores)."),
        click.option("--exit-zero", is_flag=True, help="Exit 0 even when problems are found."),
        click.option("--exit-non-zero-on-fix", is_flag=True, help="Exit 1 when any fix was applied."),
        click.option("--show-fixes", is_flag=True, help="List what was fixed, per file and rule."),
        click.option("-q", "--quiet", is_flag=True, help="Print the findings (or diffs) and nothing else."),
        click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True,
                     help="Colour the output (auto: on a terminal, unless NO_COLOR is set)."),
    ])


def _read_stdin(paths: tuple[str, ...], stdin_filename: str | None) -> tuple[str | None, str]:
    """Standard input's text (None when it is not read) and the path it stands for."""
    if stdin_filename is not None and any(p != engine.STDIN for p in paths):
        raise click.UsageError("--stdin-filename reads standard input: give no paths (or -)")
    if stdin_filename is None and engine.STDIN not in paths:
        return None, engine.STDIN
    data = sys.stdin.buffer.read()
    try:
        return data.decode("utf-8"), stdin_filename or engine.STDIN
    except UnicodeDecodeError:
        raise AsyncmendError("standard input is not UTF-8") from None


def _targets(paths: tuple[str, ...], stdin: str | None) -> list[str]:
    return list(paths) or ([engine.STDIN] if stdin is not None else ["."])


def _report_errors(run: engine.RunResult) -> None:
    for r in run.errors:
        click.echo(f"{r.path}: {r.error}", err=True)


def _exit_code(run: engine.RunResult, problems: bool, exit_zero: bool = False, fixed: bool = False,
               non_zero_on_fix: bool = False) -> int:
    if any(r.internal for r in run.errors):
        return 2
    if run.errors or (non_zero_on_fix and fixed):
        return 1
    return 1 if problems and not exit_zero else 0


def _interrupted() -> None:
    click.echo(
        "asyncmend: interrupted; files already fixed keep their fixes, no file was left half-written",
        err=True,
    )
    sys.exit(130)


def _dist_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version  # here: only --version and SARIF ask

    try:
        return version(name)
    except PackageNotFoundError:
        return "0"


def _version() -> str:
    return _dist_version("asyncmend")


def _print_version(ctx: click.Context, _param, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    import platform

    click.echo(f"asyncmend {_version()} (LibCST {_dist_version('libcst')}, Python {platform.python_version()})")
    ctx.exit()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
              help="Show the versions of asyncmend, LibCST and Python, and exit.")
def main() -> None:
    """Find and fix asyncio mistakes: unawaited coroutines, cancel without drain, asyncio across threads."""


OUTPUT_FORMATS = ["concise", "full", "json", "json-lines", "github", "gitlab", "sarif", "junit"]
ALIASES = {"text": "concise"}  # the name this format had before

# Runs over this many files show a progress bar (on a terminal, in text output only).
PROGRESS_MIN_FILES = 300


def _progress(fmt: str):
    """A progress display for the engine, or None: only when both output streams are a terminal."""
    if fmt not in ("concise", "full") or not (sys.stderr.isatty() and sys.stdout.isatty()):
        return None

    def bar(label: str, total: int):
        if total < PROGRESS_MIN_FILES:
            return nullcontext()
        return click.progressbar(length=total, label=label, file=sys.stderr)

    return bar


STYLES = {"path": {"bold": True}, "code": {"fg": "red", "bold": True}, "fix": {"fg": "cyan"}}


def _colour_on(color: str) -> bool:
    return color == "always" or (color == "auto" and sys.stdout.isatty() and "NO_COLOR" not in os.environ)


def _style(on: bool) -> report.Style:
    return (lambda text, role: click.style(text, **STYLES[role])) if on else report.plain


def _sources(run: engine.RunResult, stdin: str | None) -> dict[str, str]:
    out = {}
    for r in run.files:
        if r.findings and r.stdin:
            out[r.path] = stdin or ""
        elif r.findings:
            try:
                out[r.path] = SourceFile.read(r.path).text
            except AsyncmendError:
                out[r.path] = ""
    return out


def _findings_output(run: engine.RunResult, fmt: str, on: bool, stdin: str | None, stdin_path: str) -> str:
    if fmt == "sarif":
        errors = [(r.path, r.error or "") for r in run.errors]
        fixes = sarif.fix_texts(run.findings, stdin, stdin_path)
        return sarif.as_sarif(run.findings, errors, ALL_RULES, _version(), fixes)
    if fmt == "full":
        return report.as_full(run, _sources(run, stdin), _style(on))
    simple = {"json": report.as_json, "json-lines": report.as_json_lines, "github": report.as_github,
              "gitlab": report.as_gitlab, "junit": report.as_junit}
    return simple[fmt](run) if fmt in simple else report.as_text(run, _style(on))


@main.command()
@_selection
@_reporting
@click.option("--fix/--no-fix", "apply", default=False, help="Apply the fixes (as `asyncmend fix`).")
@click.option("--output-format", "--format", "fmt", type=click.Choice(OUTPUT_FORMATS + list(ALIASES)),
              default="concise", show_default=True,
              help="concise, full (with the source), json, json-lines, github (workflow annotations), "
                   "gitlab (Code Quality), sarif (SARIF 2.1.0) or junit.")
@click.option("--statistics", is_flag=True,
              help="Print how many problems each rule found instead of each problem.")
@click.option("--add-noqa", is_flag=True, help="Add `# noqa: CODE` to every line with a problem.")
def check(paths, fmt, statistics, add_noqa, apply, diff, stdin_filename, exit_zero, exit_non_zero_on_fix,
          show_fixes, quiet, color, **options) -> None:
    """Report problems; exit 1 when there are any (with --fix: when any are left)."""
    fmt = ALIASES.get(fmt, fmt)
    if statistics and fmt not in ("concise", "json"):
        raise click.UsageError("--statistics goes with --output-format concise or json")
    if add_noqa and (apply or diff):
        raise click.UsageError("--add-noqa goes without --fix and --diff")
    if apply or diff:
        _fixing(paths, options, diff, stdin_filename, exit_zero, exit_non_zero_on_fix, show_fixes, quiet,
                color, fmt=fmt)
        return
    try:
        settings = _settings(**options)
        if add_noqa:
            count, run = engine.add_noqa(_targets(paths, None), settings, progress=_progress(fmt))
        else:
            stdin, stdin_path = _read_stdin(paths, stdin_filename)
            run = engine.check(_targets(paths, stdin), settings, stdin, progress=_progress(fmt),
                               stdin_path=stdin_path)
    except AsyncmendError as exc:
        raise Failure(str(exc)) from None
    except KeyboardInterrupt:
        _interrupted()
    _report_errors(run)
    if add_noqa:
        if not quiet:
            click.echo(f"Added {report.plural(count, 'noqa directive')}.", err=True)
        sys.exit(_exit_code(run, False))
    on = _colour_on(color)
    if statistics:
        click.echo(report.statistics_json(run) if fmt == "json" else report.statistics_text(run), nl=False)
    else:
        click.echo(_findings_output(run, fmt, on, stdin, stdin_path), nl=False, color=on)
    if not quiet:
        click.echo(report.check_summary(run), err=True)
    sys.exit(_exit_code(run, bool(run.findings), exit_zero))


def _fixing(paths, options, diff, stdin_filename, exit_zero, exit_non_zero_on_fix, show_fixes, quiet, color,
            fmt: str | None = None) -> None:
    """``fix`` (``fmt`` None) and ``check --fix``/``--diff`` (remaining findings in ``fmt`` on stdout)."""
    try:
        settings = _settings(**options)
        stdin, stdin_path = _read_stdin(paths, stdin_filename)
        run = engine.fix(_targets(paths, stdin), settings, write=not diff, stdin_text=stdin,
                         progress=_progress(fmt or "concise"), stdin_path=stdin_path)
    except AsyncmendError as exc:
        raise Failure(str(exc)) from None
    except KeyboardInterrupt:
        _interrupted()
    on = _colour_on(color)
    for r in run.files:
        if r.stdin and not diff:
            click.echo(r.new if r.new is not None else r.old or stdin or "", nl=False)
            continue
        if not r.changed:
            continue
        if diff:
            text = report.unified_diff(r.path, r.old, r.new)
            click.echo(_colour(text) if on else text, nl=False, color=on)
        elif fmt is None and not quiet:
            click.echo(f"fixed {r.path} ({report.plural(len(r.fixed), 'fix')})", err=True)
    left = engine.RunResult([r for r in run.files if r.findings])
    if fmt is not None and not diff:
        stdin_used = any(r.stdin for r in run.files)
        click.echo(_findings_output(left, fmt, on, stdin, stdin_path), nl=False, err=stdin_used, color=on)
    elif not quiet:
        style = _style(on and sys.stderr.isatty())
        for r in left.files:
            for f in r.findings:
                click.echo(report.finding_line(f, r.applies(f), style), err=True)
    _report_errors(run)
    if show_fixes and not quiet:
        click.echo(report.show_fixes(run), err=True, nl=False)
    if not quiet:
        summary = report.check_fix_summary(run) if fmt is not None and not diff else report.fix_summary(run, not diff)
        click.echo(summary, err=True)
    changed = any(r.changed for r in run.files)
    if diff:
        sys.exit(_exit_code(run, changed))
    sys.exit(_exit_code(run, bool(run.findings), exit_zero, changed, exit_non_zero_on_fix))


@main.command()
def rules() -> None:
    """List every rule: code, name, fix safety and what it finds."""
    click.echo(ruledocs.rules_listing(), nl=False)


@main.command()
@click.argument("rule")
def explain(rule: str) -> None:
    """Print a rule's full documentation (by code, like AM101, or by name)."""
    found = ruledocs.find_rule(rule)
    if found is None:
        raise Failure(f"{rule!r} is not a rule (see `asyncmend rules`)")
    click.echo(ruledocs.explain(found), nl=False)


@main.command()
@_selection
@_reporting
@click.option("--check", "check_only", is_flag=True, help="With --diff: kept for compatibility (--diff exits 1 on changes).")
def fix(paths, check_only, diff, stdin_filename, exit_zero, exit_non_zero_on_fix, show_fixes, quiet, color,
        **options) -> None:
    """Apply fixes in place (or show them with --diff); exit 1 when problems are left."""
    if check_only and not diff:
        raise click.UsageError("--check goes with --diff")
    _fixing(paths, options, diff, stdin_filename, exit_zero, exit_non_zero_on_fix, show_fixes, quiet, color)


@main.command("index")
@_files
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False), help="The file to write.")
def index_command(paths, output, **options) -> None:
    """Write the project's summaries to a file, for `check --shard K/N --index FILE` on many machines."""
    try:
        settings = _settings(**options)
        count = engine.write_index(list(paths) or ["."], settings, output)
    except AsyncmendError as exc:
        raise Failure(str(exc)) from None
    click.echo(f"Wrote {report.plural(count, 'module')} to {output}.", err=True)


@main.command()
def server() -> None:
    """Run the language server (LSP) over stdio, for editors; needs `pip install "asyncmend[lsp]"`."""
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
