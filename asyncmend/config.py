"""Settings for a run: each file's closest configuration, then command-line options on top.

As ruff does it: the configuration of a file is the ``asyncmend.toml`` (top-level keys) or the
``pyproject.toml`` with a ``[tool.asyncmend]`` table in the closest folder at or above it; a
``pyproject.toml`` without that table is passed over. Path patterns (``exclude``, ``extend-exclude``,
``per-file-ignores``) are relative to the folder of the configuration file they come from. ``--config``
forces one file for every path, ``--isolated`` reads none; command-line options win over either.
"""
from __future__ import annotations

import fnmatch
import functools
import os
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from asyncmend.codemods.registry import ALL_RULES

from .model import AsyncmendError, Rule

CONFIG_FILES = ("asyncmend.toml", "pyproject.toml")


@dataclass(frozen=True)
class Settings:
    select: tuple[str, ...] = ()  # empty: every rule on by default
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    extend_exclude: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    unsafe_fixes: bool = False
    include_generated: bool = False
    respect_gitignore: bool = True
    force_exclude: bool = False  # apply the exclusions to files named explicitly too
    unawaited_fix: str = "await"
    jobs: int | None = None
    python: str | None = None  # the environment whose packages are read (see asyncmend.codemods.external)
    cache: bool = False  # keep per-file analyses in a cache folder (the command line turns it on)
    cache_dir: str | None = None  # default: .asyncmend_cache at the project root
    shard: tuple[int, int] | None = None  # (K, N): check only the K-th of N shares of the files
    index_file: str | None = None  # summaries exported by ``asyncmend index``, instead of reading them
    root: str | None = None  # the folder path patterns are relative to; None: the current folder
    config_file: str | None = None  # where these settings were read from
    # Set when each file takes its closest configuration: the command line's options, laid over it.
    overrides: tuple[tuple[str, Any], ...] | None = None

    def with_options(self, **options) -> "Settings":
        """Command-line options win; ``None`` means "not given"."""
        return replace(self, **{k: v for k, v in options.items() if v is not None})

    def for_path(self, path: str | os.PathLike) -> "Settings":
        """The settings that apply to ``path`` (a file or a folder)."""
        if self.overrides is None:
            return self
        folder = os.path.abspath(path)
        if not os.path.isdir(folder):
            folder = os.path.dirname(folder)
        return _hierarchical(closest_config(folder), self.overrides)

    @property
    def all_excludes(self) -> tuple[str, ...]:
        return self.exclude + self.extend_exclude

    def excluded(self, path: str | os.PathLike) -> bool:
        """Whether ``exclude``/``extend-exclude`` match ``path`` (its name, or its path from ``root``)."""
        return matches(path, self.all_excludes, self.root)


_KEYS = {
    "select": "list",
    "extend-select": "list",
    "ignore": "list",
    "exclude": "list",
    "extend-exclude": "list",
    "per-file-ignores": "table",
    "unsafe-fixes": "bool",
    "include-generated": "bool",
    "respect-gitignore": "bool",
    "force-exclude": "bool",
    "unawaited-fix": ("await", "task"),
}


