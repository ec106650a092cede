"""Which config keys make a run what it is: the one place that resume, the report and the caches read.

A key under `data:` or `metric:` is part of a run's identity unless it is named below as one that says only
where, how fast or how often something is read; so a new key (a data set's option, a metric's setting) counts
everywhere at once, and a key that must not count is named here, once.

- `training_identity`: what a checkpoint must agree on to be continued (ganlab.lifecycle.plan): every key of
  the groups that define training (`data.limit` among them), except where the data set lives (a requeued job
  may run on another node) and the evaluation limit's copy, which only sizes a domain classifier still to be
  trained;
- `score_setting`: what a score's value depends on besides the generator and the feature network (ganlab.report
  groups runs by it and by the network's recorded hash, the yardstick; `data.limit` is not part of it: the
  scores of every data size are read against the whole data set, and a sweep over `data.limit` is an axis of
  cells to compare);
- `data_selection`: which images a data config chooses (the domain classifier and reference caches' key).

Light: no torch, no Lightning (the report imports it).
"""

from __future__ import annotations

from typing import Any

from ganlab.dotted_keys import flatten

# the top-level keys that define what a run trains
TRAINING_GROUPS = ("model", "data", "loss", "trick", "optim", "metric", "d_steps", "g_steps", "reuse_noise", "seed")
# keys added to ganlab after runs were made without them, with the value those runs trained with: a checkpoint
# written before a key existed is read as having it (a run of 2026-12-04 did not reuse noise, and was scored by a
# classifier trained on its machine: it resumes with metric.scores.pinned=false, its curve on one yardstick)
LATER_KEYS = {"reuse_noise": False, "metric.scores.pinned": False}
# data keys that say where the files are, not which data they hold
DATA_LOCATION_KEYS = ("root", "download")
# data keys that say how the images are served to training, not which images the data set holds: the scores'
# reference and the domain classifier are the whole data set's, whatever part of it training sees (`limit`)
DATA_SERVING_KEYS = (
    *DATA_LOCATION_KEYS, "batch_size", "seed", "num_workers", "in_memory_limit_mb", "value_range", "limit"
)
# metric keys that say how often or in what chunks it runs, not what it measures
METRIC_SCHEDULE_KEYS = ("every_n_steps", "batch_size", "seed", "scores.evaluation_limit")
# whether the shipped classifier is used: the report groups runs by the network's recorded hash (the yardstick)
# instead, so a run of an older ganlab rescored onto the pinned classifier joins the runs trained on it
METRIC_NETWORK_KEYS = ("scores.pinned",)


def training_identity(config: dict[str, Any]) -> dict[str, Any]:
    """{dotted key: value} of what a checkpoint's config must match for a run to continue from it."""
    ignored = {f"data.{key}" for key in DATA_LOCATION_KEYS} | {"metric.scores.evaluation_limit"}
    return {
        key: value for key, value in flatten({**LATER_KEYS, **config}).items()
        if key.split(".")[0] in TRAINING_GROUPS and key not in ignored
    }  # fmt: skip


def score_setting(config: dict[str, Any]) -> dict[str, Any]:
    """{dotted key: value} of the metric's settings and the data a score is measured against."""
    metric = config.get("metric") or {}
    ignored = METRIC_SCHEDULE_KEYS + METRIC_NETWORK_KEYS
    setting = {f"metric.{key}": value for key, value in flatten(metric).items() if key not in ignored}
    setting.update({f"data.{key}": value for key, value in data_selection(config.get("data") or {}).items()})
    # how many samples an evaluation draws; unset, null and 1.0 all mean every one of them
    limit = (config.get("trainer") or {}).get("limit_val_batches")
    if limit is not None and not (isinstance(limit, float) and limit == 1.0):
        setting["trainer.limit_val_batches"] = limit
    return setting


def data_selection(data_config: dict[str, Any]) -> dict[str, Any]:
    """The data config's keys that choose which images there are (dotted below its top level)."""
    return {key: value for key, value in flatten(data_config).items() if key not in DATA_SERVING_KEYS}
