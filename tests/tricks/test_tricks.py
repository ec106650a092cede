"""Each trick of conf/trick/ measured for the effect it promises, through the shipped configs."""

import math

import pytest
import torch
from hydra.utils import instantiate
from torch import nn

from ganlab.build import build_run
from ganlab.errors import ConfigError
from ganlab.losses.cross_entropy import NonSaturatingLoss
from ganlab.losses.targets import flip_labels, label_targets
from ganlab.train import run
from ganlab.tricks.ema import generator_average
from ganlab.tricks.instance_noise import InstanceNoise
from tests.helpers import read_metrics

FAST = ["trainer=debug"]


def networks(module) -> dict[str, nn.Module]:
    return {"generator": module.generator, "discriminator": module.discriminator}


def real_targets_and_fake_targets(config, batches=100, batch_size=64):
    """What the configured loss trains D toward, over many batches."""
    loss = instantiate(config.loss)
    torch.manual_seed(0)
    pairs = [loss.discriminator_targets(torch.zeros(batch_size), torch.zeros(batch_size)) for _ in range(batches)]
    return torch.cat([real for real, _ in pairs]), torch.cat([fake for _, fake in pairs])


def test_flip_labels_one_in_ten_of_each_side(make_config):
    real, fake = real_targets_and_fake_targets(make_config("trick=flip"))
    # 6400 labels per side: the share's standard error is 0.004, so 0.015 is almost 4 of them
    assert abs((real == 0).float().mean().item() - 0.1) < 0.015
    assert abs((fake == 1).float().mean().item() - 0.1) < 0.015
    assert set(torch.cat([real, fake]).tolist()) == {0.0, 1.0}


def test_flip_prob_is_tunable_and_off_by_default(make_config):
    real, fake = real_targets_and_fake_targets(make_config("trick=flip", "loss.flip_prob=0.3"))
    assert abs((real == 0).float().mean().item() - 0.3) < 0.03
    real, fake = real_targets_and_fake_targets(make_config())
    assert real.eq(1).all() and fake.eq(0).all()


@pytest.mark.parametrize("real_target", [1.0, 0.9, 0.7])
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.float64])
def test_targets_without_flipping_are_exactly_the_labelled_ones(real_target, dtype):
    """Without flips D's targets are the labelled ones, in the outputs' dtype."""
    real_outputs, fake_outputs = torch.zeros(5, dtype=dtype), torch.zeros(3, dtype=dtype)
    real, fake = NonSaturatingLoss(real_target=real_target).discriminator_targets(real_outputs, fake_outputs)
    expected = label_targets(torch.arange(8) < 5, real_target).to(dtype).split([5, 3])
    assert real.dtype == fake.dtype == dtype
    assert torch.equal(real, expected[0]) and torch.equal(fake, expected[1])


def test_smooth_sets_the_real_target_to_0_9_and_leaves_fakes_at_0(make_config):
    real, fake = real_targets_and_fake_targets(make_config("trick=smooth"))
    assert torch.allclose(real, torch.full_like(real, 0.9)) and fake.eq(0).all()
    loss = instantiate(make_config("trick=smooth").loss)
    # BCE toward 0.9 of a logit l: -(0.9 log s(l) + 0.1 log(1 - s(l)))
    s = 1 / (1 + math.exp(-2.0))
    expected = -(0.9 * math.log(s) + 0.1 * math.log(1 - s)) - math.log(1 - 1 / (1 + math.exp(1.0)))
    value = loss.discriminator_loss(torch.tensor([2.0]), torch.tensor([-1.0])).item()
    assert math.isclose(value, expected, rel_tol=1e-6)


def test_smooth_two_sided_trains_d_toward_0_9_and_0_1_the_flux_tutorials_range(make_config):
    real, fake = real_targets_and_fake_targets(make_config("trick=smooth_two_sided"))
    assert torch.allclose(real, torch.full_like(real, 0.9)) and torch.allclose(fake, torch.full_like(fake, 0.1))
    loss = instantiate(make_config("trick=smooth_two_sided").loss)
    # D's cross-entropy on a real sample is lowest at sigmoid(output) = 0.9 and on a fake at 0.1: inside the range
    logits = torch.linspace(-6, 6, 1201)
    real_best = logits[torch.stack([loss.discriminator_loss(x.view(1), torch.tensor([-9.0])) for x in logits]).argmin()]
    fake_best = logits[torch.stack([loss.discriminator_loss(torch.tensor([9.0]), x.view(1)) for x in logits]).argmin()]
    assert torch.sigmoid(real_best).item() == pytest.approx(0.9, abs=0.002)
    assert torch.sigmoid(fake_best).item() == pytest.approx(0.1, abs=0.002)
    # flipped, a real sample is trained toward the fake target and a fake toward the real one
    real, fake = real_targets_and_fake_targets(make_config("trick=[flip,smooth_two_sided]"))
    assert sorted(set(torch.cat([real, fake]).tolist())) == pytest.approx([0.1, 0.9])


