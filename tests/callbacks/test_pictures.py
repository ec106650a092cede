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
