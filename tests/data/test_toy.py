import pytest
import torch

from ganlab.data.toy import ToyCurveDataModule


def test_points_lie_on_kims_curve():
    datamodule = ToyCurveDataModule(normalize=False)
    points = datamodule.sample_points(5000, torch.Generator().manual_seed(0)).double()
    x, y = points.unbind(1)
    assert x.min() >= -50 and x.max() <= 50 and x.min() < -49 and x.max() > 49
    assert torch.allclose(y, 10 + x**2, rtol=1e-5)


def test_normalization_maps_the_curve_onto_the_output_range_and_back():
    datamodule = ToyCurveDataModule(value_range=(-1.0, 1.0))
    raw = datamodule.sample_points(5000, torch.Generator().manual_seed(0))
    model_units = datamodule.to_model(raw)
    assert model_units.min() >= -1.0 - 1e-6 and model_units.max() <= 1.0 + 1e-6
    assert model_units.min() < -0.99 and model_units.max() > 0.99  # the whole range is used
    assert torch.allclose(datamodule.from_model(model_units), raw, rtol=1e-4, atol=1e-2)


def test_odd_orders_get_their_own_bounds():
    datamodule = ToyCurveDataModule(order=3, x_range=(-2.0, 3.0), offset=0.0)
    assert datamodule.bounds.tolist() == [[-2.0, -8.0], [3.0, 27.0]]
    datamodule = ToyCurveDataModule(order=2, x_range=(1.0, 3.0), offset=0.0)
    assert datamodule.bounds.tolist() == [[1.0, 1.0], [3.0, 9.0]]  # 0 is outside: no minimum at x = 0


def test_vertical_distance_is_zero_on_the_curve_and_measured_in_data_units():
    datamodule = ToyCurveDataModule()
    on_curve = datamodule.to_model(datamodule.sample_points(100, torch.Generator().manual_seed(0)))
    assert datamodule.vertical_distance(on_curve).max() < 1e-2
    above = datamodule.to_model(torch.tensor([[3.0, 10 + 9 + 100.0]]))
    assert datamodule.vertical_distance(above).item() == pytest.approx(100.0, rel=1e-5)


def test_stream_has_nominal_epochs_and_a_fixed_validation_sample():
    datamodule = ToyCurveDataModule(batch_size=256, epoch_size=10_000, val_size=300, seed=4)
    loader = datamodule.train_dataloader()
    assert len(loader) == 39 and next(iter(loader)).shape == (256, 2)
    assert torch.equal(datamodule.validation_sample(), datamodule.validation_sample())
    assert datamodule.validation_sample().shape == (300, 2)
    assert datamodule.validation_sample(10).shape == (10, 2)


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="order must be a positive integer, got 0"):
        ToyCurveDataModule(order=0)
    with pytest.raises(ValueError, match=r"x_range must be \[low, high\] with low < high, got \[5.0, -5.0\]"):
        ToyCurveDataModule(x_range=[5.0, -5.0])
    with pytest.raises(ValueError, match=r"epoch_size must be an integer >= batch_size \(256\), got 100"):
        ToyCurveDataModule(epoch_size=100)
