"""A packed seed computes what the seed computes alone: given the same initial weights, batches and noise, its
losses every iteration and its weights (BatchNorm's statistics among them) agree with the run alone's, to float
tolerance, and one pack's seeds never mix."""

import copy

import pytest
import pytorch_lightning as pl
import torch

from ganlab.build import build_run
from ganlab.packing.module import PackedGANModule

ITERATIONS = 4
SEEDS = (0, 1, 2)


class Replayed:
    """A latent prior's `sample` that hands out recorded noise, in order."""

    def __init__(self, noises: list[torch.Tensor]) -> None:
        self.noises = list(noises)

    def __call__(self, n, device="cpu", generator=None):
        return self.noises.pop(0).to(device)


class Recorded(pl.Callback):
    """Each batch and each iteration's losses (a pack's as one row per seed)."""

    def __init__(self) -> None:
        self.batches, self.losses = [], []

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        self.batches.append(batch.clone())

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        self.losses.append({key: value.detach().clone() for key, value in pl_module.latest_losses.items()})


class Batches:
    """The recorded batches again, one per iteration, as a training data iterable."""

    def __init__(self, batches: list[torch.Tensor]) -> None:
        self.batches = batches

    def __iter__(self):
        return iter(self.batches)

    def __len__(self) -> int:
        return len(self.batches)


def trainer(callback: pl.Callback, module) -> pl.Trainer:
    return pl.Trainer(
        accelerator="cpu", max_steps=ITERATIONS * module.optimizer_steps_per_iteration, logger=False,
        enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False, log_every_n_steps=1,
        precision="64-true", callbacks=[callback],
    )  # fmt: skip


def seed_module(make_config, seed, *overrides):
    """The GANModule of `seed`, built as the run alone builds it, and its data module."""
    pl.seed_everything(seed)
    config = make_config("trainer=debug", "metric=none", f"seed={seed}", *overrides)
    datamodule, module, _ = build_run(config)
    return module, datamodule


def alone(make_config, seed, *overrides):
    """The seed trained alone: its initial and final networks, the noise it drew, its batches and losses."""
    module, datamodule = seed_module(make_config, seed, *overrides)
    initial = copy.deepcopy(module).double()
    noises, sample = [], module.latent.sample

    def recording(*args, **kwargs):
        noises.append(sample(*args, **kwargs))
        return noises[-1]

    module.latent.sample = recording
    recorded = Recorded()
    trainer(recorded, module).fit(module, datamodule=datamodule)
    return initial, module, noises, recorded


@pytest.mark.parametrize(
    "overrides",
    [
        ("model=mlp", "data=digits"),
        ("model=cnn", "data=digits", "data.batch_size=8"),
        ("model=mlp", "data=digits", "d_steps=2"),
        ("model=mlp", "data=digits", "trick=ema", "trick.ema.decay=0.5"),
        ("model=cnn", "data=digits", "data.batch_size=8", "trick=r1"),
        ("model=mlp", "data=digits", "loss=wgan_gp"),
    ],
    ids=["mlp", "cnn with batchnorm", "two d steps", "G's moving average", "R1", "WGAN-GP"],
)
def test_a_packed_seed_trains_as_it_does_alone(make_config, overrides, monkeypatch):
    if "loss=wgan_gp" in overrides:  # its penalty's points on the real-fake segments, the midpoints in both runs
        monkeypatch.setattr(torch, "rand", lambda shape, generator=None, device=None: torch.full(shape, 0.5))
    runs = [alone(make_config, seed, *overrides) for seed in SEEDS]
    seeds = []
    for initial, _, noises, _ in runs:
        initial.latent.sample = Replayed(noises)
        seeds.append(initial)
    packed, recorded = PackedGANModule(seeds), Recorded()
    batches = [torch.stack(per_seed) for per_seed in zip(*(run[3].batches for run in runs), strict=True)]
    trainer(recorded, packed).fit(packed, train_dataloaders=Batches(batches))

    assert packed.iteration == ITERATIONS
    for index, (_, trained_alone, _, recorded_alone) in enumerate(runs):
        for iteration, (pack_row, alone_row) in enumerate(zip(recorded.losses, recorded_alone.losses, strict=True)):
            for key, value in alone_row.items():
                torch.testing.assert_close(pack_row[key][index], value, msg=f"seed {index} {key} at {iteration}")
        for network in ("generator", "discriminator", "sampling_generator"):
            mine, theirs = getattr(seeds[index], network).state_dict(), getattr(trained_alone, network).state_dict()
            assert mine.keys() == theirs.keys()
            for name, value in theirs.items():
                torch.testing.assert_close(mine[name], value, msg=f"seed {index} {network}.{name}")


