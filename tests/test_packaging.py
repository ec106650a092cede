"""ganlab as users install and extend it: a wheel away from the checkout, and a project of their own."""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import torch

from tests.helpers import read_metrics

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "docs" / "examples" / "my_project"


def clean_env() -> dict[str, str]:
    """The test's environment without anything that would put the checkout on the import path."""
    return {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "HYDRA_FULL_ERROR")}


@pytest.fixture(scope="module")
def installed_wheel(tmp_path_factory) -> Path:
    """A virtual environment holding ganlab's wheel and nothing of the checkout; its other packages
    (torch, Lightning, ...) are the test environment's, reached through a .pth line, so nothing is
    downloaded. Returns its python."""
    root = tmp_path_factory.mktemp("wheel")
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
         "--wheel-dir", str(root / "dist"), str(REPO)],
        capture_output=True, text=True, timeout=300, env=clean_env(),
    )  # fmt: skip
    assert build.returncode == 0, build.stdout + build.stderr
    (wheel,) = (root / "dist").glob("ganlab-*.whl")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / "venv")], check=True, timeout=120)
    python = root / "venv" / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    # paths only: the test environment's own .pth files (its editable ganlab among them) are not run
    ours = {sysconfig.get_paths()["purelib"], *site.getsitepackages()}
    Path(purelib, "test_environment.pth").write_text("\n".join(sorted(ours)) + "\n")
    install = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", str(wheel)],
        capture_output=True, text=True, timeout=300, env=clean_env(),
    )  # fmt: skip
    assert install.returncode == 0, install.stdout + install.stderr
    return python


def test_a_wheel_installed_away_from_the_checkout_trains_from_an_empty_directory(installed_wheel, tmp_path):
    where = subprocess.run(
        [installed_wheel, "-c", "import ganlab, ganlab.conf; print(ganlab.__file__)"],
        cwd=tmp_path, capture_output=True, text=True, env=clean_env(), timeout=120,
    )  # fmt: skip
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()).is_relative_to(installed_wheel.parents[1])  # the wheel's, not src/
    result = subprocess.run(
        [installed_wheel, "-m", "ganlab.train", "trainer=debug"],
        cwd=tmp_path, capture_output=True, text=True, env=clean_env(), timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    (run_dir,) = (tmp_path / "outputs").glob("*/*")
    status = json.loads((run_dir / "status.json").read_text())
    assert status["status"] == "completed"
    assert len(read_metrics(run_dir)) == 5
    # scored on the digits' classifier the wheel carries, checked against its pinned weights
    assert status["yardstick"]["pinned"] is True and Path(status["yardstick"]["file"]).is_relative_to(
        installed_wheel.parents[1])  # fmt: skip
    assert "model: cnn, dcgan, intermediate, mlp" in subprocess.run(
        [installed_wheel, "-m", "ganlab.train", "--help"], cwd=tmp_path, capture_output=True, text=True,
        env=clean_env(), timeout=120,
    ).stdout  # fmt: skip


def test_every_package_of_the_source_tree_is_listed_for_the_wheel():
    import tomllib

    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(path.parent.relative_to(REPO / "src").parts) for path in (REPO / "src").rglob("__init__.py")}
    assert found | {"ganlab.conf"} == listed


def ganlab_in(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ganlab.train", *args],
        cwd=project, capture_output=True, text=True, env=clean_env(), timeout=300,
    )  # fmt: skip


def test_a_model_and_a_trick_from_a_users_own_project(tmp_path):
    project = shutil.copytree(EXAMPLE, tmp_path / "my_project")
    result = ganlab_in(
        project, "hydra.searchpath=[file://my_conf]", "model=residual", "trick=[drift,ema]", "trainer=debug",
        "metric=none", "trainer.max_steps=6",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    (run_dir,) = (project / "outputs").glob("*/*")
    config = (run_dir / ".hydra" / "config.yaml").read_text()
    assert "_target_: my_package.networks.ResidualGenerator" in config
    assert "_target_: my_package.tricks.DriftPenalty" in config
    rows = read_metrics(run_dir)
    assert len(rows) == 6 and all(float(row["train/d_penalty"]) > 0 for row in rows)  # the drift penalty acted
    state = torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=False)["state_dict"]
    assert "generator.blocks.1.1.weight" in state  # the user's residual generator is what was trained
    # a bad value for the user's trick is refused before training, under the key the user sets
    refused = ganlab_in(project, "--config-dir", "my_conf", "model=residual", "trick=drift", "trick.drift.weight=-1")
    assert refused.returncode == 2
    assert "trick.drift.weight = -1: must be a number >= 0" in refused.stderr
    assert "Traceback" not in refused.stderr
