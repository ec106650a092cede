import numpy as np
from PIL import Image

from ganlab.train import run

FAST = ["trainer=debug", "trainer.max_steps=4"]


def names(folder):
    return sorted(path.name for path in folder.iterdir())


def test_image_data_get_a_grid_of_the_fixed_latent_batch(make_config, tmp_path):
    run(make_config(*FAST, "callbacks.samples.every_n_steps=0", "callbacks.samples.num_images=64"))
    samples = tmp_path / "run" / "samples"
    assert names(samples) == ["step_000000.png", "step_000004.png"]  # first and last only
    grid = Image.open(samples / "step_000004.png")
    # 8 x 8 digits of 8 px, each pixel shown as a 6 x 6 block (48 px), 2 px white lines between them
    assert grid.size == (8 * 50 + 2, 8 * 50 + 2)
    pixels = np.asarray(grid.convert("L"))
    assert (pixels[:2] == 255).all() and (pixels[:, 50:52] == 255).all()
    first = pixels[2:50, 2:50]
    assert (first == np.kron(first[::6, ::6], np.ones((6, 6), dtype=np.uint8))).all()  # whole-pixel blocks
    assert not (tmp_path / "run" / "features").exists()  # mlp's D has no 2-unit feature layer


def test_toy_data_get_scatter_plots_and_kims_feature_plots(make_config, tmp_path):
    run(make_config(*FAST, "model=mlp_toy", "data=toy_quadratic", "callbacks.samples.every_n_steps=2",
                    "callbacks.feature_space.every_n_steps=2"))
    run_dir = tmp_path / "run"
    expected = ["step_000000.png", "step_000002.png", "step_000004.png"]
    assert names(run_dir / "samples") == expected
    assert names(run_dir / "features") == expected
    for path in [run_dir / "samples" / "step_000004.png", run_dir / "features" / "step_000004.png"]:
        assert Image.open(path).size == (500, 400)  # a matplotlib figure, not an image grid


def test_feature_plot_is_skipped_without_a_feature_layer(make_config, tmp_path):
    run(make_config(*FAST, "model=mlp", "data=toy_quadratic"))
    assert (tmp_path / "run" / "samples").is_dir()
    assert not (tmp_path / "run" / "features").exists()


def test_grids_are_written_with_the_pixels_torchvision_would_write_greyscale_for_one_channel(tmp_path):
    import torch
    from torchvision.utils import save_image

    from ganlab.plots import image_grid, save_image_grid

    for channels, mode in [(1, "L"), (3, "RGB")]:
        images = torch.rand(6, channels, 8, 8, generator=torch.Generator().manual_seed(channels)) * 2 - 1
        save_image_grid(images, tmp_path / f"{channels}.png", (-1.0, 1.0), nrow=3)
        save_image(image_grid(images, (-1.0, 1.0), nrow=3), tmp_path / f"torchvision_{channels}.png")
        written = Image.open(tmp_path / f"{channels}.png")
        assert written.mode == mode  # a greyscale data set is not stored three times over
        expected = np.asarray(Image.open(tmp_path / f"torchvision_{channels}.png").convert(mode))
        assert np.array_equal(np.asarray(written), expected)
