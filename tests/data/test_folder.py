import numpy as np
import pytest
import torch
from PIL import Image
from torch.utils.data import DataLoader

from ganlab.data.folder import ImageFolderDataModule
from tests.data.on_disk import write_image_folder


def loaded(root, **kwargs) -> ImageFolderDataModule:
    kwargs.setdefault("num_workers", 0)
    datamodule = ImageFolderDataModule(str(root), **kwargs)
    datamodule.setup("fit")
    return datamodule


def test_class_folders_give_labels_and_images_are_resized(tmp_path):
    write_image_folder(tmp_path, {"fire": 6, "water": 4}, size=(40, 30))
    datamodule = loaded(tmp_path, image_size=16, batch_size=4)
    assert datamodule.data_shape == (3, 16, 16)
    assert datamodule.images.shape == (10, 3, 16, 16)
    assert datamodule.labels.tolist() == [0] * 6 + [1] * 4
    # images keep their class's fill (PNG exactly, JPEG within compression error)
    fills = datamodule.images.float().mean(dim=(1, 2, 3))
    assert torch.allclose(fills, datamodule.labels.float() * 10 + 5, atol=2)


def test_a_flat_folder_is_one_class(tmp_path):
    write_image_folder(tmp_path, {"": 5})
    assert loaded(tmp_path, image_size=8, batch_size=2).labels.tolist() == [0] * 5


def test_centre_crop_keeps_the_middle(tmp_path):
    # 60x20: left third red, middle green, right third blue; resize to 20 high then crop the middle 20x20
    pixels = np.zeros((20, 60, 3), dtype=np.uint8)
    pixels[:, :20, 0], pixels[:, 20:40, 1], pixels[:, 40:, 2] = 255, 255, 255
    Image.fromarray(pixels).save(tmp_path / "wide.png")
    image = loaded(tmp_path, image_size=20, batch_size=1).images[0].float()
    assert image[1].mean() > 250 and image[0].mean() < 5 and image[2].mean() < 5


def test_grey_images(tmp_path):
    write_image_folder(tmp_path, {"a": 3})
    assert loaded(tmp_path, image_size=8, channels=1, batch_size=1).images.shape == (3, 1, 8, 8)


def test_sets_over_the_memory_limit_stream_through_a_dataloader(tmp_path):
    write_image_folder(tmp_path, {"a": 6, "b": 6})
    datamodule = loaded(tmp_path, image_size=8, batch_size=4, in_memory_limit_mb=0, value_range=(0.0, 1.0))
    assert datamodule.streaming and datamodule.images is None
    loader = datamodule.train_dataloader()
    assert isinstance(loader, DataLoader) and len(loader) == 3
    batch = datamodule.on_after_batch_transfer(next(iter(loader)), 0)  # what the GANModule receives
    assert batch.shape == (4, 3, 8, 8) and batch.dtype == torch.float32
    assert 0.0 <= batch.min() and batch.max() <= 1.0
    assert datamodule.validation_sample(5).shape == (5, 3, 8, 8)


def test_a_streamed_folder_is_read_in_the_order_of_the_same_set_held_in_memory(tmp_path):
    """Epoch e's order is a function of (seed, e) alone, streamed or not, so a resumed run reads on where it was."""
    for number in range(13):  # each image one grey level: its identity
        Image.fromarray(np.full((8, 8), 10 * number, dtype=np.uint8)).save(tmp_path / f"{number:02d}.png")
    options = {"image_size": 8, "channels": 1, "batch_size": 4, "seed": 3, "value_range": (0.0, 255.0)}
    streamed, in_memory = loaded(tmp_path, in_memory_limit_mb=0, **options), loaded(tmp_path, **options)

    def stream(datamodule, start, count):
        loader = datamodule.train_dataloader()
        (loader.sampler if datamodule.streaming else loader).set_start(*divmod(start, 3))
        batches = []
        while len(batches) < count:  # one iter() per epoch, as Lightning does
            batches += [datamodule.on_after_batch_transfer(batch, 0) for batch in loader]
        return [batch[:, 0, 0, 0].round().int().tolist() for batch in batches[:count]]

    with_epochs = stream(streamed, 0, 9)  # three epochs of three batches
    assert with_epochs == stream(in_memory, 0, 9) and with_epochs[:3] != with_epochs[3:6]
    assert stream(streamed, 4, 5) == with_epochs[4:]  # from the second batch of the second epoch


@pytest.mark.parametrize("num_workers", [0, 1])
def test_a_file_that_does_not_decode_is_named(tmp_path, num_workers):
    write_image_folder(tmp_path, {"a": 3})
    (tmp_path / "a" / "broken.png").write_bytes(b"\x89PNG cut short")
    with pytest.raises(OSError) as caught:
        loaded(tmp_path, image_size=8, batch_size=2, num_workers=num_workers)
    message = str(caught.value)
    assert message.startswith(f"{tmp_path}/a/broken.png is not an image PIL can read (")
    assert message.endswith("; delete or replace it") and "Traceback" not in message


def test_small_sets_are_held_in_memory(tmp_path):
    write_image_folder(tmp_path, {"a": 4})
    datamodule = loaded(tmp_path, image_size=8, batch_size=2)
    assert not datamodule.streaming and datamodule.images.dtype == torch.uint8


def test_missing_or_empty_folders_are_reported(tmp_path):
    with pytest.raises(FileNotFoundError, match=f"data.root {tmp_path}/nope is not a folder"):
        loaded(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match=f"no images .* anywhere below {tmp_path}/empty"):
        loaded(tmp_path / "empty")
