"""The Flux tutorial's pictures (progress strip, spot the fake), latent interpolation, curves, and pictures in
loggers. Digits of 8 px are shown as 48 px (6 x 6 blocks per pixel) with 2 px lines between them."""

import json

import numpy as np
import pytest
import pytorch_lightning as pl
import torch
from PIL import Image

from ganlab.build import build_run
from ganlab.callbacks.interpolation import slerp
from ganlab.callbacks.progress import ProgressStrip
from ganlab.images import to_uint8, to_uint8_nhwc
from ganlab.lightning_fastpath.callback_group import every_callback
from ganlab.plots import image_grid
from ganlab.train import run


def test_progress_strip_has_one_row_per_epoch_as_png_and_gif(make_config, tmp_path):
    # 1797 digits in batches of 256: 7 iterations per epoch, so 21 iterations are 3 epochs
    run(make_config("trainer=debug", "trainer.max_steps=21", "data.batch_size=256", "metric=none"))
    progress = tmp_path / "run" / "progress"
    row_height, row_width = 48 + 4, 15 * 50 + 2  # 15 digits shown at 48 px, 2 px padding
    assert Image.open(progress / "progress.png").size == (row_width, 3 * row_height)
    gif = Image.open(progress / "progress.gif")
    assert gif.n_frames == 3 and gif.size == (row_width, row_height)


def test_progress_strip_keeps_evenly_spaced_rows_and_the_last(make_config, tmp_path):
    run(make_config("trainer=debug", "trainer.max_steps=40", "data.batch_size=256", "metric=none",
                    "callbacks.progress.max_rows=3"))
    assert Image.open(tmp_path / "run" / "progress" / "progress.gif").n_frames == 3  # of 6 epochs


class FailsAtEpoch(pl.Callback):
    def __init__(self, epoch):
        self.epoch = epoch

    def on_train_epoch_start(self, trainer, pl_module):
        if trainer.current_epoch == self.epoch:
            raise RuntimeError("out of memory, say")


@pytest.mark.parametrize("every_n_seconds", [600, 0])
def test_progress_strip_is_written_when_a_run_fails_and_at_most_every_n_seconds(make_config, tmp_path, every_n_seconds):
    # 7 iterations per epoch: the run fails as its third epoch starts, with two rows drawn
    config = make_config("trainer=debug", "trainer.max_steps=21", "data.batch_size=256", "metric=none",
                         f"callbacks.progress.write_every_n_seconds={every_n_seconds}")
    datamodule, module, trainer = build_run(config)
    strip = next(c for c in every_callback(trainer) if isinstance(c, ProgressStrip))
    written = []
    strip_write = strip._write
    strip._write = lambda: written.append(len(strip.rows)) or strip_write()
    trainer.callbacks.append(FailsAtEpoch(2))
    with pytest.raises(RuntimeError, match="out of memory"):
        trainer.fit(module, datamodule=datamodule)
    # 600 s: only the failure writes; 0 s: every epoch end, then the failure
    assert written == ([2] if every_n_seconds else [1, 2, 2])
    assert Image.open(tmp_path / "run" / "progress" / "progress.png").size[1] == 2 * (48 + 4)


def test_progress_strip_keeps_only_the_rows_it_shows_however_long_the_run(tmp_path):
    def row(epoch):
        return np.full((2, 3, 1), epoch, dtype=np.uint8)

    strip = ProgressStrip(dirpath=str(tmp_path), max_rows=8)
    for epoch in range(100):
        strip.keep(row(epoch))
    every_16th_and_the_last = [0, 16, 32, 48, 64, 80, 96, 99]
    assert [int(kept[0, 0, 0]) for kept in strip.rows] == strip.epochs == every_16th_and_the_last
    resumed = ProgressStrip(dirpath=str(tmp_path), max_rows=8)
    resumed.load_state_dict(strip.state_dict())
    resumed.keep(row(100))
    assert resumed.epochs == [0, 16, 32, 48, 64, 80, 96, 100]


