"""`python -m ganlab.classifier data=mnist`: train the data set's domain classifier once, ahead of runs.

It is the classifier `metric=classifier` computes its scores with (see ganlab.metrics.domain_classifier):
trained on 90% of the data set's labelled images (every class of it), on one CPU thread, tested on the other
10%, cached under `cache_dir` with that accuracy. A cached one is reported, not retrained, unless
`retrain=true`; for the data sets ganlab ships a pinned classifier for (the digits, MNIST, binarized MNIST)
that one is reported, unless `pinned=false`. It prints the file's SHA-256: the yardstick id runs record.
"""

from __future__ import annotations

import sys

import hydra
from omegaconf import DictConfig, OmegaConf

from ganlab.lightning_fastpath.process_exit import run_then_exit
from ganlab.metrics.cache import CacheNotWritten, make_cache_dir


@hydra.main(version_base="1.3", config_path="pkg://ganlab.conf", config_name="classifier")
def main(cfg: DictConfig) -> None:
    if not isinstance(cfg.epochs, int) or cfg.epochs < 1:
        print(f"ganlab.classifier: epochs = {cfg.epochs!r}: must be a positive integer", file=sys.stderr)
        sys.exit(2)
    for key in ("retrain", "pinned"):
        if not isinstance(cfg[key], bool):
            print(f"ganlab.classifier: {key} = {cfg[key]!r}: must be true or false", file=sys.stderr)
            sys.exit(2)
    try:
        make_cache_dir(cfg.cache_dir)
        # imported once the arguments are checked, as in ganlab.train: torch and Lightning take seconds to import
        from ganlab.metrics.domain_classifier import load_or_train
        from ganlab.metrics.yardstick import network_yardstick

        data = OmegaConf.to_container(cfg.data, resolve=True)
        classifier, accuracy, path = load_or_train(
            data, cfg.cache_dir, cfg.epochs, retrain=cfg.retrain, pinned=cfg.pinned
        )
        yardstick = network_yardstick("classifier", path, classifier.sha256)
    except CacheNotWritten as error:
        print(f"ganlab.classifier: {error}", file=sys.stderr)
        sys.exit(2)
    except (ValueError, OSError) as error:
        print(f"ganlab.classifier: data: {error}", file=sys.stderr)
        sys.exit(2)
    shipped = cfg.pinned and path.parent.name == "pinned_classifiers"
    where = "pinned: shipped with ganlab, runs on this data score with it" if shipped else "runs here score with it"
    print(f"{path}: test accuracy {accuracy:.4f}, weights' SHA-256 {yardstick['sha256']}, yardstick {yardstick['id']} "
          f"({where})")  # fmt: skip


if __name__ == "__main__":
    run_then_exit(main)  # without the final garbage collection (ganlab.lightning_fastpath.process_exit)