def test_flip_and_smooth_combine_flipped_fakes_get_the_smoothed_target(make_config):
    real, fake = real_targets_and_fake_targets(make_config("trick=[flip,smooth]"))
    assert sorted(set(torch.cat([real, fake]).tolist())) == pytest.approx([0.0, 0.9])
    assert 0.07 < (fake > 0).float().mean().item() < 0.13


def test_flip_labels_and_label_targets_are_pure_given_a_generator():
    is_real = torch.ones(1000, dtype=torch.bool)
    first = flip_labels(is_real, 0.2, torch.Generator().manual_seed(5))
    assert torch.equal(first, flip_labels(is_real, 0.2, torch.Generator().manual_seed(5)))
    assert flip_labels(is_real, 0.0) is is_real
    assert label_targets(torch.tensor([True, False]), 0.8).tolist() == pytest.approx([0.8, 0.0])


@pytest.mark.parametrize("model", ["mlp", "dcgan"])
def test_drop_puts_dropout_of_the_configured_rates_in_both_networks(make_config, model):
    _, module, _ = build_run(make_config(f"model={model}", "trick=drop"))
    for name, rate in (("generator", 0.2), ("discriminator", 0.5)):
        rates = [layer.p for layer in networks(module)[name].modules() if isinstance(layer, nn.Dropout)]
        assert rates and set(rates) == {rate}, name
    _, module, _ = build_run(make_config(f"model={model}", "trick=drop", "model.discriminator.dropout=0.3"))
    assert {layer.p for layer in module.discriminator.modules() if isinstance(layer, nn.Dropout)} == {0.3}
    _, module, _ = build_run(make_config(f"model={model}"))
    assert not any(isinstance(layer, nn.Dropout) for layer in module.modules())


def test_dropout_is_random_in_training_and_deterministic_in_eval(make_config):
    _, module, _ = build_run(make_config("trick=drop"))
    z = torch.randn(16, module.latent.dim)
    module.train()
    assert not torch.equal(module.generator(z), module.generator(z))
    module.eval()
    assert torch.equal(module.generator(z), module.generator(z))
    fake = module.generator(z)
    assert torch.equal(module.discriminator(fake), module.discriminator(fake))


def test_lin_draws_latents_uniformly_from_minus_one_to_one(make_config):
    _, module, _ = build_run(make_config("trick=lin"))
    z = module.latent.sample(20_000, generator=torch.Generator().manual_seed(0))
    assert z.min() >= -1 and z.max() <= 1
    assert z.min() < -0.99 and z.max() > 0.99
    assert abs(z.std().item() - 1 / math.sqrt(3)) < 0.01  # U[-1, 1]; a standard gaussian has std 1
    _, module, _ = build_run(make_config())
    assert module.latent.sample(20_000).abs().max() > 2


def test_sig_puts_generated_and_real_images_in_zero_to_one(make_config):
    datamodule, module, _ = build_run(make_config("trick=sig"))
    real = next(iter(datamodule.train_dataloader()))
    fake = module.generator(module.latent.sample(256))
    for images in (real, fake):
        assert images.min() >= 0 and images.max() <= 1
    assert real.min() == 0 and real.max() == 1
    datamodule, _, _ = build_run(make_config())
    assert next(iter(datamodule.train_dataloader())).min() == -1


@pytest.mark.parametrize("trick, activation", [("act_relu", nn.ReLU), ("act_sigmoid", nn.Sigmoid)])
@pytest.mark.parametrize("model", ["mlp_toy", "cnn"])
def test_activation_tricks_replace_the_hidden_units_of_both_networks(make_config, trick, activation, model):
    data = "toy_quadratic" if model == "mlp_toy" else "digits"
    _, module, _ = build_run(make_config(f"model={model}", f"data={data}", f"trick={trick}"))
    for name, network in networks(module).items():
        kinds = {type(layer) for layer in network.modules()}
        assert activation in kinds, name
        assert nn.LeakyReLU not in kinds, name


