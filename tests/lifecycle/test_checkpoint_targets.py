"""A checkpoint is data: the callables its stored config names are never imported or called unless ganlab's
configs or the user's config folders declare them (ganlab.declared_targets), by ganlab.sample or by resume."""

import copy
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from ganlab.declared_targets import UndeclaredTarget, check_stored_config, declared_targets
from ganlab.errors import ConfigError
from ganlab.sample import SampleError, load_generator, sample
from ganlab.train import run
from tests.test_sample import sample_config

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "my_project"


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A finished tiny run's checkpoint, as {"path", "checkpoint"}."""
    from tests.helpers import compose_config

    run_dir = tmp_path_factory.mktemp("trained") / "run"
    run(compose_config(run_dir, "trainer=debug", "metric=none"))
    path = run_dir / "checkpoints" / "last.ckpt"
    return {"path": path, "checkpoint": torch.load(path, map_location="cpu", weights_only=True)}


def crafted(trained, folder: Path, change) -> Path:
    """A copy of the trained checkpoint whose stored config `change(config)` edited, saved as plain containers
    (so that torch's weights-only unpickler reads it, as it reads every ganlab checkpoint)."""
    checkpoint = copy.deepcopy(trained["checkpoint"])
    change(checkpoint["hyper_parameters"]["config"])
    folder.mkdir(parents=True, exist_ok=True)
    torch.save(checkpoint, folder / "last.ckpt")
    return folder / "last.ckpt"


def evil_module(tmp_path: Path, monkeypatch) -> Path:
    """A module on sys.path that writes a file when imported; returns the file it would write."""
    witness = tmp_path / "imported.txt"
    package = tmp_path / "site"
    package.mkdir()
    (package / "ganlab_evil_import.py").write_text(f"open({str(witness)!r}, 'w').write('ran')\nclass Thing: pass\n")
    monkeypatch.syspath_prepend(str(package))
    return witness


def attacks(tmp_path: Path, monkeypatch):
    """(name, change to the stored config, what must hold on disk afterwards) for callables that write, truncate,
    import, hide in a nested argument, or run a resolver."""
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    witness = evil_module(tmp_path, monkeypatch)

    def generator_is(node):
        return lambda config: config["model"].__setitem__("generator", node)

    # fmt: off
    return [
        ("open writes", generator_is({"_target_": "builtins.open", "file": str(tmp_path / "new.txt"), "mode": "w"}),
         "model.generator._target_ = 'builtins.open'"),
        ("open truncates", generator_is({"_target_": "builtins.open", "file": str(victim), "mode": "w"}),
         "model.generator._target_ = 'builtins.open'"),
        ("numpy writes", generator_is({"_target_": "numpy.savetxt", "fname": str(tmp_path / "new.txt"), "X": [1]}),
         "model.generator._target_ = 'numpy.savetxt'"),
        ("os truncates", lambda config: config["loss"].update(_target_="os.truncate", path=str(victim), length=0),
         "loss._target_ = 'os.truncate'"),
        ("import runs", generator_is({"_target_": "ganlab_evil_import.Thing"}),
         "model.generator._target_ = 'ganlab_evil_import.Thing'"),
        ("nested", lambda config: config["model"]["generator"].update(
            hidden={"_target_": "builtins.open", "file": str(tmp_path / "new.txt"), "mode": "w"}),
         "model.generator.hidden._target_ = 'builtins.open'"),
        ("resolver", lambda config: config["model"]["generator"].update(
            activation=f"${{ganlab_run_dir:null,{tmp_path / 'made' / 'dir'}}}"),
         "model.generator.activation = '${ganlab_run_dir"),
    ], victim, witness
    # fmt: on


def assert_nothing_happened(tmp_path: Path, victim: Path, witness: Path) -> None:
    assert victim.read_text() == "precious"
    assert not (tmp_path / "new.txt").exists() and not (tmp_path / "made").exists()
    assert not witness.exists() and "ganlab_evil_import" not in sys.modules


def test_sample_refuses_every_undeclared_callable_and_leaves_nothing_on_disk(trained, tmp_path, monkeypatch):
    cases, victim, witness = attacks(tmp_path, monkeypatch)
    for name, change, named in cases:
        path = crafted(trained, tmp_path / name, change)
        out = tmp_path / "out" / f"{name}.npz"
        with pytest.raises(SampleError) as refused:
            sample(sample_config(ckpt=str(path), out=str(out)))
        assert named in str(refused.value), name
        assert "is not imported or called" in str(refused.value) or "interpolation" in str(refused.value)
        assert not out.exists()
    assert_nothing_happened(tmp_path, victim, witness)


def test_resume_refuses_a_checkpoint_naming_other_code_before_building_anything(trained, make_config, tmp_path,
                                                                                 monkeypatch):  # fmt: skip
    cases, victim, witness = attacks(tmp_path, monkeypatch)
    for name, change, _ in cases:
        path = crafted(trained, tmp_path / name / "checkpoints", change)
        before = sorted(p.name for p in path.parent.parent.rglob("*"))
        with pytest.raises(ConfigError, match=r"was trained with another config: model\.|loss\."):
            run(make_config("trainer=debug", "metric=none", f"ckpt_path={path}"))
        assert sorted(p.name for p in path.parent.parent.rglob("*")) == before, name  # no status.json, no logs
    assert_nothing_happened(tmp_path, victim, witness)


def test_a_users_own_classes_build_through_their_config_folder_or_an_explicit_trust(trained, tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLE))
    residual = {"_target_": "my_package.networks.ResidualGenerator", "width": 16, "blocks": 1,
                "output_activation": "tanh"}  # fmt: skip
    path = crafted(trained, tmp_path / "mine", lambda config: config["model"].__setitem__("generator", residual))
    with pytest.raises(SampleError, match="'my_package.networks.ResidualGenerator' is not declared"):
        load_generator(path)
    # the checkpoint's weights are the MLP's, so the residual generator cannot take them: built, then refused
    # for its weights (not for its target), with the folder that declares it or with trust
    for options in ({"search_path": [f"file://{EXAMPLE / 'my_conf'}"]}, {"trust": True}):
        with pytest.raises(SampleError, match="cannot rebuild its networks with this ganlab"):
            load_generator(path, **options)
    assert "my_package.networks.ResidualGenerator" in declared_targets((f"file://{EXAMPLE / 'my_conf'}",))


def test_every_shipped_option_declares_what_its_checkpoint_names(trained, tmp_path):
    check_stored_config(trained["checkpoint"]["hyper_parameters"]["config"], "trained")  # no refusal
    out = sample(sample_config(ckpt=str(trained["path"]), out=str(tmp_path / "s.npz")))
    assert np.load(out)["arr_0"].shape[0] == 10
    with pytest.raises(UndeclaredTarget, match=r"^x: _target_ = 'builtins.eval' is not declared"):
        check_stored_config({"_target_": "builtins.eval"}, "x")
