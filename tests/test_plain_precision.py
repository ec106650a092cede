"""At 32 bits the optimizer step skips `on_before_optimizer_step` dispatch only where nothing implements it."""

from types import SimpleNamespace

import pytest
import pytorch_lightning as pl
from pytorch_lightning.plugins.precision import MixedPrecision

from ganlab.build import build_run
from ganlab.callbacks.group import CallbackGroup
from ganlab.module import GANModule
from ganlab.plain_precision import PlainPrecision, optimizer_step_hook_implemented
from tests.test_plain_backward import ITERATIONS, recorded_callback_hooks, train


class OptimizerStepHook(pl.Callback):
    def __init__(self) -> None:
        self.optimizers = []

    def on_before_optimizer_step(self, trainer, pl_module, optimizer) -> None:
        self.optimizers.append(type(optimizer).__name__)


class ModuleWithHook(GANModule):
    def on_before_optimizer_step(self, optimizer) -> None:
        pass


@pytest.mark.parametrize(
    ("module", "callbacks", "implemented"),
    [
        (GANModule, [], False),
        (GANModule, [CallbackGroup([pl.Callback(), pl.Callback()])], False),
        (ModuleWithHook, [], True),
        (GANModule, [OptimizerStepHook()], True),
        (GANModule, [CallbackGroup([pl.Callback(), OptimizerStepHook()])], True),  # a group's member counts
    ],
)
def test_the_hook_counts_as_implemented_by_the_module_or_any_callback(module, callbacks, implemented):
    trainer = SimpleNamespace(lightning_module=object.__new__(module), callbacks=callbacks)
    assert optimizer_step_hook_implemented(trainer) is implemented


@pytest.mark.parametrize(("precision", "plugin"), [("32-true", PlainPrecision), ("bf16-mixed", MixedPrecision)])
def test_only_32_bit_runs_get_the_plain_plugin(make_config, precision, plugin):
    _, _, trainer = build_run(make_config("trainer=debug", "metric=none", f"trainer.precision={precision}"))
    assert type(trainer.precision_plugin) is plugin


def test_a_callback_with_the_hook_gets_it_and_training_is_the_same_either_way(make_config, monkeypatch):
    dispatched = recorded_callback_hooks(monkeypatch)
    plain = train(make_config)
    assert "on_before_optimizer_step" not in dispatched  # nobody to call
    hook = OptimizerStepHook()
    through_lightning = train(make_config, hook)
    assert hook.optimizers == ["Adam"] * 2 * ITERATIONS  # before D's step and G's, every iteration
    assert through_lightning == plain  # the same losses, bit for bit


def test_each_fit_decides_anew(make_config):
    datamodule, module, trainer = build_run(make_config("trainer=debug", "metric=none", "trainer.max_steps=2"))
    trainer.fit(module, datamodule=datamodule)
    hook = OptimizerStepHook()
    trainer.callbacks.append(hook)
    trainer.fit_loop.epoch_loop.max_steps = 4 * module.optimizer_steps_per_iteration  # two iterations more
    trainer.fit(module, datamodule=datamodule)
    assert hook.optimizers == ["Adam"] * 2 * 2
