"""SeedRuns: the one callback of a pack's Trainer, which hands every hook on to each seed's own observers.

Lightning calls the pack's hooks once; each seed's callbacks are called in turn with the seed's `SeedTrainer` and
its GANModule, and a batch hook with the seed's own batch, so each observes its run as it would alone. A seed
whose run ends early (a divergence guard's `Diverged`, or any error of its observers) is told so through its
callbacks' `on_exception` (its status.json says how it ended), taken out of the hooks, and frozen in the pack
(`PackedGANModule.stop_seed`); the other seeds go on. Checkpoints are the seeds' own: the pack saves none.

The pack's Trainer has no loggers; each seed's are given what Lightning gives a run's: its hyperparameters (the
resolved config: hparams.yaml, the W&B run's config) as its fit starts, and `finalize` when its run ends,
"success" after the teardown hooks, "failed" when it ended early or with the pack (a W&B run is finished there).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import pytorch_lightning as pl
from pytorch_lightning.callbacks import Callback

from ganlab.lightning_fastpath.callback_group import HOOKS, hook_methods
from ganlab.packing.seed_trainer import SeedTrainer

log = logging.getLogger(__name__)

# the seed whose observers are running (its index in the pack); None between them. A run's log lines go to the
# train.log of the seed that wrote them, the pack's own lines to every seed's (ganlab.packing.seed_logs)
current_seed: ContextVar[int | None] = ContextVar("current_seed", default=None)

# hooks that carry the batch, and where in their arguments it is
_BATCH_ARGUMENT = {"on_train_batch_start": 0, "on_train_batch_end": 1}
# the pack has no checkpoint of its own; SeedTrainer.save_checkpoint calls each seed's hooks for its own
_NOT_HANDED_ON = ("on_save_checkpoint", "on_load_checkpoint", "on_exception")
# hooks at which the seed's module has work of its own (below), whether or not its callbacks implement them
_MODULE_WORK = ("on_fit_start", "on_train_end", "on_train_batch_end")


@contextmanager
def seed_context(index: int, hydra_config: Any = None) -> Iterator[None]:
    """While seed `index`'s run is built or observed: its log lines go to its own train.log, and Hydra's job config
    is its job's (status.json records the job's overrides). Swapped by assignment, as Hydra's run_job puts it back:
    a hook runs K times an iteration."""
    from hydra.core.hydra_config import HydraConfig

    token, hydra = current_seed.set(index), HydraConfig.instance()
    pack_config = hydra.cfg
    if hydra_config is not None:
        hydra.cfg = hydra_config
    try:
        yield
    finally:
        hydra.cfg = pack_config
        current_seed.reset(token)


class SeedRuns(Callback):
    def __init__(self, seeds: list[SeedTrainer], stop_seed: Callable[[int], None]) -> None:
        self.seeds, self.stop_seed = seeds, stop_seed
        self.ended: dict[int, BaseException] = {}  # seeds whose runs ended early, with why
        # each hook's methods for each seed, found once: the hooks around an optimizer step would be handed to
        # K seeds at every step, and no observer implements most of them
        self.methods = {hook: {seed.index: hook_methods(seed.callbacks, hook) for seed in seeds} for hook in HOOKS}

    @property
    def running(self) -> list[SeedTrainer]:
        return [seed for seed in self.seeds if seed.index not in self.ended]

    def for_each_seed(self, work: Callable[[SeedTrainer], None]) -> None:
        """`work(seed)` for every running seed; a seed whose work raises ends there, the others go on."""
        for seed in self.running:
            with seed_context(seed.index, seed.hydra_config):
                try:
                    work(seed)
                except Exception as error:  # noqa: BLE001 (the seed's run ends; its status says why)
                    self.end_seed(seed, error)

    def end_seed(self, seed: SeedTrainer, error: BaseException) -> None:
        self.ended[seed.index] = error
        self.stop_seed(seed.index)
        log.error("ganlab: seed run %d ended: %s", seed.index, error)
        _record_end(seed, error)
        _finalize_loggers(seed, "failed")

    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.for_each_seed(_log_hyperparameters)
        self._hand_on("on_fit_start", trainer, pl_module)

    def teardown(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        self._hand_on("teardown", trainer, pl_module, stage)
        # Lightning calls this hook only when the fit succeeded
        self.for_each_seed(lambda seed: _finalize_loggers(seed, "success"))

    def _hand_on(
        self, hook: str, trainer: pl.Trainer, pl_module: pl.LightningModule, *args: Any, **kwargs: Any
    ) -> None:
        methods = self.methods[hook]
        if hook not in _MODULE_WORK and not any(methods.values()):
            return

        def call(seed: SeedTrainer) -> None:
            seed_args = list(args)
            if hook in _BATCH_ARGUMENT:
                seed_args[_BATCH_ARGUMENT[hook]] = args[_BATCH_ARGUMENT[hook]][seed.index]
            module = seed.lightning_module
            if hook == "on_fit_start":
                # Lightning has moved the pack to its device; the seed's module learns it (its `device`, which the
                # evaluation and pictures draw latents on) without a copy: its tensors are there already
                module.to(pl_module.device)
            elif hook == "on_train_end":  # the module's own end: its last rows reach the loggers first
                module.on_train_end()
            elif hook == "on_train_batch_end":
                losses = pl_module.latest_losses  # the pack's, one value per seed
                module.latest_losses = {key: values[seed.index] for key, values in losses.items()}
                if len(module.training_rows) >= module.training_rows.block:
                    module.write_training_rows()  # as GANModule writes them; a divergence found there ends this seed
            for method in methods[seed.index]:
                method(seed, seed.lightning_module, *seed_args, **kwargs)

        self.for_each_seed(call)

    def on_exception(self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception: BaseException) -> None:
        # the pack itself stopped (a signal, an error of the pack): every running seed's run ends with it
        for seed in self.running:
            with seed_context(seed.index, seed.hydra_config):
                _record_end(seed, exception)
                _finalize_loggers(seed, "failed")


def _record_end(seed: SeedTrainer, error: BaseException) -> None:
    """Each of the seed's callbacks told how its run ended (its status.json, its checkpoint on a signal); one that
    fails to is logged, and the others still are."""
    for callback in seed.callbacks:
        try:
            callback.on_exception(seed, seed.lightning_module, error)
        except Exception as reporting:  # noqa: BLE001
            log.error("ganlab: %s could not record seed run %d's end: %s", callback.state_key, seed.index, reporting)


def _log_hyperparameters(seed: SeedTrainer) -> None:
    """What Lightning logs to a run's loggers as its fit starts: the module's hyperparameters, then a save."""
    for logger in seed.loggers:
        logger.log_hyperparams(seed.lightning_module.hparams_initial)
        logger.save()


def _finalize_loggers(seed: SeedTrainer, status: str) -> None:
    for logger in seed.loggers:
        try:
            logger.finalize(status)
        except Exception as error:  # noqa: BLE001 (a logger that cannot close must not cost the other seeds)
            log.error("ganlab: a logger of seed run %d could not finish: %s", seed.index, error)


def _handing_on(hook: str) -> Callable[..., None]:
    def hand_on(self: SeedRuns, trainer: pl.Trainer, pl_module: pl.LightningModule, *args: Any, **kwargs: Any) -> None:
        self._hand_on(hook, trainer, pl_module, *args, **kwargs)

    hand_on.__name__ = hand_on.__qualname__ = hook
    return hand_on


for _hook in HOOKS:
    if _hook not in _NOT_HANDED_ON and _hook not in vars(SeedRuns):
        setattr(SeedRuns, _hook, _handing_on(_hook))
