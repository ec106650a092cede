"""`python -m ganlab.sample`: samples from a checkpoint alone, in the npz layout evaluation suites read."""

import logging

import numpy as np
import pytest
import torch
from hydra import compose, initialize_config_module
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
    not_a_checkpoint = tmp_path / "metrics.csv"
    not_a_checkpoint.write_text("step,train/d_loss\n0,1.3\n")
    with pytest.raises(SampleError, match=r"ckpt = .*metrics.csv: not a checkpoint torch can read \("):
        sample(sample_config(ckpt=str(not_a_checkpoint), out=str(tmp_path / "s.npz")))
    with pytest.raises(SampleError, match="device = 'gpu': must be auto, cpu, cuda or cuda:<index>"):
        sample(sample_config(ckpt=str(not_a_checkpoint), device="gpu", out=str(tmp_path / "s.npz")))
    with pytest.raises(SampleError, match=r"out = .*/s: cannot be written \(.*/metrics.csv is a file, not a folder\)"):
        sample(sample_config(ckpt=str(not_a_checkpoint), out=str(not_a_checkpoint / "s")))
    # refused after out was looked at: the folders out names are not made
    with pytest.raises(SampleError, match="not a checkpoint torch can read"):
        sample(sample_config(ckpt=str(not_a_checkpoint), out=str(tmp_path / "new" / "folder" / "s")))
    assert not (tmp_path / "new").exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="a machine with a GPU samples on it")
def test_cuda_on_a_machine_without_a_gpu_is_named(tmp_path):
    checkpoint = tmp_path / "last.ckpt"
    checkpoint.write_bytes(b"")
    with pytest.raises(SampleError, match="device = 'cuda': torch sees no CUDA GPU on this machine; use device=cpu"):
        sample(sample_config(ckpt=str(checkpoint), device="cuda", out=str(tmp_path / "s.npz")))


def test_the_command_lines_config_writes_the_npz_where_out_says(make_config, tmp_path, monkeypatch, caplog):
    # conf/sample.yaml as `python -m ganlab.sample ckpt=... n=7 out=out/s` composes it, run in-process: the
    # command's start-up (torch, 5-15 s on 2 cores) is tested in tests/test_cli.py with its bad arguments
    run(make_config("trainer=debug", "metric=none"))
    checkpoint = tmp_path / "run" / "checkpoints" / "last.ckpt"
    with initialize_config_module(config_module="ganlab.conf", version_base="1.3"):
        config = compose("sample", overrides=[f"ckpt={checkpoint}", "n=7", "out=out/s"])
    monkeypatch.chdir(tmp_path)
    with caplog.at_level(logging.INFO, logger="ganlab.sample"):
        sample(config)
    # out=out/s writes out/s.npz (numpy adds the suffix), and the message names the file written
    assert np.load(tmp_path / "out" / "s.npz")["arr_0"].shape == (7, 8, 8, 1)
    assert f"7 samples from {checkpoint} (G) written to out/s.npz" in caplog.messages
