"""The yardstick a run's scores are measured with, named by the SHA-256 of its feature network's weights file.

A learned feature network decides every FID, KID and precision a run reports. A domain classifier is named by
the hash of its weights, Inception by the hash of torch-fidelity's weights file. Two domain classifiers trained
from the same data with different CPU thread counts scored the same seeds' FIDs 0.94x to 1.13x apart, as far
apart as the effects a study calls worse. So every run records the id of the network it was scored with
(status.json and final_scores.json). The report compares only runs that share a yardstick, as torch-fidelity
and clean-fid pin their Inception weights by hash.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import torch

# the toy curve's scores are computed from the points and the curve alone: no weights to pin
TOY = {"id": "toy", "network": "none (distances computed from the points and the curve)", "sha256": None}


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def weights_sha256(state_dict: dict[str, Any]) -> str:
    """The SHA-256 of a network's weights: each tensor's name, dtype, shape and bytes, in name order. Not the
    file's: torch.save's bytes also hold the name the file was written under and a random serialization id, so
    the same weights saved twice differ as files."""
    digest = hashlib.sha256()
    for name in sorted(state_dict):
        tensor = state_dict[name].detach().cpu().contiguous()
        digest.update(f"{name}|{tensor.dtype}|{tuple(tensor.shape)}|".encode())
        digest.update(tensor.view(-1).view(torch.uint8).numpy().tobytes() if tensor.numel() else b"")
    return digest.hexdigest()


def network_yardstick(network: str, path: str | Path, sha256: str, pinned: bool = False) -> dict[str, Any]:
    """{"id": "<network>-<first 16 hex digits>", "network", "sha256", "file", "pinned"}."""
    return {"id": f"{network}-{sha256[:16]}", "network": network, "sha256": sha256, "file": str(path), "pinned": pinned}
