"""Nested config dicts as flat {dotted.key: value} maps: how runs and checkpoints are compared key by key."""

from __future__ import annotations

from typing import Any


def flatten(node: Any, prefix: str = "") -> dict[str, Any]:
    """{"model.generator.hidden": [256], ...} for a nested dict; lists are values, not descended into."""
    if not isinstance(node, dict):
        return {prefix: node}
    flat: dict[str, Any] = {}
    for key, value in node.items():
        flat.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    return flat