def test_progress_strip_keeps_the_samples_and_draws_the_same_row_from_them():
    images = torch.rand(15, 1, 8, 8, generator=torch.Generator().manual_seed(0)) * 2 - 1  # as tanh draws them
    kept = to_uint8(images, (-1.0, 1.0)).numpy()
    assert kept.shape == (15, 1, 8, 8) and kept.dtype == np.uint8  # 960 bytes; drawn, 52 x 752 x 3
    drawn_at_once = to_uint8_nhwc(image_grid(images, (-1.0, 1.0), nrow=15)[None], (0.0, 1.0))[0]
    assert np.array_equal(ProgressStrip.displayed(kept), drawn_at_once)


def tiles(path, side, size, scale=6, pad=2):
    """The side x side images of a grid, each back at its own size (one value per shown block)."""
    grid = torch.from_numpy(np.array(Image.open(path).convert("L")))
    shown = size * scale
    return [grid[pad + r * (shown + pad) : pad + r * (shown + pad) + shown : scale,
                 pad + c * (shown + pad) : pad + c * (shown + pad) + shown : scale]
            for r in range(side) for c in range(side)]  # fmt: skip


def test_spot_the_fake_answer_key_says_which_images_are_real(make_config, tmp_path):
    config = make_config("trainer=debug", "metric=none")
    run(config)
    folder = tmp_path / "run" / "spot_the_fake"
    assert sorted(path.name for path in folder.iterdir()) == [
        "step_000000.json", "step_000000.png", "step_000005.json", "step_000005.png"
    ]
    answers = json.loads((folder / "step_000005.json").read_text())["answers"]
    assert [len(row) for row in answers] == [6] * 6
    flat = [kind for row in answers for kind in row]
    assert flat.count("real") == flat.count("fake") == 18
    datamodule, _, _ = build_run(config)
    unit = (datamodule.validation_sample(18) + 1) / 2
    real = [(image[0] * 255 + 0.5).clamp(0, 255).to(torch.uint8) for image in unit]  # as save_image rounds
    for kind, tile in zip(flat, tiles(folder / "step_000005.png", 6, 8), strict=True):
        assert any(torch.equal(tile, image) for image in real) == (kind == "real")


def test_interpolation_grid_has_a_row_per_pair_and_a_column_per_step(make_config, tmp_path):
    run(make_config("trainer=debug", "metric=none", "callbacks.interpolation.rows=3",
                    "callbacks.interpolation.steps=5"))
    grid = Image.open(tmp_path / "run" / "interpolation" / "step_000005.png")
    assert grid.size == (5 * 50 + 2, 3 * 50 + 2)


def test_slerp_runs_on_the_sphere_between_its_ends():
    a, b = torch.tensor([3.0, 0.0]), torch.tensor([0.0, 3.0])
    path = slerp(a, b, torch.linspace(0, 1, 5))
    assert torch.allclose(path[0], a) and torch.allclose(path[-1], b, atol=1e-6)
    assert torch.allclose(path.norm(dim=1), torch.full((5,), 3.0))  # a straight line would dip to 2.12


CURVES_ON = "callbacks.curves.dirpath=${paths.output_dir}/plots"  # helpers switch the curves off unless named


def test_curves_are_plotted_at_the_end_of_a_run(make_config, tmp_path):
    run(make_config("trainer=debug", CURVES_ON, output_dir=tmp_path / "evaluated"))
    assert sorted(p.name for p in (tmp_path / "evaluated" / "plots").iterdir()) == ["losses.png", "scores.png"]
    run(make_config("trainer=debug", "metric=none", CURVES_ON, output_dir=tmp_path / "plain"))
    assert sorted(p.name for p in (tmp_path / "plain" / "plots").iterdir()) == ["losses.png"]


def test_pictures_appear_in_tensorboard(make_config, tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    run(make_config("trainer=debug", "logger=tensorboard", "metric=none", CURVES_ON))
    tags = set()
    for events in (tmp_path / "run" / "tensorboard").glob("events.out.tfevents.*"):
        accumulator = EventAccumulator(str(events), size_guidance={"images": 0})
        accumulator.Reload()
        tags |= set(accumulator.Tags()["images"])
    assert {"samples", "spot_the_fake", "interpolation", "progress", "plots/losses"} <= tags


@pytest.mark.parametrize("option", ["spot_the_fake", "interpolation", "progress"])
def test_image_pictures_are_skipped_for_point_data(make_config, tmp_path, option):
    run(make_config("trainer=debug", "model=mlp_toy", "data=toy_quadratic", "metric=none"))
    assert not (tmp_path / "run" / option).exists()
