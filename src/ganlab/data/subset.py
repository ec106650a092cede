"""`data.limit`: training on part of a data set (the little-data regime of the KTH report's 5000 horses).

A count, or a fraction in (0, 1], of the data set's images, chosen by the run's seed: every cell of a sweep
that shares a seed trains on the same images, and another seed draws another subset. Only training sees the
subset; the real-data reference the metrics read scores against stays drawn from the whole data set, and the
domain classifier is the whole data set's (ganlab.run_identity keeps `limit` out of their caches' keys).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ganlab.errors import InvalidValue
from ganlab.value_checks import is_int, is_number


def subset_size(limit: int | float | None, total: int) -> int | None:
    """How many of `total` images `limit` keeps (None: all, no subset); InvalidValue for a limit out of range."""
    if limit is None:
        return None
    allowed = f"a count from 1 to the data set's {total} images, or a fraction in (0, 1]"
    if is_int(limit) and 1 <= limit <= total:
        return int(limit)
    if is_number(limit) and not is_int(limit) and 0 < limit <= 1:
        return max(1, math.ceil(limit * total))
    raise InvalidValue("limit", limit, allowed)


def subset_indices(total: int, limit: int | float | None, seed: int) -> torch.Tensor | None:
    """The sorted indices of the kept images (None: all of them), a function of (seed, total, limit) alone;
    drawn from a stream of their own, apart from the one that orders batches and picks the reference."""
    count = subset_size(limit, total)
    if count is None:
        return None
    state = np.random.SeedSequence([int(seed), 0x5E7]).generate_state(1, dtype=np.uint64)[0]
    chosen = torch.randperm(total, generator=torch.Generator().manual_seed(int(state)))[:count]
    return chosen.sort().values
