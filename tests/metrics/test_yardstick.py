"""One pinned yardstick: the digits', MNIST's and binarized MNIST's classifiers ship with ganlab, named by their
weights' SHA-256, and every run records the yardstick it was scored with."""

import json
import shutil

import pytest
import torch

from ganlab.errors import ConfigError
from ganlab.metrics import pinned
from ganlab.metrics.domain_classifier import load_or_train, read_cached, train_domain_classifier
from ganlab.metrics.pinned import pinned_classifier
from ganlab.metrics.yardstick import weights_sha256
from ganlab.train import run

MANIFEST = {"classifiers": pinned.manifest()}


@pytest.mark.parametrize("entry", MANIFEST["classifiers"], ids=lambda entry: entry["file"])
def test_each_shipped_classifier_holds_the_weights_its_manifest_pins(entry):
    classifier, accuracy = read_cached(pinned_classifier({**entry["data"], "split": "train"}).path)
    assert classifier.sha256 == entry["sha256"] and accuracy == entry["test_accuracy"] > 0.95


def test_mnist_of_either_split_and_binarized_mnist_read_their_own_pinned_classifier():
    mnist = {"_target_": "ganlab.data.mnist.MNISTDataModule", "binarize": False, "image_size": 28, "root": "/x"}
    assert pinned_classifier({**mnist, "split": "train"}).path.name == "mnist.pt"
    assert pinned_classifier({**mnist, "split": "test", "limit": 500}).path.name == "mnist.pt"
    assert pinned_classifier({**mnist, "binarize": True, "split": "test"}).path.name == "binary_mnist.pt"
    assert pinned_classifier({**mnist, "image_size": 32}) is None  # padded digits: none shipped, one is trained
    assert pinned_classifier({"_target_": "ganlab.data.cifar10.CIFAR10DataModule", "classes": ["horse"]}) is None


def test_a_run_scores_on_the_pinned_classifier_trains_none_and_records_its_hash(make_config, tmp_path,
                                                                                 session_data_dir):  # fmt: skip
    run(make_config("trainer=debug", f"metric.scores.cache_dir={tmp_path / 'cache'}"))
    status = json.loads((tmp_path / "run" / "status.json").read_text())
    digits = next(entry for entry in MANIFEST["classifiers"] if entry["file"] == "digits.pt")
    assert status["yardstick"]["sha256"] == digits["sha256"] and status["yardstick"]["pinned"] is True
    assert status["yardstick"]["id"] == f"classifier-{digits['sha256'][:16]}"
    assert not (tmp_path / "cache").exists()  # nothing trained, nothing cached
    final = json.loads((tmp_path / "run" / "final_scores.json").read_text())
    assert final["yardstick"] == status["yardstick"] and final["samples"] == 128 and final["real_samples"] == 128
    assert final["iteration"] == status["iteration"] and final["scores"]["classifier_fid"] > 0
    assert set(final["real"]) >= {"real_classifier_fid", "real_classifier_kid", "real_classifier_score"}


def test_a_damaged_pinned_file_is_named_with_what_to_do(make_config, tmp_path, monkeypatch):
    folder = tmp_path / "pinned_classifiers"
    shutil.copytree(str(pinned.folder()), folder)
    weights = torch.load(folder / "digits.pt", weights_only=True)
    weights["state_dict"]["head.bias"] += 1e-3
    torch.save(weights, folder / "digits.pt")
    monkeypatch.setattr(pinned, "folder", lambda: folder)
    damaged = r"the pinned classifier .*digits.pt holds weights [0-9a-f]{16}\.\.\., not the weights ganlab pinned"
    with pytest.raises(ConfigError, match=rf"metric: {damaged} .* reinstall ganlab, or set metric.scores.pinned=false"):
        run(make_config("trainer=debug"))


def test_a_trained_classifier_is_the_same_weights_whatever_the_threads(offline_data_files):
    images = torch.randint(0, 256, (300, 1, 8, 8), generator=torch.Generator().manual_seed(1), dtype=torch.uint8)
    labels = torch.arange(300) % 3
    threads = torch.get_num_threads()
    hashes = []
    try:
        for count in (1, 2):
            torch.set_num_threads(count)
            hashes.append(weights_sha256(train_domain_classifier(images, labels, epochs=1)[0].state_dict()))
    finally:
        torch.set_num_threads(threads)
    assert hashes[0] == hashes[1]


def test_a_damaged_cache_is_named_not_a_traceback(tmp_path):
    data = {"_target_": "ganlab.data.digits.DigitsDataModule"}
    (tmp_path / "cls").mkdir()
    (tmp_path / "cls" / "x.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match=r"x.pt: not a domain classifier ganlab saved \(.*\); delete it"):
        read_cached(tmp_path / "cls" / "x.pt")
    assert load_or_train(data, tmp_path / "cls")[2].name == "digits.pt"  # the pinned one, whatever the cache holds


def test_a_damaged_reference_cache_is_computed_again(make_config, tmp_path, caplog):
    references = tmp_path / "references"
    run(make_config("trainer=debug", f"metric.scores.reference_dir={references}", output_dir=tmp_path / "first"))
    (cache,) = references.glob("*.pt")
    first = json.loads((tmp_path / "first" / "final_scores.json").read_text())["real"]
    cache.write_bytes(b"\x00 not a cache")
    with caplog.at_level("WARNING"):
        run(make_config("trainer=debug", f"metric.scores.reference_dir={references}", output_dir=tmp_path / "again"))
    assert f"{cache} cannot be read" in caplog.text
    assert json.loads((tmp_path / "again" / "final_scores.json").read_text())["real"] == first
