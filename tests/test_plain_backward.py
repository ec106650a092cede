"""GANModule calls loss.backward() itself only where Lightning's manual_backward would add nothing to it."""

from types import SimpleNamespace

import pytest
import pytorch_lightning as pl
import torch
from pytorch_lightning.plugins.precision import MixedPrecision, Precision
from pytorch_lightning.strategies import DDPStrategy, SingleDeviceStrategy
from pytorch_lightning.trainer import call

from ganlab.build import build_run
from ganlab.callbacks.group import CallbackGroup
from ganlab.module import GANModule
from ganlab.plain_backward import lightning_backward_is_plain
from ganlab.plain_precision import PlainPrecision

ITERATIONS = 3


class BackwardHooks(pl.Callback):
    def __init__(self) -> None:
        self.calls = []

    def on_before_backward(self, trainer, pl_module, loss) -> None:
        self.calls.append("before")

    def on_after_backward(self, trainer, pl_module) -> None:
        self.calls.append("after")


class ModuleWithHook(GANModule):
    def on_after_backward(self) -> None:
        pass


def trainer_like(strategy=None, precision=None, module=None, callbacks=()):
    module = module or object.__new__(GANModule)
    strategy = strategy or SingleDeviceStrategy(device=torch.device("cpu"))
    return SimpleNamespace(
        strategy=strategy, precision_plugin=precision or Precision(), lightning_module=module, callbacks=list(callbacks)
    )


@pytest.mark.parametrize(
    ("setting", "plain"),
    [
        ({}, True),
        ({"precision": PlainPrecision()}, True),  # ganlab's 32-bit plugin changes only the optimizer step
        ({"callbacks": [CallbackGroup([pl.Callback(), pl.Callback()])]}, True),
        ({"precision": MixedPrecision("bf16-mixed", "cpu")}, False),  # autocast and, at 16-mixed, loss scaling
        ({"strategy": DDPStrategy()}, False),  # DDP prepares its gradient reduction there
        ({"module": object.__new__(ModuleWithHook)}, False),
        ({"callbacks": [BackwardHooks()]}, False),
        ({"callbacks": [CallbackGroup([pl.Callback(), BackwardHooks()])]}, False),  # a group's member counts
    ],
)
def test_backward_is_plain_only_on_one_device_at_32_bits_with_no_backward_hook_anywhere(setting, plain):
    assert lightning_backward_is_plain(trainer_like(**setting)) is plain


def train(make_config, callback=None):
    pl.seed_everything(0)
    datamodule, module, trainer = build_run(
        make_config("trainer=debug", "metric=none", f"trainer.max_steps={ITERATIONS}")
    )
    losses = []

    class Losses(pl.Callback):
        def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
            losses.append({key: value.item() for key, value in pl_module.latest_losses.items()})

    trainer.callbacks.extend([Losses(), *([callback] if callback else [])])
    trainer.fit(module, datamodule=datamodule)
    return losses


def recorded_callback_hooks(monkeypatch) -> list[str]:
    """The names of the hooks Lightning dispatches to the callbacks from now on, in order."""
    dispatched = []
    dispatch = call._call_callback_hooks
    monkeypatch.setattr(
        call,
        "_call_callback_hooks",
        lambda trainer, hook, *a, **k: dispatched.append(hook) or dispatch(trainer, hook, *a, **k),
    )
    return dispatched


def test_a_callback_with_backward_hooks_gets_them_and_training_is_the_same_either_way(make_config, monkeypatch):
    dispatched = recorded_callback_hooks(monkeypatch)
    plain = train(make_config)
    assert "on_before_backward" not in dispatched and "on_after_backward" not in dispatched  # nobody to call
    hooks = BackwardHooks()
    through_lightning = train(make_config, hooks)
    assert hooks.calls == ["before", "after"] * 2 * ITERATIONS  # D's update and G's, every iteration
    assert through_lightning == plain  # the same losses, bit for bit
