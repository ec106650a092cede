"""Fixtures shared by the tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from omegaconf import DictConfig

from tests.helpers import compose_config


@pytest.fixture
def make_config(tmp_path):
    """make_config(*overrides) -> a composed run config writing into tmp_path/run."""

    def make(*overrides: str, output_dir: Path | None = None) -> DictConfig:
        return compose_config(output_dir or tmp_path / "run", *overrides)

    return make