def test_a_seed_network_is_a_view_of_the_pack_both_ways(make_config):
    modules = [seed_module(make_config, seed, "model=cnn", "data=digits")[0] for seed in SEEDS]
    weights = [module.discriminator.state_dict() for module in modules]
    weights = [{name: value.clone() for name, value in state.items()} for state in weights]
    packed = PackedGANModule(modules)
    stacks = {**packed.discriminators.stacked_parameters(), **packed.discriminators.stacked_buffers()}
    for index, state in enumerate(weights):  # each seed keeps its own initial weights (its seed's)
        for name, value in state.items():
            torch.testing.assert_close(stacks[name][index], value)
    assert not torch.equal(weights[0]["net.0.weight"], weights[1]["net.0.weight"])
    with torch.no_grad():  # the pack's step moves the seed's network ...
        packed.discriminators.stacked_parameters()["net.0.weight"][1].add_(1.0)
    torch.testing.assert_close(modules[1].discriminator.state_dict()["net.0.weight"], weights[1]["net.0.weight"] + 1)
    modules[2].discriminator.load_state_dict(weights[0])  # ... and loading a seed's checkpoint moves the pack
    stacked = packed.discriminators.stacked_parameters()["net.0.weight"]
    torch.testing.assert_close(stacked[2], weights[0]["net.0.weight"])
    packed.double()  # a new device or dtype: the seeds' networks follow the stacks
    assert modules[0].discriminator.state_dict()["net.0.weight"].dtype == torch.float64
    assert modules[0].discriminator.state_dict()["net.0.weight"].data_ptr() == (
        packed.discriminators.stacked_parameters()["net.0.weight"].data_ptr()
    )


@pytest.mark.parametrize(
    ("overrides", "said"),
    [
        (("trick=spectral_norm",), "spectral normalization (a parametrized layer) is not packed yet"),
        (
            ("optim.discriminator._target_=torch.optim.Adafactor", "~optim.discriminator.betas"),
            "optim.discriminator is Adafactor",
        ),
    ],
    ids=["spectral norm", "a coupled optimizer"],
)
def test_what_does_not_pack_is_refused_with_the_reason(make_config, overrides, said):
    modules = [seed_module(make_config, seed, "data=digits", *overrides)[0] for seed in SEEDS[:2]]
    with pytest.raises(ValueError, match="use another launcher") as refused:
        PackedGANModule(modules)
    assert said in str(refused.value)


def test_seeds_of_other_settings_are_not_packed_together(make_config):
    modules = [seed_module(make_config, 0, "data=digits")[0]]
    modules.append(seed_module(make_config, 1, "data=digits", "trick=flip")[0])
    with pytest.raises(ValueError, match="must share every setting but the seed"):
        PackedGANModule(modules)


@pytest.mark.parametrize("trick", ["instance_noise", "diffaugment"])
def test_the_tricks_randomness_is_each_samples_own_in_a_pack(make_config, trick):
    modules = [seed_module(make_config, seed, "model=cnn", "data=digits", f"trick={trick}")[0] for seed in SEEDS]
    packed = PackedGANModule(modules)
    same = torch.zeros(len(SEEDS), 4, 1, 8, 8)  # every seed's batch the same images
    changed = packed._discriminator_input(same, iteration=0)
    assert changed.shape == same.shape
    assert not torch.equal(changed[0], changed[1])  # each seed's samples drawn their own change
    assert not torch.equal(changed[0, 0], changed[0, 1])  # ... and each sample its own