def test_zdim_widens_the_latent_space(make_config):
    _, module, _ = build_run(make_config("model=mlp_binary", "trick=zdim"))
    assert module.latent.dim == 128
    assert module.generator.body[0].in_features == 128


def test_d_steps_trick_updates_the_discriminator_twice_per_generator_update(make_config):
    trainer = run(make_config(*FAST, "trick=d_steps"))
    g_opt, d_opt = (optimizer.optimizer for optimizer in trainer.lightning_module.optimizers())
    assert {state["step"].item() for state in g_opt.state.values()} == {5}
    assert {state["step"].item() for state in d_opt.state.values()} == {10}


def test_instance_noise_std_falls_linearly_to_zero():
    noise = InstanceNoise(std=0.1, anneal_iterations=10)
    assert [noise.std_at(i) for i in (0, 5, 10, 20)] == pytest.approx([0.1, 0.05, 0.0, 0.0])
    x = torch.zeros(100_000)
    assert abs(noise.discriminator_input(x, 5).std().item() - 0.05) < 0.001
    assert noise.discriminator_input(x, 10) is x


def test_instance_noise_follows_its_schedule_in_training(make_config, tmp_path):
    run(make_config(*FAST, "trick=instance_noise", "trainer.max_steps=8"))
    logged = [float(row["train/instance_noise_std"]) for row in read_metrics(tmp_path / "run")]
    assert logged == pytest.approx([0.1 * (1 - i / 8) for i in range(8)])


def test_instance_noise_needs_an_iteration_count_when_training_by_epochs(make_config, tmp_path):
    by_epochs = [*FAST, "trick=instance_noise", "trainer.max_steps=-1", "trainer.max_epochs=1"]
    refusal = r"trick.instance_noise_iterations = -1: .*set trick.instance_noise_iterations"
    with pytest.raises(ConfigError, match=refusal):
        run(make_config(*by_epochs, output_dir=tmp_path / "refused"))
    run(make_config(*by_epochs, "trick.instance_noise_iterations=3"))
    logged = [float(row["train/instance_noise_std"]) for row in read_metrics(tmp_path / "run")]
    assert logged[:4] == pytest.approx([0.1, 0.1 * 2 / 3, 0.1 / 3, 0.0]) and max(logged[3:]) == 0


def test_spectral_norm_keeps_every_discriminator_weight_at_unit_spectral_norm(make_config):
    _, module, _ = build_run(make_config("model=intermediate", "trick=spectral_norm", "metric=none"))
    torch.manual_seed(0)
    layers = [layer for layer in module.discriminator.modules() if isinstance(layer, (nn.Linear, nn.Conv2d))]
    assert len(layers) == 4 and all(nn.utils.parametrize.is_parametrized(layer, "weight") for layer in layers)
    module.discriminator.train()
    with torch.no_grad():
        for layer in layers:  # make the raw weights steep: the normalized ones must not follow
            layer.parametrizations.weight.original.mul_(10)
        for _ in range(200):  # each training forward pass runs one power iteration
            module.discriminator(torch.randn(8, 1, 8, 8))
    module.discriminator.eval()
    for layer in layers:
        assert torch.linalg.matrix_norm(layer.parametrizations.weight.original.flatten(1), ord=2) > 2
        assert torch.linalg.matrix_norm(layer.weight.flatten(1), ord=2).item() == pytest.approx(1.0, abs=0.01)
    assert not any(nn.utils.parametrize.is_parametrized(layer) for layer in module.generator.modules())


def test_generator_average_moves_toward_the_generator_by_one_minus_decay():
    generator = nn.Linear(3, 2)
    average = generator_average(generator, decay=0.9)
    with torch.no_grad():
        generator.weight.add_(1.0)
    average.update_parameters(generator)  # the first update copies
    assert torch.equal(average.module.weight, generator.weight)
    with torch.no_grad():
        generator.weight.add_(1.0)
    gap = generator.weight - average.module.weight
    average.update_parameters(generator)
    assert torch.allclose(generator.weight - average.module.weight, 0.9 * gap)
    assert not average.module.weight.requires_grad


