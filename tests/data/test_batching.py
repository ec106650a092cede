import torch

from ganlab.data.batching import SampledBatches, TensorBatches, epoch_generator
from ganlab.images import uint8_to_range


def test_uint8_pixels_map_onto_the_requested_range():
    pixels = torch.tensor([0, 128, 255], dtype=torch.uint8)
    assert torch.allclose(uint8_to_range(pixels, (-1.0, 1.0)), torch.tensor([-1.0, 128 / 127.5 - 1, 1.0]), atol=1e-6)
    assert torch.allclose(uint8_to_range(pixels, (0.0, 1.0)), torch.tensor([0.0, 128 / 255, 1.0]), atol=1e-6)


def test_each_epoch_is_a_full_permutation_without_the_last_partial_batch():
    images = torch.arange(10, dtype=torch.uint8).view(10, 1, 1, 1)
    batches = TensorBatches(images, batch_size=3, value_range=(0.0, 255.0), seed=0)
    assert len(batches) == 3
    seen = torch.cat([batch.flatten() for batch in batches]).long()
    assert len(seen) == 9 and len(set(seen.tolist())) == 9  # no repeats; one image left out


def epoch_order(batches, epoch):
    batches.set_start(epoch)
    return torch.cat([batch.flatten() for batch in batches]).tolist()


def test_shuffles_depend_only_on_seed_and_epoch():
    """The order of epoch e must not depend on what came before: a resumed run starts at epoch e."""
    images = torch.arange(50, dtype=torch.uint8).view(50, 1, 1, 1)
    first = TensorBatches(images, 5, (0.0, 255.0), seed=1)
    second = TensorBatches(images, 5, (0.0, 255.0), seed=1)
    assert epoch_order(first, 0) != epoch_order(first, 1)
    assert epoch_order(first, 3) == epoch_order(second, 3)  # second never saw epochs 0-2
    assert epoch_order(first, 3) != epoch_order(TensorBatches(images, 5, (0.0, 255.0), seed=2), 3)


def test_epoch_batches_are_the_images_of_the_seeded_permutation_in_order():
    """What a seed means for the data: runs of earlier releases saw these same batches."""
    images = torch.randint(0, 256, (23, 3, 4, 5), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    batches = TensorBatches(images, 4, (-1.0, 1.0), seed=7)
    batches.set_start(2)
    order = torch.randperm(23, generator=epoch_generator(7, 0, 2))
    expected = [uint8_to_range(images[order[start : start + 4]], (-1.0, 1.0)) for start in range(0, 20, 4)]
    got = list(batches)
    assert len(got) == len(expected) == 5
    assert all(torch.equal(a, b) and a.shape == (4, 3, 4, 5) for a, b in zip(got, expected, strict=True))


def test_ranks_share_one_permutation_in_disjoint_parts():
    images = torch.arange(40, dtype=torch.uint8).view(40, 1, 1, 1)
    parts = [epoch_order(TensorBatches(images, 4, (0.0, 255.0), seed=0, rank=r, world_size=2), 0) for r in (0, 1)]
    assert len(parts[0]) == len(parts[1]) == 20
    assert not set(parts[0]) & set(parts[1])


def test_sampled_batches_are_fresh_each_epoch_and_reproducible():
    def sample(n, generator):
        return torch.rand(n, 2, generator=generator)

    stream = SampledBatches(sample, batch_size=4, batches_per_epoch=3, seed=0)
    assert len(stream) == 3 and len(list(stream)) == 3
    stream.set_start(0)
    epoch0 = torch.cat(list(stream))
    stream.set_start(1)
    assert not torch.equal(epoch0, torch.cat(list(stream)))
    stream.set_start(0)
    assert torch.equal(epoch0, torch.cat(list(stream)))
    other_rank = SampledBatches(sample, 4, 3, seed=0, rank=1)
    assert not torch.equal(epoch0, torch.cat(list(other_rank)))


def test_epoch_seed_generators_differ_by_seed_rank_and_epoch():
    draws = set()
    for seed, rank, epoch in [(0, 0, 0), (1, 0, 0), (0, 1, 0), (0, 0, 1)]:
        draws.add(torch.rand(1, generator=epoch_generator(seed, rank, epoch)).item())
    assert len(draws) == 4
