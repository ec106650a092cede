import threading

import numpy as np
import pytest
import torch

from ganlab.data.mnist import MNISTDataModule
from tests.data.on_disk import mnist_like, write_mnist_split


def loaded(root, **kwargs) -> MNISTDataModule:
    datamodule = MNISTDataModule(str(root), **kwargs)
    datamodule.prepare_data()
    datamodule.setup("fit")
    return datamodule


@pytest.fixture
def mnist_root(tmp_path):
    write_mnist_split(tmp_path, "train", *mnist_like(96, seed=0))
    write_mnist_split(tmp_path, "test", *mnist_like(40, seed=1))
    return tmp_path


def test_train_split_is_one_uint8_tensor_with_labels(mnist_root):
    images, labels = mnist_like(96, seed=0)
    datamodule = loaded(mnist_root, batch_size=32)
    assert datamodule.data_shape == (1, 28, 28)
    assert torch.equal(datamodule.images[:, 0], torch.from_numpy(images))
    assert torch.equal(datamodule.labels, torch.from_numpy(labels).long())


@pytest.mark.parametrize("value_range", [(-1.0, 1.0), (0.0, 1.0)])
def test_batches_follow_the_generator_range(mnist_root, value_range):
    batches = list(loaded(mnist_root, batch_size=32, value_range=value_range).train_dataloader())
    assert len(batches) == 3 and batches[0].shape == (32, 1, 28, 28)
    pixels = torch.cat(batches)
    assert pixels.min().item() == value_range[0] and pixels.max().item() == value_range[1]


def test_binarize_switches_pixels_above_half_on(tmp_path):
    images = np.zeros((4, 28, 28), dtype=np.uint8)
    images[:, 0, :4] = [127, 128, 0, 255]  # 127/255 < 0.5 < 128/255
    write_mnist_split(tmp_path, "train", images, np.arange(4))
    datamodule = loaded(tmp_path, binarize=True, batch_size=2)
    assert datamodule.images.unique().tolist() == [0, 255]
    assert datamodule.images[0, 0, 0, :4].tolist() == [0, 255, 0, 255]
    # the Flux tutorial's binary data with a sigmoid generator: pixels are exactly 0 or 1
    batch = next(iter(loaded(tmp_path, binarize=True, batch_size=2, value_range=(0.0, 1.0)).train_dataloader()))
    assert set(batch.unique().tolist()) <= {0.0, 1.0}


def test_image_size_32_pads_the_digits_with_background(mnist_root):
    plain = loaded(mnist_root, batch_size=4, value_range=(0.0, 1.0))
    padded = loaded(mnist_root, batch_size=4, value_range=(0.0, 1.0), image_size=32)
    assert padded.data_shape == (1, 32, 32)
    assert torch.equal(padded.images[:, :, 2:30, 2:30], plain.images)
    border = padded.images.clone()
    border[:, :, 2:30, 2:30] = 0
    assert border.sum() == 0
    with pytest.raises(ValueError, match=r"image_size = 30: must be 28 \(MNIST's own\) or 32"):
        MNISTDataModule(str(mnist_root), image_size=30)


def test_the_test_split_alone_is_enough(tmp_path):
    write_mnist_split(tmp_path, "test", *mnist_like(20))
    assert len(loaded(tmp_path, split="test", download=False, batch_size=4).images) == 20


def test_official_gz_files_are_unpacked_without_a_download(tmp_path):
    write_mnist_split(tmp_path, "test", *mnist_like(20), gz=True)
    assert len(loaded(tmp_path, split="test", download=False, batch_size=4).images) == 20


