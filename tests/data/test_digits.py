import pytest
import torch

from ganlab.data.digits import DigitsDataModule


def loaded(**kwargs) -> DigitsDataModule:
    datamodule = DigitsDataModule(**kwargs)
    datamodule.setup("fit")
    return datamodule


def test_digits_are_1797_grey_8x8_images_with_labels():
    datamodule = loaded()
    assert datamodule.data_shape == (1, 8, 8)
    assert datamodule.images.dtype == torch.uint8 and len(datamodule.images) == 1797
    assert datamodule.labels.unique().tolist() == list(range(10))
    # 17 grey levels (0..16 in scikit-learn) stay 17 distinct pixel values
    assert len(datamodule.images.unique()) == 17
    assert datamodule.images.min() == 0 and datamodule.images.max() == 255


@pytest.mark.parametrize("value_range", [(-1.0, 1.0), (0.0, 1.0)])
def test_batches_are_scaled_to_the_generators_range(value_range):
    datamodule = loaded(batch_size=64, value_range=value_range)
    batches = list(datamodule.train_dataloader())
    assert len(batches) == 1797 // 64
    images = torch.cat(batches)
    assert images.shape[1:] == (1, 8, 8) and images.dtype == torch.float32
    assert images.min().item() == value_range[0] and images.max().item() == value_range[1]


def test_validation_sample_is_fixed():
    datamodule = loaded(seed=3)
    assert torch.equal(datamodule.validation_sample(16), datamodule.validation_sample(16))
    assert datamodule.validation_sample(16).shape == (16, 1, 8, 8)


def test_a_batch_larger_than_the_data_set_is_refused():
    # a non-positive batch_size is refused with the config, before a data module is built (test_validate)
    with pytest.raises(ValueError, match=r"batch_size 5000 is larger than the data set \(1797 images\)"):
        loaded(batch_size=5000)
