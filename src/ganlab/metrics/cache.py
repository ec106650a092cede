"""Names of the files cached per data set (domain classifiers, real-data references)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

# keys of a data config that change how images are served, not which images there are
SERVING_KEYS = {"batch_size", "seed", "download", "num_workers", "in_memory_limit_mb", "value_range"}


def data_set_key(data_config: dict[str, Any], ignore: tuple[str, ...] = ()) -> str:
    """'<DataModule>-<digest>': the data module's class and a digest of the keys that select its images."""
    selecting = {k: v for k, v in data_config.items() if k not in SERVING_KEYS and k not in ignore}
    digest = hashlib.sha1(json.dumps(selecting, sort_keys=True, default=str).encode()).hexdigest()[:10]
    return f"{data_config['_target_'].rsplit('.', 1)[-1]}-{digest}"
