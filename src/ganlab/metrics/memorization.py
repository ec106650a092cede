"""Does the generator copy its training images? (Stein et al. 2023 found models that memorize CIFAR-10 while
IS, FID and KID do not notice.)

Each generated sample's distance to its nearest training image is read against how close an image the
generator has never seen comes to the training set: the distances of held-out real images to their nearest
training image (a run under `data.limit` holds out the rest of the data set). Without held-out images, each
training image's distance to its nearest *other* training image stands in for it (a held-out image drawn from
the same data would land that close). A generated sample is a *copy* when it lies as close to a training
image as the 1st percentile of those distances, or closer: held-out images score about 1% by construction, a
generator that returns training images close to 100%. Distances are Euclidean, in chunks of `chunk` rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


def nearest(
    queries: torch.Tensor, references: torch.Tensor, chunk: int = 512, own_rows: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """(distance (Q,), index (Q,)) of each query row's nearest reference row; `own_rows` (Q,): the reference
    row each query is (the queries were drawn from the references), which does not count as its neighbour."""
    distances, indices = [], []
    for start in range(0, len(queries), chunk):
        block = torch.cdist(queries[start : start + chunk], references)
        if own_rows is not None:
            block[torch.arange(len(block)), own_rows[start : start + chunk]] = torch.inf
        found = block.min(dim=1)
        distances.append(found.values)
        indices.append(found.indices)
    return torch.cat(distances), torch.cat(indices)


@dataclass
class CopyAudit:
    fraction: float  # of generated samples at most `threshold` from a training image
    threshold: float  # the `percentile`-th percentile of held-out (or leave-one-out) distances
    distances: torch.Tensor  # (G,): each generated sample's distance to its nearest training image
    nearest_training: torch.Tensor  # (G,): that image's index in the training set
    held_out: bool  # whether real held-out images set the threshold (else leave-one-out training distances)


def audit_copies(
    generated: torch.Tensor,
    training: torch.Tensor,
    held_out: torch.Tensor | None = None,
    percentile: float = 1.0,
    chunk: int = 512,
    reference_count: int = 2000,
) -> CopyAudit:
    """The copy audit of `generated` (G, D) against `training` (T, D), the threshold from `held_out` (H, D)
    when given, else from the training set's leave-one-out nearest-neighbour distances; either from a seeded
    `reference_count` of them at most (the cost grows with queries x training images)."""
    generated, training = generated.flatten(1).float(), training.flatten(1).float()
    choose = torch.Generator().manual_seed(0)
    if held_out is not None and len(held_out):
        rows = torch.randperm(len(held_out), generator=choose)[:reference_count]
        reference, _ = nearest(held_out.flatten(1).float()[rows], training, chunk)
    else:
        rows = torch.randperm(len(training), generator=choose)[:reference_count]
        reference, _ = nearest(training[rows], training, chunk, own_rows=rows)
    threshold = torch.quantile(reference.double(), percentile / 100).item()
    distances, indices = nearest(generated, training, chunk)
    return CopyAudit(
        fraction=(distances <= threshold).float().mean().item(),
        threshold=threshold,
        distances=distances,
        nearest_training=indices,
        held_out=held_out is not None and len(held_out) > 0,
    )
