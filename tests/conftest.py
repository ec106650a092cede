"""Fixtures shared by the tests."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
import torch
from omegaconf import DictConfig

from tests.data.on_disk import (
    accept_cifar10_checksums,
    mnist_like,
    write_cifar10,
    write_image_folder,
    write_mnist_split,
)
from tests.helpers import compose_config

_LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")

# pytest-xdist runs a worker per core: one torch thread each keeps them from competing for the cores. The
# processes tests start (`python -m ganlab.train`, DDP's second process) inherit OMP_NUM_THREADS, which
# torch reads: with a thread per core each, they and the other worker oversubscribed the cores (the
# subprocess tests took 15-20% longer on 2 cores).
if os.environ.get("PYTEST_XDIST_WORKER"):
    torch.set_num_threads(1)
    os.environ.setdefault("OMP_NUM_THREADS", "1")


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Tests never touch the network: a connection or name lookup for another machine fails at once,
    as it would on an offline machine."""
    connect, getaddrinfo = socket.socket.connect, socket.getaddrinfo

    def local_only_connect(sock, address):
        host = address[0] if isinstance(address, tuple) else address
        if sock.family == socket.AF_UNIX or host in _LOCAL_HOSTS or str(host).startswith("127."):
            return connect(sock, address)
        raise OSError(f"tests must not use the network (connection to {address} refused)")

    def local_only_getaddrinfo(host, *args, **kwargs):
        if host is None or host in _LOCAL_HOSTS or str(host).startswith("127."):
            return getaddrinfo(host, *args, **kwargs)
        raise socket.gaierror(f"tests must not use the network (lookup of {host} refused)")

    monkeypatch.setattr(socket.socket, "connect", local_only_connect)
    monkeypatch.setattr(socket, "getaddrinfo", local_only_getaddrinfo)


@pytest.fixture(autouse=True, scope="session")
def session_data_dir(tmp_path_factory):
    """paths.data_dir of every test run (classifiers and references are cached there), never ~/.cache.
    W&B runs offline in every test and every process a test starts, even on a machine logged in to W&B
    (its uploads come from a process of its own, which the socket guard above cannot see)."""
    path = tmp_path_factory.mktemp("data_dir")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GANLAB_DATA_DIR", str(path))
        patch.setenv("WANDB_MODE", "offline")
        yield path


@pytest.fixture
def make_config(tmp_path):
    """make_config(*overrides) -> a composed run config writing into tmp_path/run."""

    def make(*overrides: str, output_dir: Path | None = None) -> DictConfig:
        return compose_config(output_dir or tmp_path / "run", *overrides)

    return make


@pytest.fixture(scope="session")
def offline_data_files(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """Small MNIST, CIFAR-10 and image-folder sets on disk, written once per test process, and the md5s of
    the CIFAR-10 files. Tests only read them; the classifiers and references cached beside them are
    trained once, not once per test."""
    root = tmp_path_factory.mktemp("offline_data")
    write_mnist_split(root, "train", *mnist_like(64))
    cifar_md5 = write_cifar10(root, per_batch=20)
    write_image_folder(root / "folder", {"a": 10, "b": 6})
    return root, cifar_md5


@pytest.fixture
def offline_data(offline_data_files, monkeypatch):
    """offline_data(option) gives the overrides that point that data option at the small data sets on disk
    (and keep batches small enough for them)."""
    root, cifar_md5 = offline_data_files
    accept_cifar10_checksums(monkeypatch, cifar_md5)
    # Inception's weights cannot be downloaded in a test: image sets that default to it use the classifier
    extra = {
        "mnist": ["data.download=false", "data.batch_size=8"],
        "binary_mnist": ["data.download=false", "data.batch_size=8"],
        "cifar10": ["data.download=false", "data.batch_size=8", "metric=classifier"],
        "cifar_horses": ["data.download=false", "data.batch_size=8", "metric=classifier"],
        "folder": [f"data.root={root / 'folder'}", "data.num_workers=0", "data.batch_size=8", "metric=classifier"],
    }

    def overrides(option: str) -> list[str]:
        return [f"paths.data_dir={root}", *extra.get(option, [])]

    return overrides
