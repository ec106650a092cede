import pytest
import torch

from ganlab.data.cifar10 import CIFAR10DataModule
from tests.data.on_disk import accept_cifar10_checksums, write_cifar10


def loaded(root, **kwargs) -> CIFAR10DataModule:
    datamodule = CIFAR10DataModule(str(root), **kwargs)
    datamodule.prepare_data()
    datamodule.setup("fit")
    return datamodule


@pytest.fixture
def cifar_root(tmp_path, monkeypatch):
    accept_cifar10_checksums(monkeypatch, write_cifar10(tmp_path, per_batch=50))
    return tmp_path


def test_all_classes_load_as_nchw_uint8_with_images_matching_labels(cifar_root):
    datamodule = loaded(cifar_root, batch_size=16)
    assert datamodule.data_shape == (3, 32, 32) and datamodule.images.dtype == torch.uint8
    assert len(datamodule.images) == 250  # five training batches of 50
    assert datamodule.labels.unique().tolist() == list(range(10))
    expected = (datamodule.labels[:, None] * 10 + 5).to(torch.uint8).expand(-1, 3)
    assert torch.equal(datamodule.images[:, :, 0, 0], expected)


def test_cifar_horses_keeps_only_horses(cifar_root):
    datamodule = loaded(cifar_root, classes=["horse"], batch_size=8)
    assert len(datamodule.images) == 25
    assert datamodule.labels.unique().tolist() == [7]  # horse keeps its CIFAR-10 label
    assert datamodule.images.unique().tolist() == [75]  # and only horse pixels survive


def test_several_classes_and_the_test_split(cifar_root):
    datamodule = loaded(cifar_root, split="test", classes=["cat", "dog"], batch_size=4)
    assert sorted(datamodule.labels.unique().tolist()) == [3, 5]
    assert len(datamodule.images) == 10


def test_a_misspelled_class_lists_the_ten_names(tmp_path):
    with pytest.raises(ValueError) as caught:
        CIFAR10DataModule(str(tmp_path), classes=["hrose"])
    assert str(caught.value) == (
        "classes ['hrose']: 'hrose' is not a CIFAR-10 class; the ten are: "
        "airplane, automobile, bird, cat, deer, dog, frog, horse, ship, truck"
    )


def test_offline_with_an_empty_root_says_what_to_put_where(tmp_path):
    with pytest.raises(FileNotFoundError) as caught:
        loaded(tmp_path)
    message = str(caught.value)
    assert message.startswith(
        f"CIFAR-10 is not in {tmp_path}/cifar-10-batches-py: expected data_batch_1, data_batch_2, data_batch_3, "
        "data_batch_4, data_batch_5, test_batch, batches.meta. Downloading it failed"
    )
    assert "Put the official archive cifar-10-python.tar.gz (https://www.cs.toronto.edu/~kriz/" in message


def test_files_that_fail_torchvisions_checksums_are_reported(tmp_path):
    write_cifar10(tmp_path)  # md5s differ from the official archive's, and nobody tells torchvision
    with pytest.raises(FileNotFoundError, match="The files are there but fail torchvision's check"):
        loaded(tmp_path, download=False)
