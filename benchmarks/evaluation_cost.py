"""What each score costs per evaluation at ganlab's default sizes, side by side in one process.

    python benchmarks/evaluation_cost.py [--dims 128 2048] [--real 10000] [--fake 1000 10000] [--repeats 3]

Random features stand in for the feature network's (the cost of a score does not depend on their values);
the network's own forward pass is left out, since every score shares it. Per size: FID and KID as ganlab
computes them (torchmetrics on precomputed features, KID over 20 subsets for the classifier's 128 features
and torchmetrics' 100 for Inception's 2048), and precision, recall, density and coverage
(ganlab.metrics.manifold, the real balls computed once, as a run does). Medians of --repeats. Not run by pytest.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import torch
from torchmetrics.image.fid import FrechetInceptionDistance
from torchmetrics.image.kid import KernelInceptionDistance

from ganlab.metrics.manifold import ManifoldScores


class Precomputed(torch.nn.Module):
    def __init__(self, num_features: int) -> None:
        super().__init__()
        self.num_features = num_features

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return features


def timed(work, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dims", type=int, nargs="+", default=[128, 2048])
    parser.add_argument("--real", type=int, default=10_000)
    parser.add_argument("--fake", type=int, nargs="+", default=[1000, 10_000])
    parser.add_argument("--repeats", type=int, default=3)
    arguments = parser.parse_args()
    print(f"torch threads: {torch.get_num_threads()}; real reference {arguments.real}")
    print("| features | generated | FID + KID, s | precision/recall/density/coverage, s | ratio |")
    print("|---|---|---|---|---|")
    warnings.filterwarnings("ignore", message=".*will save all extracted features")
    for dims in arguments.dims:
        generator = torch.Generator().manual_seed(0)
        real = torch.randn(arguments.real, dims, generator=generator)
        manifold = ManifoldScores()
        started = time.perf_counter()
        manifold.set_real(real)
        once = time.perf_counter() - started
        for count in arguments.fake:
            fake = torch.randn(count, dims, generator=generator)
            fid = FrechetInceptionDistance(feature=Precomputed(dims), reset_real_features=False)
            subsets = 20 if dims <= 512 else 100
            kid = KernelInceptionDistance(
                feature=Precomputed(dims), reset_real_features=False, subsets=subsets, subset_size=min(1000, count)
            )
            fid.update(real, real=True)
            kid.update(real, real=True)

            def fid_kid(fid=fid, kid=kid, fake=fake) -> None:
                fid.reset()
                kid.reset()
                fid.update(fake, real=False)
                kid.update(fake, real=False)
                fid.compute()
                kid.compute()

            def manifold_scores(manifold=manifold, fake=fake) -> None:
                manifold.compute(fake)

            first, second = timed(fid_kid, arguments.repeats), timed(manifold_scores, arguments.repeats)
            print(f"| {dims} | {count} | {first:.2f} | {second:.2f} | {second / first:.2f} |")
        print(f"(the real balls, once per run and cached with the reference features: {once:.2f} s at {dims})")


if __name__ == "__main__":
    main()