def _read_toml(path: Path) -> dict:
    """A TOML file's contents; any problem is one line naming the file."""
    # Imported here: a run with no configuration file reads no TOML (a few ms of a one-file run).
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except OSError as exc:
        raise AsyncmendError(f"{path}: cannot read configuration: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise AsyncmendError(f"{path}: cannot read configuration: the file is not UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        first = str(exc).splitlines()[0] if str(exc) else "invalid TOML"
        raise AsyncmendError(f"{path}: cannot read configuration: {first}") from None


def _table(path: Path) -> dict | None:
    """The asyncmend table of a configuration file, or None when a pyproject.toml has none."""
    data = _read_toml(path)
    if path.name != "pyproject.toml":
        return data
    tool = data.get("tool", {})
    if not isinstance(tool, dict) or "asyncmend" not in tool:
        return None
    return tool["asyncmend"]


@functools.lru_cache(maxsize=1024)
def closest_config(folder: str) -> Path | None:
    """The configuration file governing ``folder``: the closest one at or above it."""
    here = Path(folder)
    for name in CONFIG_FILES:
        candidate = here / name
        if candidate.is_file() and _table(candidate) is not None:
            return candidate
    return None if here.parent == here else closest_config(str(here.parent))


def find_config(start: str | None = None) -> Path | None:
    """The configuration file for the folder ``start`` (default: the current folder), read afresh."""
    closest_config.cache_clear()
    return closest_config(str(Path(start or os.getcwd()).resolve()))


def load_settings(path: Path | None) -> Settings:
    """Read a configuration file; a bad key or value raises AsyncmendError naming it."""
    if path is None:
        return Settings()
    table = _table(path)
    if table is None:  # a pyproject.toml without [tool.asyncmend]: defaults, relative to its folder
        return Settings(root=str(path.resolve().parent), config_file=str(path))
    section = "[tool.asyncmend]" if path.name == "pyproject.toml" else ""
    if not isinstance(table, dict):
        raise AsyncmendError(f"{path}: {section or 'the file'} must be a table")
    values = table_values(table, f"{path}: {section}".rstrip())
    settings = Settings(root=str(path.resolve().parent), config_file=str(path), **values)
    try:
        _validate(settings)
    except AsyncmendError as exc:
        raise AsyncmendError(f"{path}: {exc}") from None
    return settings


@functools.lru_cache(maxsize=256)
def _hierarchical(path: Path | None, overrides: tuple[tuple[str, Any], ...]) -> Settings:
    settings = load_settings(path)
    return _over(settings, _merged(settings, dict(overrides)), overrides)


def _over(settings: Settings, options: dict, overrides: tuple | None) -> Settings:
    settings = settings.with_options(**options)
    if settings.root is None:
        settings = replace(settings, root=os.getcwd())
    settings = replace(settings, overrides=overrides)
    _validate(settings)
    return settings


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
    """The settings of a run: ``path``'s configuration for every file, with ``options`` on top.

    An option given as ``None`` is "not given"; ``extend_select`` and ``extend_exclude`` add to the
    configured lists.
    """
    settings = load_settings(path)
    return _over(settings, _merged(settings, options), None)


def hierarchical_settings(**options) -> Settings:
    """Settings whose ``for_path`` reads each file's closest configuration, ``options`` on top.

    Configuration files are read afresh for each run (a long-lived process sees their changes).
    """
    closest_config.cache_clear()
    _hierarchical.cache_clear()
    options = {k: v for k, v in options.items() if v is not None}
    return _hierarchical(closest_config(os.getcwd()), tuple(sorted(options.items())))


def _merged(settings: Settings, options: dict) -> dict:
    options = dict(options)
    for key in ("extend_select", "extend_exclude"):
        if options.get(key) is not None:
            options[key] = getattr(settings, key) + tuple(options[key])
    return options


def _validate(settings: Settings) -> None:
    validate_selectors(settings.select, ALL_RULES, "select")
    validate_selectors(settings.extend_select, ALL_RULES, "extend-select")
    validate_selectors(settings.ignore, ALL_RULES, "ignore")
    for _, codes in settings.per_file_ignores:
        validate_selectors(codes, ALL_RULES, "per-file-ignores")
    if settings.jobs is not None and settings.jobs < 1:
        raise AsyncmendError("--jobs must be at least 1")
    if settings.unawaited_fix not in _KEYS["unawaited-fix"]:
        raise AsyncmendError(f"unawaited-fix: expected one of {', '.join(map(repr, _KEYS['unawaited-fix']))}")


def validate_selectors(selectors: tuple[str, ...], rules: tuple[Rule, ...], what: str) -> None:
    for s in selectors:
        if not any(_matches(s, rule) for rule in rules):
            raise AsyncmendError(f"{what}: {s!r} matches no rule (see `asyncmend rules`)")


def _matches(selector: str, rule: Rule) -> bool:
    return selector == "ALL" or rule.code.startswith(selector.upper()) or selector == rule.name


def matches(path: str | os.PathLike, patterns: tuple[str, ...], root: str | None) -> bool:
    """Whether a glob in ``patterns`` matches ``path``'s name, its path relative to ``root`` (when it is
    inside) or its absolute path."""
    if not patterns:
        return False
    full = os.path.abspath(path)
    name = os.path.basename(full)
    candidates = [name, Path(full).as_posix()]
    if root is not None:
        rel = os.path.relpath(full, root)
        if not rel.startswith(".."):
            candidates.append(Path(rel).as_posix())
    return any(fnmatch.fnmatch(c, p) for p in patterns for c in candidates)


def enabled_rules(settings: Settings, rules: tuple[Rule, ...], path: str | None = None) -> set[str]:
    """The codes that apply (to ``path``, with its per-file ignores).

    Every rule is on unless ``select`` says otherwise, except opt-in rules (``Rule.default`` false,
    as AM001), which a selector must name: by code, prefix, name or ``ALL``.
    """
    chosen = [
        r for r in rules
        if (any(_matches(s, r) for s in settings.select) if settings.select else r.default)
        or any(_matches(s, r) for s in settings.extend_select)
    ]
    ignore = list(settings.ignore)
    if path is not None:
        for glob, codes in settings.per_file_ignores:
            if matches(path, (glob,), settings.root):
                ignore.extend(codes)
    return {r.code for r in chosen if not any(_matches(s, r) for s in ignore)}
