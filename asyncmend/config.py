"""Settings for a run: ``[tool.asyncmend]`` in pyproject.toml, then command-line options on top."""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass, replace
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from .model import AsyncmendError, Rule


@dataclass(frozen=True)
class Settings:
    select: tuple[str, ...] = ()  # empty: every rule
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    unsafe_fixes: bool = False
    include_generated: bool = False
    unawaited_fix: str = "await"
    jobs: int | None = None
    python: str | None = None  # the environment whose packages are read (see codemods.external)
    cache: bool = False  # keep per-file analyses in a cache folder (the command line turns it on)
    cache_dir: str | None = None  # default: .asyncmend_cache at the project root
    shard: tuple[int, int] | None = None  # (K, N): check only the K-th of N shares of the files
    index_file: str | None = None  # summaries exported by ``asyncmend index``, instead of reading them

    def with_options(self, **options) -> "Settings":
        """Command-line options win; ``None`` means "not given"."""
        return replace(self, **{k: v for k, v in options.items() if v is not None})


_KEYS = {
    "select": "list",
    "ignore": "list",
    "exclude": "list",
    "per-file-ignores": "table",
    "unsafe-fixes": "bool",
    "include-generated": "bool",
    "unawaited-fix": ("await", "task"),
}


def find_config(start: str | None = None) -> Path | None:
    folder = Path(start or os.getcwd()).resolve()
    for candidate in (folder, *folder.parents):
        path = candidate / "pyproject.toml"
        if path.is_file():
            return path
    return None


def load_settings(path: Path | None) -> Settings:
    """Read ``[tool.asyncmend]``; a bad key or value raises AsyncmendError naming it."""
    if path is None:
        return Settings()
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise AsyncmendError(f"{path}: cannot read configuration: {exc}") from None
    table = data.get("tool", {}).get("asyncmend", {})
    if not isinstance(table, dict):
        raise AsyncmendError(f"{path}: [tool.asyncmend] must be a table")
    return Settings(**table_values(table, f"{path}: [tool.asyncmend]"))


def table_values(table: dict, where: str) -> dict:
    """Settings values from a table with ``[tool.asyncmend]``'s keys (an editor's settings too),
    checked; a bad key or value raises AsyncmendError naming ``where`` and the key."""
    values: dict = {}
    for key, value in table.items():
        kind = _KEYS.get(key)
        where_key = f"{where} {key}"
        if kind is None:
            raise AsyncmendError(f"{where_key}: unknown key (known: {', '.join(sorted(_KEYS))})")
        if kind == "list":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise AsyncmendError(f"{where_key}: expected a list of strings")
            value = tuple(value)
        elif kind == "bool":
            if not isinstance(value, bool):
                raise AsyncmendError(f"{where_key}: expected true or false")
        elif kind == "table":
            if not isinstance(value, dict) or not all(
                isinstance(v, list) and all(isinstance(c, str) for c in v) for v in value.values()
            ):
                raise AsyncmendError(f"{where_key}: expected a table of glob = [rule codes]")
            value = tuple((glob, tuple(codes)) for glob, codes in value.items())
        elif value not in kind:
            raise AsyncmendError(f"{where_key}: expected one of {', '.join(map(repr, kind))}")
        values[key.replace("-", "_")] = value
    return values


def resolve_settings(path: Path | None, **options) -> Settings:
    """The settings of a run: the file's ``[tool.asyncmend]``, then ``options`` on top, checked.

    An option given as ``None`` is "not given"; ``exclude`` adds to the configured patterns.
    """
    from codemods import ALL_RULES

    settings = load_settings(path)
    if options.get("exclude") is not None:
        options["exclude"] = settings.exclude + tuple(options["exclude"])
    settings = settings.with_options(**options)
    validate_selectors(settings.select, ALL_RULES, "select")
    validate_selectors(settings.ignore, ALL_RULES, "ignore")
    for _, codes in settings.per_file_ignores:
        validate_selectors(codes, ALL_RULES, "per-file-ignores")
    if settings.jobs is not None and settings.jobs < 1:
        raise AsyncmendError("--jobs must be at least 1")
    if settings.unawaited_fix not in _KEYS["unawaited-fix"]:
        raise AsyncmendError(f"unawaited-fix: expected one of {', '.join(map(repr, _KEYS['unawaited-fix']))}")
    return settings


def validate_selectors(selectors: tuple[str, ...], rules: tuple[Rule, ...], what: str) -> None:
    for s in selectors:
        if not any(_matches(s, rule) for rule in rules):
            raise AsyncmendError(f"{what}: {s!r} matches no rule (see `asyncmend rules`)")


def _matches(selector: str, rule: Rule) -> bool:
    return selector == "ALL" or rule.code.startswith(selector.upper()) or selector == rule.name


def enabled_rules(settings: Settings, rules: tuple[Rule, ...], path: str | None = None) -> set[str]:
    """The codes that apply (to ``path``, with its per-file ignores)."""
    chosen = [r for r in rules if not settings.select or any(_matches(s, r) for s in settings.select)]
    ignore = list(settings.ignore)
    if path is not None:
        from .discover import _excluded

        for glob, codes in settings.per_file_ignores:
            if _excluded(Path(path), (glob,)):
                ignore.extend(codes)
    return {r.code for r in chosen if not any(_matches(s, r) for s in ignore)}