def test_ema_keeps_an_average_of_the_generator_that_lags_it(make_config, tmp_path):
    trainer = run(make_config(*FAST, "trick=ema", "trick.ema_decay=0.5", "trainer.max_steps=10"))
    module = trainer.lightning_module
    average = module.tricks["ema"].average
    assert module.sampling_generator is average.module
    pairs = list(zip(module.generator.parameters(), average.module.parameters(), strict=True))
    assert all(not torch.equal(live, averaged) for live, averaged in pairs)
    # with decay 0.5 the average is close to G: within the last few updates' movement
    distance = sum((live - averaged).norm() ** 2 for live, averaged in pairs).sqrt()
    size = sum(live.norm() ** 2 for live, _ in pairs).sqrt()
    assert distance < 0.05 * size
    state = torch.load(tmp_path / "run" / "checkpoints" / "last.ckpt", weights_only=False)["state_dict"]
    assert state["tricks.ema.average.n_averaged"].item() == 10
    assert any(key.startswith("tricks.ema.average.module.") for key in state)


def test_without_ema_samples_come_from_the_generator(make_config):
    _, module, _ = build_run(make_config())
    assert len(module.tricks) == 0 and module.sampling_generator is module.generator


def test_r1_penalty_is_logged_and_absent_without_it(make_config, tmp_path):
    run(make_config(*FAST, "trick=r1", output_dir=tmp_path / "r1"))
    penalties = [float(row["train/d_penalty"]) for row in read_metrics(tmp_path / "r1")]
    assert len(penalties) == 5 and all(value > 0 for value in penalties)
    run(make_config(*FAST, output_dir=tmp_path / "plain"))
    assert "train/d_penalty" not in read_metrics(tmp_path / "plain")[0]


def test_random_tricks_follow_the_seed(make_config, tmp_path):
    """Label flips and instance noise come from the seeded RNG: same seed, same losses."""
    def losses(name, seed):
        overrides = [*FAST, "trick=[flip,instance_noise]", "loss=lsgan", f"seed={seed}"]
        run(make_config(*overrides, output_dir=tmp_path / name))
        return [(row["train/d_loss"], row["train/g_loss"]) for row in read_metrics(tmp_path / name)]

    assert losses("a", 0) == losses("b", 0) != losses("c", 1)


@pytest.mark.parametrize(
    "overrides, message",
    [
        (["trick=ema", "trick.ema_decay=1"], "trick.ema_decay = 1: must be a decay in (0, 1), e.g. 0.999"),
        (["trick=instance_noise", "trick.instance_noise_std=-0.5"],
         "trick.instance_noise_std = -0.5: must be a number >= 0 (0: off)"),
    ],
)  # fmt: skip
def test_a_code_trick_refuses_a_bad_knob_under_the_key_the_user_set(make_config, tmp_path, overrides, message):
    with pytest.raises(ConfigError) as refused:
        run(make_config(*FAST, *overrides))
    assert refused.value.problems == [message]
    assert not (tmp_path / "run" / "metrics.csv").exists()


def test_a_code_tricks_knob_without_its_trick_is_refused_by_name(make_config):
    # the knob exists once the trick is chosen; alone it would be silently ignored, so Hydra refuses it
    with pytest.raises(Exception, match="Could not override 'trick.ema_decay'"):
        make_config("trick.ema_decay=0.5")


def test_tricks_act_in_the_order_chosen_and_state_lands_in_the_checkpoint(make_config, tmp_path):
    trainer = run(make_config(*FAST, "trick=[spectral_norm,ema,instance_noise]"))
    assert list(trainer.lightning_module.tricks) == ["spectral_norm", "ema", "instance_noise"]
    state = torch.load(tmp_path / "run" / "checkpoints" / "last.ckpt", weights_only=False)["state_dict"]
    assert any(key.startswith("discriminator.") and "parametrizations.weight.original" in key for key in state)
    assert state["tricks.ema.average.n_averaged"].item() == 5


def test_a_target_under_trick_that_is_not_a_trick_is_refused(make_config):
    with pytest.raises(ConfigError, match=r"trick.bogus: torch.nn.Identity is not a ganlab.tricks.base.Trick"):
        build_run(make_config("+trick.bogus={_target_:torch.nn.Identity}"))
