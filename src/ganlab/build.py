"""From a composed config to the objects of one run: datamodule, GANModule, Trainer.

Every object comes from its config node's `_target_`. A constructor that refuses its arguments ends the
run here, before training, as a ConfigError naming the config key; a bug elsewhere keeps its traceback.
Tricks that need code are the nodes under `trick:` that have a `_target_` (see `ganlab.tricks.base`).
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch
from hydra.errors import InstantiationException
from hydra.utils import instantiate
from lightning_fabric.utilities.exceptions import MisconfigurationException
from omegaconf import DictConfig, OmegaConf

from ganlab.atomic_files import write_text_atomically
from ganlab.callbacks.evaluation import Evaluation
from ganlab.errors import ConfigError, InvalidValue
from ganlab.iterations import steps_of
from ganlab.lifecycle.attach import lifecycle_callbacks
from ganlab.lightning_fastpath.install import trainer_arguments
from ganlab.models.activations import output_range
from ganlab.module import GANModule
from ganlab.score_names import score_column
from ganlab.tricks.base import Trick
from ganlab.validate import several_devices_problem
from ganlab.wandb_logger import RunEndingWandbLogger

log = logging.getLogger(__name__)

# What a constructor raises when it is handed a bad value, an unknown name or an unusable setting.
_CONFIG_FAULTS = (ValueError, TypeError, ImportError, MisconfigurationException)
_PLAIN_INTERPOLATION = re.compile(r"^\$\{([A-Za-z_][\w.]*)\}$")


def _source_key(node: DictConfig, key: str, name: str) -> str:
    """The config key a user sets for argument `name` of `node` (at `key`): the key an absolute
    interpolation reads from (trick.instance_noise.std: ${trick.instance_noise_std}), else key.name."""
    raw = OmegaConf.to_container(node, resolve=False).get(name)
    match = _PLAIN_INTERPOLATION.match(raw) if isinstance(raw, str) else None
    return match.group(1) if match else f"{key}.{name}"


def _config_error(node: DictConfig, key: str, cause: BaseException) -> ConfigError:
    if isinstance(cause, InvalidValue):
        return ConfigError(f"{_source_key(node, key, cause.name)} = {cause.value!r}: must be {cause.allowed}")
    return ConfigError(f"{key}: {cause}")


def _instantiate(node: DictConfig, key: str, **kwargs: Any) -> Any:
    try:
        return instantiate(node, **kwargs)
    except InstantiationException as error:
        cause = error.__cause__
        if cause is None or isinstance(cause, _CONFIG_FAULTS):
            raise _config_error(node, key, cause or error) from error
        raise
    except _CONFIG_FAULTS as error:
        raise _config_error(node, key, error) from error


def build_tricks(cfg: DictConfig) -> dict[str, Trick]:
    """The tricks that need code: every node under `trick:` with a `_target_`, by name, in config order."""
    tricks = {}
    for name, node in (cfg.get("trick") or {}).items():
        if isinstance(node, DictConfig) and "_target_" in node:
            tricks[name] = _instantiate(node, f"trick.{name}")
            if not isinstance(tricks[name], Trick):
                raise ConfigError(
                    f"trick.{name}: {node._target_} is not a ganlab.tricks.base.Trick; a trick that needs code "
                    "subclasses it (see docs/architecture.md)"
                )
    return tricks


def build_datamodule(cfg: DictConfig) -> pl.LightningDataModule:
    """The datamodule, set up, with real data scaled to the range of the generator's output activation; under
    data.limit the images training sees are recorded in the run directory."""
    datamodule = make_datamodule(cfg)
    record_subset(datamodule, cfg)
    return datamodule


def make_datamodule(cfg: DictConfig) -> pl.LightningDataModule:
    """The datamodule of build_datamodule, set up, writing nothing into the run directory."""
    activation = OmegaConf.select(cfg, "model.generator.output_activation")
    if activation is None:
        raise ConfigError("model.generator.output_activation is required: it decides how the data are scaled")
    try:
        value_range = output_range(activation)
    except ValueError as error:
        raise ConfigError(f"model.generator.output_activation: {error}") from error
    datamodule = _instantiate(cfg.data, "data", value_range=value_range)
    try:
        datamodule.prepare_data()
        datamodule.setup("fit")
    except InvalidValue as error:  # a value the data set's size decides, such as data.limit
        raise _config_error(cfg.data, "data", error) from error
    except (ValueError, OSError) as error:
        raise ConfigError(f"data: {error}") from error
    return datamodule


def record_subset(datamodule: pl.LightningDataModule, cfg: DictConfig) -> None:
    """Under data.limit, the images training sees, in <run>/data_subset.json and train.log."""
    chosen = getattr(datamodule, "training_indices", None)
    if chosen is None:
        chosen = getattr(datamodule, "pool_indices", None)  # the toy curve: a pool of points, not images
    if chosen is None:
        return
    record = {"limit": cfg.data.limit, "seed": cfg.seed, "count": len(chosen), "indices": chosen.tolist()}
    write_text_atomically(Path(cfg.paths.output_dir) / "data_subset.json", json.dumps(record) + "\n")
    log.info("training on %d of the data chosen by seed %d (data.limit=%s): data_subset.json", len(chosen), cfg.seed,
             cfg.data.limit)  # fmt: skip


def build_module(cfg: DictConfig, data_shape: tuple[int, ...]) -> GANModule:
    latent = _instantiate(cfg.model.latent, "model.latent")
    generator = _instantiate(cfg.model.generator, "model.generator", latent_dim=latent.dim, data_shape=data_shape)
    discriminator = _instantiate(cfg.model.discriminator, "model.discriminator", data_shape=data_shape)
    loss = _instantiate(cfg.loss, "loss")
    try:
        loss.check_discriminator(discriminator)
    except ValueError as error:
        raise ConfigError(f"loss: {error}") from error
    tricks = build_tricks(cfg)
    for name, trick in tricks.items():
        try:
            trick.check_data_shape(data_shape)
        except ValueError as error:
            raise ConfigError(f"trick.{name}: {error}") from error
    factories = {}
    for name, network in (("generator", generator), ("discriminator", discriminator)):
        factories[name] = _instantiate(cfg.optim[name], f"optim.{name}")
        try:  # torch checks lr, betas, eps, ... when an optimizer is made: make one now, not at step 1
            factories[name](network.parameters())
        except (ValueError, TypeError) as error:
            raise ConfigError(f"optim.{name}: {error}") from error
    compile_options = None
    if cfg.get("compile") and cfg.compile.enabled:
        compile_options = {key: value for key, value in OmegaConf.to_container(cfg.compile).items() if key != "enabled"}
        # torch's backends for use, less CUDA graphs (see COMPILE_MODES), and two that check that the networks trace
        backends = [name for name in torch._dynamo.list_backends() if name != "cudagraphs"] + ["eager", "aot_eager"]
        if (backend := compile_options.get("backend")) not in backends:
            raise ConfigError(f"compile.backend = {backend!r}: must be one of {', '.join(backends)}")
        try:  # torch checks its arguments together now, not when training starts
            torch.compile(torch.nn.Identity(), **compile_options)
        except (RuntimeError, TypeError) as error:
            raise ConfigError(f"compile: {error}") from error
    return GANModule(
        generator=generator,
        discriminator=discriminator,
        loss=loss,
        latent=latent,
        generator_optimizer=factories["generator"],
        discriminator_optimizer=factories["discriminator"],
        d_steps=cfg.d_steps,
        g_steps=cfg.g_steps,
        tricks=tricks,
        data_shape=data_shape,
        config=OmegaConf.to_container(cfg, resolve=True),
        compile_options=compile_options,
        channels_last=bool(cfg.get("channels_last", False)),
        reuse_noise=bool(cfg.get("reuse_noise", False)),
    )


def build_evaluation(cfg: DictConfig, datamodule: pl.LightningDataModule) -> Evaluation | None:
    """The metric's Evaluation callback, its scores ready (classifier trained or read, weights found);
    None with metric=none."""
    if not cfg.get("metric"):
        return None
    evaluation = _instantiate(cfg.metric, "metric")
    try:
        # building a feature network draws its initial weights from the global RNG: keep training's draws
        with torch.random.fork_rng():
            evaluation.prepare(datamodule=datamodule, data_config=OmegaConf.to_container(cfg.data, resolve=True))
    except (ValueError, OSError) as error:
        raise ConfigError(f"metric: {error}") from error
    primary = OmegaConf.select(cfg, "report.primary_score")
    scores = evaluation.score_directions
    if primary and scores and score_column(primary) not in scores:  # a study's hours for nothing
        raise ConfigError(f"report.primary_score = {primary!r}: this run's metric scores {', '.join(scores)}")
    return evaluation


def build_observers(
    cfg: DictConfig, evaluation: Evaluation | None = None
) -> tuple[list[pl.loggers.Logger], list[pl.Callback]]:
    """The run's loggers and callbacks: the metric's Evaluation, the observers of `callbacks:` and the lifecycle."""
    # an entry set to null (callbacks.samples=null) switches that logger or callback off
    loggers = [_instantiate(node, f"logger.{name}") for name, node in cfg.logger.items() if node is not None]
    for logger in loggers:  # W&B's summary of each score: its best, by the direction its metric declares
        if isinstance(logger, RunEndingWandbLogger) and evaluation is not None:
            logger.follow_directions(evaluation.score_directions)
    callbacks = [_instantiate(node, f"callbacks.{name}") for name, node in cfg.callbacks.items() if node is not None]
    # the evaluation first: its end-of-training scores come before the pictures and curves that show them;
    # None entries are factories that declined (no progress bar when trainer.enable_progress_bar=false); the
    # lifecycle last, always: status.json's final record comes after every observer has had its say
    callbacks = [callback for callback in [evaluation, *callbacks] if callback is not None]
    return loggers, callbacks + lifecycle_callbacks(cfg)


def build_trainer(cfg: DictConfig, module: GANModule, evaluation: Evaluation | None = None) -> pl.Trainer:
    """The Trainer, with `trainer.max_steps` read as training iterations (see GANModule)."""
    if cfg.trainer.get("accelerator") in ("gpu", "cuda") and not torch.cuda.is_available():
        raise ConfigError(
            f"trainer.accelerator = {cfg.trainer.accelerator!r}: torch sees no CUDA GPU on this machine "
            "(torch.cuda.is_available() is False); use trainer=cpu, or trainer=default to take a GPU when there is one"
        )
    loggers, callbacks = build_observers(cfg, evaluation)
    trainer = _instantiate(
        cfg.trainer,
        "trainer",
        logger=loggers,
        max_steps=steps_of(cfg.trainer.max_steps, module.optimizer_steps_per_iteration),
        **trainer_arguments(callbacks, cfg.trainer.get("profiler")),  # the callbacks and profiler, made cheaper
    )
    # trainer.devices=-1 or auto on a machine with several GPUs: counted only now (ganlab.validate counts the rest)
    devices, strategy = cfg.trainer.get("devices", "auto"), cfg.trainer.get("strategy", "auto")  # Lightning's defaults
    strategy = strategy if isinstance(strategy, str) else trainer.strategy  # a `_target_` node: the object built
    if problem := several_devices_problem(devices, strategy, trainer.num_devices * trainer.num_nodes):
        raise ConfigError(problem)
    return trainer


def build_run(cfg: DictConfig) -> tuple[pl.LightningDataModule, GANModule, pl.Trainer]:
    datamodule = build_datamodule(cfg)
    module = build_module(cfg, datamodule.data_shape)
    return datamodule, module, build_trainer(cfg, module, build_evaluation(cfg, datamodule))
