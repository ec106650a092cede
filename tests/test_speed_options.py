"""The speed options change how the networks run, never what they compute: `compile` (torch.compile of both
networks) and `channels_last` train to the eager losses for a fixed seed, and checkpoints keep their keys."""

from __future__ import annotations

import re

import pytest
import pytorch_lightning as pl
import torch

from ganlab.build import build_run
from ganlab.errors import ConfigError
from ganlab.train import run
from tests.helpers import read_metrics

FAST = ["trainer=debug", "metric=none"]
LOSSES = ("train/d_loss", "train/g_loss")


def train(make_config, tmp_path, name, *overrides, callbacks=()):
    pl.seed_everything(0)  # the same initial weights for every variant
    datamodule, module, trainer = build_run(make_config(*FAST, *overrides, output_dir=tmp_path / name))
    trainer.callbacks.extend(callbacks)
    trainer.fit(module, datamodule=datamodule)
    rows = read_metrics(tmp_path / name)
    checkpoint = torch.load(tmp_path / name / "checkpoints" / "last.ckpt", weights_only=False)
    return [[float(row[key]) for key in LOSSES] for row in rows], sorted(checkpoint["state_dict"])


def assert_same_losses(losses, reference, rel, first=5):
    """The first `first` iterations' losses agree. D's loss at iteration 0 is the networks' forward passes; G's is
    after D's first update, and iteration 1's D loss after G's: two iterations exercise every part of a step.
    Later iterations compound rounding differences (a tenfold per iteration seen with NHWC at batch 16)."""
    assert len(losses) == len(reference) == 5
    for iteration, (row, expected) in enumerate(zip(losses[:first], reference[:first], strict=True)):
        assert row == pytest.approx(expected, rel=rel), f"iteration {iteration}: {row} != {expected}"


def compiled_losses(make_config, tmp_path, backend, device):
    accelerator = f"trainer.accelerator={device}"
    eager, eager_keys = train(make_config, tmp_path, "eager", accelerator)
    torch._dynamo.reset()
    frames_before = torch._dynamo.utils.counters["stats"]["unique_graphs"]
    compiled, compiled_keys = train(
        make_config, tmp_path, "compiled", accelerator, "compile.enabled=true", f"compile.backend={backend}"
    )
    # both networks were traced: G with and without gradients, D on real and fake batches
    assert torch._dynamo.utils.counters["stats"]["unique_graphs"] - frames_before >= 2
    assert compiled_keys == eager_keys  # no `_orig_mod.` prefix: a compiled run's checkpoint loads anywhere
    return compiled, eager


def test_compiled_networks_train_to_the_eager_losses(make_config, tmp_path):
    # backend=eager: Dynamo traces both networks and runs the captured graphs (no code generation, fast)
    compiled, eager = compiled_losses(make_config, tmp_path, "eager", "cpu")
    assert_same_losses(compiled, eager, rel=1e-6)


def test_fused_adam_reaches_both_optimizers_and_trains_to_the_for_loop_losses(make_config, tmp_path):
    # torch's fused Adam rounds differently from its for-loop one (~1e-7 of a weight a step on this CPU)
    fused = ("+optim.generator.fused=true", "+optim.discriminator.fused=true")
    _, module, _ = build_run(make_config(*FAST, *fused))
    assert [optimizer.defaults["fused"] for optimizer in module.configure_optimizers()] == [True, True]
    losses, _ = train(make_config, tmp_path, "fused", *fused)
    reference, _ = train(make_config, tmp_path, "for_loop")
    assert_same_losses(losses, reference, rel=1e-5)


@pytest.mark.slow  # inductor compiles C++ for the CPU: ~40 s
@pytest.mark.parametrize(
    "device",
    ["cpu", pytest.param("gpu", marks=pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU"))],
)
def test_inductor_compiled_networks_train_to_the_eager_losses(make_config, tmp_path, device):
    compiled, eager = compiled_losses(make_config, tmp_path, "inductor", device)
    assert_same_losses(compiled, eager, rel=1e-4, first=2)  # fused kernels sum in another order


@pytest.mark.parametrize("penalty", ["loss=wgan_gp", "trick=r1"])
def test_gradient_penalties_train_under_compile_to_the_eager_losses(make_config, tmp_path, penalty):
    # aot_eager: AOTAutograd, which cannot differentiate twice, without inductor's code generation
    eager, _ = train(make_config, tmp_path, "eager", penalty)
    compiled, _ = train(make_config, tmp_path, "compiled", penalty, "compile.enabled=true", "compile.backend=aot_eager")
    assert_same_losses(compiled, eager, rel=1e-5)


def test_channels_last_trains_conv_networks_in_nhwc_to_the_same_losses(make_config, tmp_path):
    layouts = []

    class ReadLayouts(pl.Callback):
        def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
            weights = [p for p in pl_module.parameters() if p.dim() == 4]
            layouts.append(
                len(weights) > 0 and all(p.is_contiguous(memory_format=torch.channels_last) for p in weights)
            )

    contiguous, _ = train(make_config, tmp_path, "contiguous", "model=cnn")
    nhwc, _ = train(make_config, tmp_path, "nhwc", "model=cnn", "channels_last=true", callbacks=[ReadLayouts()])
    assert layouts == [True] * 5
    assert_same_losses(nhwc, contiguous, rel=1e-4, first=2)  # NHWC convolutions sum in another order


def test_bf16_autocast_with_channels_last_trains_the_cnn_to_the_float32_losses(make_config, tmp_path):
    # the CPU option that goes past the eager float32 loop on a CPU with bf16 kernels (docs/speed.md); bf16 keeps
    # ~3 significant digits, and the cnn's losses stay within 0.3% of float32's over these iterations
    float32, _ = train(make_config, tmp_path, "float32", "model=cnn")
    bf16, _ = train(make_config, tmp_path, "bf16", "model=cnn", "channels_last=true", "trainer.precision=bf16-mixed")
    assert_same_losses(bf16, float32, rel=1e-2)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("compile.mode=fastest", "compile.mode = 'fastest': must be null (torch's default), default or max-autotune"),
        ("compile.mode=reduce-overhead", "CUDA-graph modes (reduce-overhead, max-autotune) reuse D's output memory"),
        ("compile.backend=turbo", "compile.backend = 'turbo': must be one of "),
        ("channels_last=yes", "channels_last = 'yes': must be true or false"),
    ],
)
def test_speed_options_refuse_bad_values_before_training(make_config, tmp_path, override, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        run(make_config(*FAST, "compile.enabled=true", override))
    assert not (tmp_path / "run" / "metrics.csv").exists()
