"""A run directory's files read as the report may trust them: each field checked against what ganlab writes.

A sweep directory is data. It may hold a file cut short by a full disk, a file edited by hand, a run of a newer
ganlab, or something else placed there. Each reader here returns plain values of the expected types, or raises
`Unreadable`. That message names the file and what is wrong with it, in one line. The report then leaves that
run out, lists it, and writes the rest.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import yaml

from ganlab.logged_columns import SAMPLE_COUNT
from ganlab.value_checks import is_effect, is_int, is_number, is_share

STATES = ("running", "completed", "diverged", "failed", "interrupted", "config_error")
DIRECTIONS = ("higher", "lower")


class Unreadable(ValueError):
    """A run file that cannot be read as ganlab writes it; the message says which file and why."""


def _text(path: Path, name: str) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise Unreadable(f"{name}: not UTF-8 text (byte {error.start})") from None
    except OSError as error:
        raise Unreadable(f"{name}: cannot be read ({error.strerror or error})") from None
    if not text.strip():
        raise Unreadable(f"{name}: empty")
    if "\x00" in text:
        raise Unreadable(f"{name}: holds NUL bytes (a file cut short or overwritten)")
    return text


def _yaml(path: Path, name: str) -> Any:
    try:
        return yaml.safe_load(_text(path, name))
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        line = f" at line {where.line + 1}" if where is not None else ""
        problem = getattr(error, "problem", None) or type(error).__name__
        raise Unreadable(f"{name}: not YAML{line} ({problem})") from None


def _kind(value: Any) -> str:
    return type(value).__name__


def read_config(path: Path) -> dict[str, Any]:
    """.hydra/config.yaml: a mapping whose `seed` is an integer, whose groups the report reads are mappings, and
    whose `report` settings are the kinds the report takes."""
    name = ".hydra/config.yaml"
    config = _yaml(path, name)
    if not isinstance(config, dict):
        raise Unreadable(f"{name}: a {_kind(config)}, not a mapping of settings")
    if not is_int(config.get("seed")):
        raise Unreadable(f"{name}: seed = {config.get('seed')!r}, not an integer")
    for group in ("metric", "data", "trainer", "report", "study"):
        if config.get(group) is not None and not isinstance(config[group], dict):
            raise Unreadable(f"{name}: {group} is a {_kind(config[group])}, not a mapping")
    report = config.get("report") or {}
    primary, margin = report.get("primary_score"), report.get("margin")
    if primary is not None and not isinstance(primary, str):
        raise Unreadable(f"{name}: report.primary_score = {primary!r}, not a score's name")
    if margin is not None and not ((is_number(margin) and margin > 0) or is_share(margin)):
        raise Unreadable(f"{name}: report.margin = {margin!r}, not a positive number or a share such as 10%")
    study = config.get("study") or {}
    effect, most = study.get("effect"), study.get("max_seeds")
    if effect is not None and not is_effect(effect):
        raise Unreadable(f"{name}: study.effect = {effect!r}, not a P(better) in (0, 1) other than 0.5")
    if most is not None and not (is_int(most) and most >= 2):
        raise Unreadable(f"{name}: study.max_seeds = {most!r}, not an integer >= 2")
    return config


def read_overrides(path: Path) -> list[str]:
    """.hydra/overrides.yaml: a list of `key=value` strings (none when the file is absent)."""
    name = ".hydra/overrides.yaml"
    if not path.is_file():
        return []
    overrides = _yaml(path, name) if path.read_bytes().strip() else []
    if not isinstance(overrides, list) or not all(isinstance(item, str) and "=" in item for item in overrides):
        raise Unreadable(f"{name}: {overrides!r} is not a list of key=value overrides")
    return overrides


# status.json's fields the report reads, and the check each value passes (what ganlab.lifecycle writes)
_STATUS_FIELDS = {
    "status": (lambda value: value in STATES, f"one of {', '.join(STATES)}"),
    "updated": (lambda value: isinstance(value, str), "a time"),
    "iteration": (lambda value: is_int(value) and value >= 0, "an integer >= 0"),
    "max_iterations": (is_int, "an integer"),
    "overrides": (lambda value: isinstance(value, list) and all(isinstance(item, str) for item in value), "a list"),
    "better": (
        lambda value: isinstance(value, dict) and all(way in DIRECTIONS for way in value.values()),
        "a mapping of scores to higher or lower",
    ),
    "findings": (
        lambda value: (
            isinstance(value, list)
            and all(isinstance(item, dict) and {"finding", "iteration", "detail"} <= item.keys() for item in value)
        ),
        "a list of findings, each with its finding, iteration and detail",
    ),
    "environment": (lambda value: isinstance(value, dict), "a mapping"),
    "yardstick": (
        lambda value: isinstance(value, dict) and isinstance(value.get("id"), str),
        "a mapping with the yardstick's id",
    ),
    "error": (lambda value: isinstance(value, str), "a message"),
    "reason": (lambda value: isinstance(value, str), "a message"),
}


def _record(path: Path) -> dict[str, Any]:
    """A JSON file holding one record (status.json, final_scores.json)."""
    try:
        record = json.loads(_text(path, path.name))
    except json.JSONDecodeError as error:
        raise Unreadable(f"{path.name}: not JSON ({error.msg} at line {error.lineno})") from None
    if not isinstance(record, dict):
        raise Unreadable(f"{path.name}: a {_kind(record)}, not a record")
    return record


def read_status(path: Path) -> dict[str, Any]:
    """status.json, its fields checked; {} when the run wrote none (stopped before training)."""
    if not path.is_file():
        return {}
    status = _record(path)
    if "status" not in status:
        raise Unreadable("status.json: no status field")
    for key, (check, allowed) in _STATUS_FIELDS.items():
        if key in status and not check(status[key]):
            raise Unreadable(f"status.json: {key} = {_short(status[key])}, not {allowed}")
    return status


def read_metrics(path: Path) -> tuple[dict[str, list[tuple[int, float]]], dict[str, list[int | None]]]:
    """metrics.csv as ({column: [(step, value)]} in ganlab.logged_columns' layout, {column: [the sample count of
    each value's row (val/samples), None where the row does not say]}), every step an integer and every value a
    number; empty when there is no file."""
    if not path.is_file():
        return {}, {}
    text = _text(path, "metrics.csv")
    columns: dict[str, list[tuple[int, float]]] = {}
    sizes: dict[str, list[int | None]] = {}
    reader = csv.DictReader(text.splitlines())
    try:
        if not reader.fieldnames or "step" not in reader.fieldnames:
            raise Unreadable(f"metrics.csv: no step column in its header ({_short(text.splitlines()[0])})")
        for row in reader:
            if None in row:  # more cells than the header names
                raise Unreadable(f"metrics.csv: line {reader.line_num} has more cells than the header")
            step = _number(row["step"], reader.line_num, "step")
            if not (step.is_integer() and step >= 0):
                raise Unreadable(f"metrics.csv: line {reader.line_num}: step {row['step']!r} is not an iteration")
            count = row.get(SAMPLE_COUNT)
            count = int(_number(count, reader.line_num, SAMPLE_COUNT)) if count not in ("", None) else None
            for key, value in row.items():
                if key not in ("step", "epoch") and value not in ("", None):
                    columns.setdefault(key, []).append((int(step), _number(value, reader.line_num, key)))
                    sizes.setdefault(key, []).append(count)
    except csv.Error as error:
        raise Unreadable(f"metrics.csv: line {reader.line_num}: {error}") from None
    return columns, sizes


def read_final_scores(path: Path) -> dict[str, Any]:
    """final_scores.json (ganlab.lifecycle.status, ganlab.rescore): the final evaluation's iteration, sample
    sizes, yardstick, scores and real-data scores, checked; {} when the run has none (a run of ganlab before
    2026-12-05, or one that did not complete)."""
    name = path.name
    if not path.is_file():
        return {}
    record = _record(path)
    for key in ("iteration", "samples", "real_samples"):
        if not (is_int(record.get(key)) and record[key] >= 0):
            raise Unreadable(f"{name}: {key} = {_short(record.get(key))}, not an integer >= 0")
    if not _STATUS_FIELDS["yardstick"][0](record.get("yardstick")):
        raise Unreadable(f"{name}: yardstick = {_short(record.get('yardstick'))}, not a mapping with its id")
    for key in ("scores", "real"):
        values = record.get(key)
        if not (isinstance(values, dict) and all(is_number(value) for value in values.values())):
            raise Unreadable(f"{name}: {key} = {_short(values)}, not a mapping of scores to numbers")
    return record


def _number(text: str, line: int, column: str) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        raise Unreadable(f"metrics.csv: line {line}: {column} = {_short(text)}, not a number") from None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