def test_a_truncated_file_is_named_with_what_to_do(tmp_path):
    """The issue's case: files that exist but were cut short stopped the run with a torchvision traceback."""
    write_mnist_split(tmp_path, "test", *mnist_like(20))
    images = tmp_path / "MNIST" / "raw" / "t10k-images-idx3-ubyte"
    images.write_bytes(images.read_bytes()[:1000])
    with pytest.raises(FileNotFoundError) as caught:
        loaded(tmp_path, split="test", download=False, batch_size=4)
    message = str(caught.value)
    assert f"t10k-labels-idx1-ubyte. {images} is there but cannot be read (" in message
    assert "truncated or not the right file" in message
    assert "Delete it and run again: with data.download=true it is fetched anew." in message


def test_a_truncated_archive_is_named_and_leaves_no_half_unpacked_file(tmp_path):
    write_mnist_split(tmp_path, "test", *mnist_like(20), gz=True)
    archive = tmp_path / "MNIST" / "raw" / "t10k-images-idx3-ubyte.gz"
    archive.write_bytes(archive.read_bytes()[:200])
    with pytest.raises(FileNotFoundError, match=f"{archive} is there but cannot be read"):
        loaded(tmp_path, split="test", download=False, batch_size=4)
    assert not (tmp_path / "MNIST" / "raw" / "t10k-images-idx3-ubyte").exists()


def test_offline_with_an_empty_root_says_what_to_put_where(tmp_path):
    """download=true on a machine without network (the test suite blocks it): a clear message, no traceback."""
    with pytest.raises(FileNotFoundError) as caught:
        loaded(tmp_path, download=True)
    message = str(caught.value)
    assert message.startswith(
        f"MNIST (train split) is not in {tmp_path}/MNIST/raw: "
        "expected train-images-idx3-ubyte, train-labels-idx1-ubyte. Downloading it failed"
    )
    assert "is this machine offline?" in message
    assert "their .gz originals from https://ossci-datasets.s3.amazonaws.com/mnist/" in message


def test_without_download_the_message_says_so(tmp_path):
    with pytest.raises(FileNotFoundError, match="Nothing was downloaded because data.download=false"):
        loaded(tmp_path, split="test", download=False)


def test_unknown_split_is_refused(tmp_path):
    with pytest.raises(ValueError, match="split 'validation' is not one of: train, test"):
        MNISTDataModule(str(tmp_path), split="validation")


def test_a_job_beside_one_unpacking_waits_for_it_and_reads_whole_files(tmp_path, monkeypatch):
    """Sweep jobs side by side on a fresh folder: the second must not read the first's half-unpacked file (it did:
    'cannot be read (ValueError ...)') nor unpack a second copy; it waits for the folder's lock."""
    write_mnist_split(tmp_path, "test", *mnist_like(20), gz=True)
    raw = tmp_path / "MNIST" / "raw"
    first_is_unpacking, let_first_finish = threading.Event(), threading.Event()
    unpacked_by = []
    real_unpack = MNISTDataModule.unpack

    def slow_unpack(datamodule, name):
        unpacked_by.append(threading.current_thread().name)
        if threading.current_thread().name == "first":
            first_is_unpacking.set()
            let_first_finish.wait(10)
        real_unpack(datamodule, name)

    monkeypatch.setattr(MNISTDataModule, "unpack", slow_unpack)
    results = {}

    def job():
        try:
            results[threading.current_thread().name] = loaded(tmp_path, split="test", download=False, batch_size=4)
        except Exception as error:  # what the job would have died of
            results[threading.current_thread().name] = error

    first = threading.Thread(target=job, name="first")
    first.start()
    assert first_is_unpacking.wait(10)
    second = threading.Thread(target=job, name="second")
    second.start()
    second.join(0.5)
    assert second.is_alive(), "the second job went on while the first was still unpacking"
    assert not (raw / "t10k-images-idx3-ubyte").exists()
    let_first_finish.set()
    first.join(10)
    second.join(10)
    assert unpacked_by == ["first", "first"]  # images and labels, once
    assert all(isinstance(results[name], MNISTDataModule) for name in ("first", "second")), results
    assert torch.equal(results["second"].images, results["first"].images)
    assert sorted(path.name for path in raw.iterdir() if "partial" in path.name) == []
