"""The memorization audit on generators whose answer is known: one that returns training images, and real
images it never trained on."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch
from torch import nn

from ganlab.build import build_datamodule
from ganlab.callbacks.memorization import MemorizationAudit
from ganlab.latent import LatentPrior
from ganlab.metrics.memorization import audit_copies, nearest
from ganlab.run_record import RunRecord
from ganlab.train import run
from tests.helpers import compose_config, read_metrics


def cloud(count: int, seed: int) -> torch.Tensor:
    return torch.randn(count, 16, generator=torch.Generator().manual_seed(seed))


def test_nearest_can_leave_each_row_itself_out():
    points = torch.tensor([[0.0], [1.0], [3.0]])
    assert nearest(points, points)[0].tolist() == [0.0, 0.0, 0.0]
    distances, indices = nearest(points, points, chunk=2, own_rows=torch.arange(3))
    assert distances.tolist() == [1.0, 1.0, 2.0] and indices.tolist() == [1, 0, 1]
    distances, _ = nearest(points[[2, 0]], points, own_rows=torch.tensor([2, 0]))  # a sample of the rows
    assert distances.tolist() == [2.0, 1.0]


def test_training_images_are_copies_and_unseen_ones_score_about_one_percent():
    training, held_out, unseen = cloud(2000, 0), cloud(2000, 1), cloud(2000, 2)
    assert audit_copies(training[:500], training, held_out).fraction == 1.0
    assert audit_copies(unseen, training, held_out).fraction == pytest.approx(0.01, abs=0.01)
    # without held-out images, each training image's nearest other one sets the threshold: about the same (the
    # 1st percentile of 2000 distances rests on its 20 smallest)
    left_one_out = audit_copies(unseen, training)
    assert not left_one_out.held_out and left_one_out.fraction == pytest.approx(0.01, abs=0.015)
    assert audit_copies(training[:500], training).fraction == 1.0


class CopyingGenerator(nn.Module):
    """Returns the data set's training images, in order, whatever the latents."""

    def __init__(self, images: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("images", images)
        self.served = 0

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        rows = torch.arange(self.served, self.served + len(z)) % len(self.images)
        self.served += len(z)
        return self.images[rows]


def test_the_audit_of_a_copying_generator_says_copies_and_draws_them(tmp_path, make_config):
    datamodule = build_datamodule(compose_config(tmp_path / "run", "metric=none", "data.limit=300"))
    training = datamodule.training_images.float() / 127.5 - 1  # the data's range, [-1, 1]
    logged = []
    record = RunRecord(yardstick={"id": "pixels"})  # a metric without a feature space: pixels alone
    logger = SimpleNamespace(log_metrics=lambda metrics, step: logged.append(metrics))
    trainer = SimpleNamespace(datamodule=datamodule, world_size=1, is_global_zero=True, limit_val_batches=1.0,
                              loggers=[logger])
    module = SimpleNamespace(sampling_generator=CopyingGenerator(training), discriminator=nn.Identity(),
                             latent=LatentPrior(4), device=torch.device("cpu"), iteration=7, record=record)  # fmt: skip
    audit = MemorizationAudit(dirpath=str(tmp_path / "memorization"), num_samples=200)
    audit.on_train_end(trainer, module)
    assert logged == [{"val/copies": 1.0}]  # held-out: the 1497 digits outside data.limit
    assert (tmp_path / "memorization" / "copies.png").read_bytes()[:4] == b"\x89PNG"


def test_a_run_ends_with_its_copies_fraction_and_picture(make_config, tmp_path):
    run(make_config("trainer=debug", "data.limit=200"))  # debug's evaluation limit audits 8 samples
    final = read_metrics(tmp_path / "run", "val/copies")[-1]
    assert 0.0 <= float(final["val/copies"]) <= 1.0 and 0.0 <= float(final["val/copies_features"]) <= 1.0
    assert (tmp_path / "run" / "memorization" / "copies.png").is_file()
