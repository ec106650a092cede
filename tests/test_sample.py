"""`python -m ganlab.sample`: samples from a checkpoint alone, in the npz layout evaluation suites read."""

import subprocess
import sys

import numpy as np
import pytest
import torch
from omegaconf import OmegaConf

from ganlab.sample import SampleError, load_generator, sample
from ganlab.train import run


def sample_config(**values):
    defaults = {"n": 10, "out": "samples.npz", "seed": 0, "batch_size": 4, "device": "cpu"}
    return OmegaConf.create({**defaults, **values})


@pytest.mark.parametrize("trick", ["base", "ema"])
def test_samples_round_trip_as_uint8_nhwc_from_the_generator_that_drew_the_pictures(make_config, tmp_path, trick):
    trainer = run(make_config("trainer=debug", f"trick={trick}", "metric=none"))
    checkpoint = tmp_path / "run" / "checkpoints" / "last.ckpt"
    out = sample(sample_config(ckpt=str(checkpoint), n=10, out=str(tmp_path / "s.npz")))
    images = np.load(out)["arr_0"]
    assert images.shape == (10, 8, 8, 1) and images.dtype == np.uint8
    assert (tmp_path / "s.png").is_file()
    # the same pixels the module's sampling generator (G, or its average under ema) gives for those latents
    module = trainer.lightning_module.eval()
    latents = module.latent.sample(10, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        expected = ((module.sampling_generator(latents) + 1) / 2 * 255).round().clamp(0, 255).to(torch.uint8)
    assert np.array_equal(images, expected.permute(0, 2, 3, 1).numpy())
    assert load_generator(checkpoint)[3] == (trick == "ema")


def test_bad_arguments_are_named(tmp_path):
    with pytest.raises(SampleError, match=r"ckpt = .*nothing.ckpt: no such file"):
        sample(sample_config(ckpt=str(tmp_path / "nothing.ckpt")))
    with pytest.raises(SampleError, match="n = 0: must be an integer >= 1"):
        sample(sample_config(ckpt="x", n=0))


def test_the_command_line_writes_the_npz(make_config, tmp_path):
    run(make_config("trainer=debug", "metric=none"))
    checkpoint = tmp_path / "run" / "checkpoints" / "last.ckpt"
    result = subprocess.run(
        [sys.executable, "-m", "ganlab.sample", f"ckpt={checkpoint}", "n=7", "out=out/s"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    # out=out/s writes out/s.npz (numpy adds the suffix), and the message names the file written
    assert np.load(tmp_path / "out" / "s.npz")["arr_0"].shape == (7, 8, 8, 1)
    assert f"7 samples from {checkpoint} (G) written to out/s.npz" in result.stdout
    # bad arguments: tests/test_cli.py, which checks that they are answered before torch is imported
