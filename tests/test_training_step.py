"""GANModule's iteration is the plain GAN step: the same losses and weights as a loop written out by hand."""

import copy

import pytest
import pytorch_lightning as pl
import torch

from ganlab.build import build_run

ITERATIONS = 4


class Recorded(pl.Callback):
    """The networks as training starts (with the global RNG reseeded there), each batch and each loss."""

    def __init__(self) -> None:
        self.batches, self.losses = [], []

    def on_train_start(self, trainer, pl_module) -> None:
        self.generator, self.discriminator = copy.deepcopy(pl_module.generator), copy.deepcopy(pl_module.discriminator)
        torch.manual_seed(123)

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        self.batches.append(batch.clone())

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        self.losses.append({key: value.item() for key, value in pl_module.latest_losses.items()})


def train(make_config, *overrides):
    pl.seed_everything(0)
    config = make_config("trainer=debug", "metric=none", f"trainer.max_steps={ITERATIONS}", *overrides)
    datamodule, module, trainer = build_run(config)
    recorded = Recorded()
    trainer.callbacks.append(recorded)
    trainer.fit(module, datamodule=datamodule)
    return module, recorded


@pytest.mark.parametrize("model", ["mlp", "cnn"])
def test_each_iteration_matches_a_hand_written_d_then_g_update(make_config, model):
    module, recorded = train(make_config, f"model={model}", "data=digits")
    generator, discriminator, loss, latent = recorded.generator, recorded.discriminator, module.loss, module.latent
    g_opt, d_opt = (
        module.generator_optimizer(generator.parameters()),
        module.discriminator_optimizer(discriminator.parameters()),
    )
    torch.manual_seed(123)
    for real, logged in zip(recorded.batches, recorded.losses, strict=True):
        with torch.no_grad():
            fake = generator(latent.sample(len(real)))
        d_loss = loss.discriminator_loss(discriminator(real), discriminator(fake))
        d_opt.zero_grad()
        d_loss.backward()
        d_opt.step()
        g_loss = loss.generator_loss(discriminator(generator(latent.sample(len(real)))))
        g_opt.zero_grad()
        g_loss.backward()
        g_opt.step()
        assert logged == pytest.approx({"train/d_loss": d_loss.item(), "train/g_loss": g_loss.item()}, abs=1e-6)
    for trained, by_hand in ((module.generator, generator), (module.discriminator, discriminator)):
        for (name, value), expected in zip(trained.state_dict().items(), by_hand.state_dict().values(), strict=True):
            torch.testing.assert_close(value, expected, rtol=1e-5, atol=1e-6, msg=name)


def test_g_updates_compute_no_gradient_for_d_and_leave_every_weight_trainable(make_config):
    pl.seed_everything(0)
    datamodule, module, trainer = build_run(
        make_config("trainer=debug", "metric=none", f"trainer.max_steps={ITERATIONS}", "d_steps=2")
    )
    gradients = []  # one entry per gradient computed for D's last weight
    weight = list(module.discriminator.parameters())[-1]
    weight.register_hook(lambda grad: gradients.append(module.iteration))
    trainer.fit(module, datamodule=datamodule)
    assert gradients == [i for i in range(ITERATIONS) for _ in range(2)]  # D's two updates only, not G's
    assert all(p.requires_grad for p in [*module.generator.parameters(), *module.discriminator.parameters()])


def test_reuse_noise_feeds_one_noise_batch_to_every_update_of_an_iteration(make_config, monkeypatch):
    """Kim's toy GAN draws Z_batch once per iteration and feeds it to its 10 D and 10 G updates."""
    from ganlab.build import build_run

    drawn = []
    for reuse in (False, True):
        overrides = ["experiment=toy_curve", "trainer=debug", "trainer.max_steps=1", "metric=none"]
        datamodule, module, trainer = build_run(make_config(*overrides, f"reuse_noise={reuse}"))
        sample, noises = module.latent.sample, []

        def training_draws(*args, sample=sample, noises=noises, **kwargs):
            noise = sample(*args, **kwargs)
            if kwargs.get("generator") is None:  # pictures draw from generators of their own
                noises.append(noise)
            return noise

        monkeypatch.setattr(module.latent, "sample", training_draws)
        trainer.fit(module, datamodule=datamodule)
        assert module.iteration == 1
        drawn.append(noises)
    fresh, reused = drawn
    assert len(fresh) == 20 and len({tensor.sum().item() for tensor in fresh}) == 20  # 10 D and 10 G updates
    assert len(reused) == 1  # one batch, drawn once, for all 20 updates
