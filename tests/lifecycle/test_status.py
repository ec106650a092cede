import json
import platform
from pathlib import Path

import pytorch_lightning
import torch
from pytorch_lightning import Callback, seed_everything

from ganlab.build import build_run
from ganlab.lifecycle.status_file import write_status


def test_write_status_replaces_the_file_whole(tmp_path):
    path = tmp_path / "deep" / "status.json"
    write_status(path, "running", iteration=3)
    write_status(path, "completed", iteration=10)
    record = json.loads(path.read_text())
    assert record["status"] == "completed" and record["iteration"] == 10 and "updated" in record
    assert [p.name for p in path.parent.iterdir()] == ["status.json"]  # no temporary file left behind


def test_a_run_in_progress_says_running_and_how_far_it_got(make_config, tmp_path):
    status_file = tmp_path / "run" / "status.json"
    seen = []

    class ReadStatusAfterEachBatch(Callback):
        def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
            seen.append(json.loads(status_file.read_text()))

    seed_everything(0)
    datamodule, module, trainer = build_run(make_config("trainer=debug", "lifecycle.status.every_n_steps=2"))
    trainer.callbacks.append(ReadStatusAfterEachBatch())
    trainer.fit(module, datamodule=datamodule)
    assert {record["status"] for record in seen} == {"running"}
    assert [record["iteration"] for record in seen] == [0, 2, 2, 4, 4]  # rewritten every 2 iterations
    assert json.loads(status_file.read_text())["status"] == "completed"


def test_status_records_the_versions_machine_and_threads_a_run_trained_with(make_config, tmp_path):
    """A seeded run repeats bit for bit only with the same torch, processor, CPU kernels and CPU threads: the run
    directory says which."""
    seed_everything(0)
    datamodule, module, trainer = build_run(make_config("trainer=debug"))
    trainer.fit(module, datamodule=datamodule)
    environment = json.loads((tmp_path / "run" / "status.json").read_text())["environment"]
    assert environment["torch"] == torch.__version__
    assert environment["pytorch_lightning"] == pytorch_lightning.__version__
    assert environment["cpu_threads"] == torch.get_num_threads() and environment["device"] == "cpu"
    assert environment["python"] == platform.python_version() and environment["host"] == platform.node()
    assert environment["cpu_capability"] == torch.backends.cpu.get_cpu_capability()  # e.g. AVX512, AVX2, DEFAULT
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():  # Linux names the model; elsewhere Python's platform module does, or nothing
        assert environment["processor"] and f": {environment['processor']}" in cpuinfo.read_text()
