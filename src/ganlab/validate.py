"""Checks on the composed config that run before anything is built or trained.

Rules are keyed by glob patterns on dotted keys, so one rule covers every data set's `batch_size` and
every optimizer's `lr`. Interpolated values (`${...}`) are skipped: their source key is checked
instead, which keeps one mistake to one message. Each rule lives once: a value this table checks is not
checked again by the object it configures, and an object whose arguments no rule here covers (a trick,
a user's own class) checks them in its constructor and raises `InvalidValue`, which `ganlab.build` turns
into the same one-line message under the config key the value came from.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from fnmatch import fnmatchcase
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf

from ganlab.errors import ConfigError, InvalidValue  # noqa: F401 (InvalidValue: users' code imported it from here)
from ganlab.score_names import score_name
from ganlab.value_checks import THREAD_COUNT_ALLOWED, is_effect, is_int, is_number, is_share, is_thread_count


def _is_betas(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and len(value) == 2 and all(is_number(b) and 0 <= b < 1 for b in value)


# torch.compile's modes that train a GAN (None: its default). reduce-overhead and max-autotune capture CUDA graphs (as
# does the backend cudagraphs), which hand out the same output memory at every call, and an iteration calls D on
# the real and then the fake batch before its backward: torch refuses to read the first output (seen on an H100).
COMPILE_MODES = (None, "default", "max-autotune-no-cudagraphs")

# Lightning's precisions that ganlab trains under (with Lightning's aliases of them). The other *-true ones
# (16-true, bf16-true, 64-true) cast the networks' weights; ganlab's step builds float32 images and latents,
# and its scores' networks stay float32, so those runs stopped at the first layer with a dtype mismatch.
PRECISIONS = (None, "32-true", "32", 32, "16-mixed", "16", 16, "bf16-mixed", "bf16")

Rule = tuple[tuple[str, ...], Callable[[Any], bool], str]

RULES: list[Rule] = [
    (("seed",), lambda v: is_int(v) and v >= 0, "a non-negative integer"),
    (("cpu_threads",), is_thread_count, THREAD_COUNT_ALLOWED),
    (("d_steps", "g_steps"), lambda v: is_int(v) and v >= 1, "a positive integer (updates per iteration)"),
    (("reuse_noise",), lambda v: isinstance(v, bool), "true or false"),
    (("study.max_seeds",), lambda v: is_int(v) and v >= 2, "an integer >= 2 (seeds a cell at most)"),
    (("study.round",), lambda v: is_int(v) and v >= 1, "an integer >= 1 (new seeds a cell per round)"),
    (
        ("study.effect",),
        is_effect,
        "a P(better) in (0, 1) other than 0.5: the smallest effect of interest",
    ),
    (("*.batch_size",), lambda v: is_int(v) and v >= 1, "a positive integer"),
    (
        ("trainer.max_steps",),
        lambda v: is_int(v) and (v >= 1 or v == -1),
        "a positive number of iterations, or -1 to train for trainer.max_epochs instead",
    ),
    (
        ("trainer.max_epochs",),
        lambda v: v is None or (is_int(v) and (v >= 1 or v == -1)),
        "a positive number of epochs, -1 for no epoch limit (trainer.max_steps decides), or null (Lightning's "
        "default: no limit, or 1000 epochs when trainer.max_steps is -1 too)",
    ),
    (
        ("trainer.precision",),
        lambda v: v in PRECISIONS,
        "32-true (the default), bf16-mixed or 16-mixed; the 16-true, bf16-true and 64-true precisions, which cast "
        "the networks' weights, are not supported",
    ),
    # Lightning refuses both under manual optimization, once training starts: here they are refused first
    (
        ("trainer.accumulate_grad_batches",),
        lambda v: v == 1,
        "1: ganlab updates D and G by hand (Lightning's manual optimization), which Lightning's gradient "
        "accumulation does not support; a larger data.batch_size gives larger batches",
    ),
    (
        ("trainer.gradient_clip_val",),
        lambda v: v is None or v == 0,
        "null: Lightning clips gradients only under automatic optimization, and ganlab updates D and G by hand",
    ),
    (("trainer.log_every_n_steps",), lambda v: is_int(v) and v >= 1, "a positive integer (iterations per row)"),
    (("*.epochs",), lambda v: is_int(v) and v >= 1, "a positive integer"),
    (
        ("trainer.limit_val_batches", "metric.scores.evaluation_limit"),
        lambda v: v is None or (is_int(v) and v >= 0) or (isinstance(v, float) and 0 <= v <= 1),
        "a fraction in [0.0, 1.0] of each evaluation's samples, a whole number of batches (0: no evaluations), "
        "or null (all)",
    ),
    (("ckpt_path",), lambda v: v is None or isinstance(v, str), "null, last, a .ckpt file or a run directory"),
    (
        ("rerun_failed", "compile.enabled", "compile.fullgraph", "channels_last"),
        lambda v: isinstance(v, bool),
        "true or false",
    ),
    (
        ("compile.mode",),
        lambda v: v in COMPILE_MODES,
        "null (torch's default), default or max-autotune-no-cudagraphs; the CUDA-graph modes (reduce-overhead, "
        "max-autotune) reuse D's output memory between its calls on the real and the fake batch",
    ),
    (("compile.dynamic",), lambda v: v is None or isinstance(v, bool), "null, true or false"),
    (("lr", "*.lr"), lambda v: is_number(v) and v > 0, "a positive number"),
    (("*.betas",), _is_betas, "two numbers in [0, 1), e.g. [0.5, 0.999]"),
    (("*.momentum",), lambda v: is_number(v) and 0 <= v < 1, "a number in [0, 1)"),
    (("model.latent.dim",), lambda v: is_int(v) and v >= 1, "a positive integer"),
    (("model.*.dropout",), lambda v: is_number(v) and 0 <= v < 1, "a dropout rate in [0, 1)"),
    (
        ("report.primary_score",),
        lambda v: v is None or (isinstance(v, str) and score_name(v) and not v.startswith("val/real_")),
        "null (the metric's first score) or a score the run's metric logs, e.g. val/fid or classifier_fid",
    ),
    (
        ("report.margin",),
        lambda v: v is None or (is_number(v) and v > 0) or is_share(v),
        "null, a positive number in the primary score's units, or a share of the baseline's median such as '10%'",
    ),
    (
        ("optimized_metric",),
        lambda v: v is None or (isinstance(v, str) and v.startswith("val/") and not v.startswith("val/real_")),
        "null or a score the run's metric logs, e.g. val/classifier_score or val/fid",
    ),
]


def _leaves(cfg: DictConfig, prefix: str = "") -> Iterator[tuple[str, Any, bool]]:
    """(dotted key, value, is_missing) for every non-interpolated leaf."""
    for key in cfg.keys():
        full_key = f"{prefix}{key}"
        if OmegaConf.is_missing(cfg, key):
            yield full_key, None, True
        elif OmegaConf.is_interpolation(cfg, key):
            continue
        elif isinstance(node := cfg[key], DictConfig):
            yield from _leaves(node, full_key + ".")
        else:
            yield full_key, OmegaConf.to_container(node) if isinstance(node, ListConfig) else node, False


def problems(cfg: DictConfig) -> list[str]:
    """One line per broken rule or missing value: '<key> = <value>: must be <what is allowed>'."""
    found = []
    for key, value, missing in _leaves(cfg):
        if missing:
            found.append(f"{key} is required but has no value (???): set it on the command line, {key}=...")
            continue
        for patterns, ok, allowed in RULES:
            if any(fnmatchcase(key, pattern) for pattern in patterns) and not ok(value):
                found.append(f"{key} = {value!r}: must be {allowed}")
    max_steps, max_epochs = OmegaConf.select(cfg, "trainer.max_steps"), OmegaConf.select(cfg, "trainer.max_epochs")
    if (objective := cfg.get("optimized_metric")) and not cfg.get("metric"):
        found.append(f"optimized_metric = {objective!r}: the run has no metric (metric=none) to read it from")
    if max_steps == -1 and max_epochs == -1:
        found.append("trainer.max_steps = -1 and trainer.max_epochs = -1: training would never end; set one of them")
    devices = OmegaConf.select(cfg, "trainer.devices")
    if problem := several_devices_problem(devices, OmegaConf.select(cfg, "trainer.strategy", default="auto")):
        found.append(problem)
    return found


def several_devices_problem(devices: Any, strategy: Any, count: int | None = None) -> str | None:
    """The refusal of several devices under a strategy other than trainer=ddp's, or None. `strategy`: the name
    trainer.strategy gives, or the strategy object the Trainer built from a `_target_` node (ganlab.build);
    such a node itself is judged once built. `count`: how many devices Lightning resolved (ganlab.build);
    without it, what `devices` names before Lightning runs."""
    several = _several(devices) if count is None else count > 1
    if not several or isinstance(strategy, DictConfig):
        return None
    if isinstance(strategy, str):
        if "find_unused_parameters_true" in strategy:
            return None
        named = repr(strategy)
    else:  # Lightning's DDPStrategy(find_unused_parameters=True) keeps it among the arguments it hands DDP
        if getattr(strategy, "_ddp_kwargs", {}).get("find_unused_parameters") is True:
            return None
        named = f"{type(strategy).__name__} without find_unused_parameters: true"
    # D's update leaves G's weights without gradients and G's leaves D's: plain DDP stops at the first backward
    resolved = "" if count is None else f" ({count} devices here)"
    return (
        f"trainer.devices = {devices!r}{resolved} with trainer.strategy = {named}: several devices train "
        "through trainer=ddp (trainer=ddp trainer.devices=N), whose DDP strategy lets each update leave the other "
        "network without gradients"
    )


def _several(devices: Any) -> bool:
    """Whether trainer.devices names more than one device (-1 and auto depend on the machine: not counted)."""
    if isinstance(devices, (list, tuple, ListConfig)):
        return len(devices) > 1
    if isinstance(devices, str) and "," in devices:
        return len([part for part in devices.split(",") if part.strip()]) > 1
    if isinstance(devices, str) and devices.strip().isdigit():
        devices = int(devices)
    return is_int(devices) and devices > 1


def validate_config(cfg: DictConfig) -> None:
    """Raise ConfigError listing every problem found, or return None."""
    if found := problems(cfg):
        raise ConfigError(found)
