"""Which `_target_`s a config read from a file may name: only those that ganlab's installed config tree and the
user's own config folders declare.

A checkpoint's stored config is data that travels between people (StudioGAN and ADM publish their checkpoints),
and Hydra's `instantiate` imports and calls whatever a `_target_` string names, with the node's arguments: a
crafted `last.ckpt` naming `builtins.open` or `numpy.savetxt` would write files of its author's choosing. Hydra's
own blocklist stops `os.system` and `subprocess`, not those. So before anything in a stored config is built,
every `_target_` in it is checked against the targets that the YAML files of ganlab's configs and of the
user's `hydra.searchpath` folders declare, and a stored config holding an interpolation is refused too: a
stored config is resolved when saved, and resolvers run code of their own (ganlab's makes directories).

Light: no torch (the report and the entry points check configs before importing it).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

_CONFIG_PACKAGE = "ganlab.conf"


class UndeclaredTarget(ValueError):
    """A stored config naming a callable no installed or user config declares (or holding an interpolation)."""


def _yaml_files(root: Any) -> Iterator[Any]:
    """Every .yaml below `root` (a Path or an importlib.resources Traversable), at any depth."""
    for entry in root.iterdir():
        if entry.is_dir():
            yield from _yaml_files(entry)
        elif entry.name.endswith(".yaml"):
            yield entry


def _targets_in(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        target = value.get("_target_")
        if isinstance(target, str):
            yield target
        for item in value.values():
            yield from _targets_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from _targets_in(item)


def _search_path_root(entry: str) -> Any | None:
    """The folder a `hydra.searchpath` entry names (file://my_conf, pkg://my_package.conf); None for others."""
    if entry.startswith("file://"):
        folder = Path(entry.removeprefix("file://")).expanduser()
        return folder if folder.is_dir() else None
    if entry.startswith("pkg://"):
        try:
            folder = resources.files(entry.removeprefix("pkg://").replace("/", "."))
        except (ModuleNotFoundError, TypeError):
            return None
        return folder if folder.is_dir() else None
    return None


@functools.lru_cache(maxsize=16)
def declared_targets(search_path: tuple[str, ...] = ()) -> frozenset[str]:
    """The `_target_` values of every YAML file in ganlab's configs and in the `search_path` folders."""
    roots = [resources.files(_CONFIG_PACKAGE)] + [root for entry in search_path if (root := _search_path_root(entry))]
    targets: set[str] = set()
    for root in roots:
        for file in _yaml_files(root):
            try:
                targets.update(_targets_in(yaml.safe_load(file.read_text(encoding="utf-8"))))
            except (yaml.YAMLError, UnicodeDecodeError, OSError):
                continue  # a file Hydra could not compose either: it declares nothing
    return frozenset(targets)


def _nodes(value: Any, key: str) -> Iterator[tuple[str, Any]]:
    yield key, value
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for name, item in items:
        yield from _nodes(item, f"{key}.{name}" if key else str(name))


def check_stored_config(config: Any, source: str, search_path: Sequence[str] = ()) -> None:
    """Raise UndeclaredTarget, naming the key and the target, when `config` (plain containers read from `source`)
    names a `_target_` that neither ganlab's configs nor the `search_path` folders declare, or holds an
    interpolation. Nothing is imported on the way."""
    declared = declared_targets(tuple(search_path))
    for key, value in _nodes(config, ""):
        if isinstance(value, str) and "${" in value:
            raise UndeclaredTarget(
                f"{source}: {key} = {value!r} is an interpolation, and a stored config is saved resolved: refused "
                "unread (resolvers run code)"
            )
        target = value.get("_target_") if isinstance(value, dict) else None
        if target is not None and target not in declared:
            where = f"{key}._target_" if key else "_target_"
            raise UndeclaredTarget(
                f"{source}: {where} = {target!r} is not declared by ganlab's configs or your config folders "
                "(hydra.searchpath), so it is not imported or called; add the folder of the YAML that names it with "
                "'hydra.searchpath=[file://<folder>]', or, for a file you trust, trust_checkpoint=true"
            )
