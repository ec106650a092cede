"""The Trainer's profiler: ganlab's cheap pass-through by default, Lightning's profilers on request."""

import pytorch_lightning as pl
from pytorch_lightning.profilers import SimpleProfiler

from ganlab.build import build_run
from ganlab.lightning_fastpath.null_profiler import NullProfiler

FAST = ["trainer=debug", "metric=none"]


def test_null_profiler_yields_the_action_name_and_records_nothing():
    profiler = NullProfiler()
    with profiler.profile("run_training_batch") as action:
        assert action == "run_training_batch"
    assert profiler.summary() == ""


def test_a_run_gets_the_null_profiler_unless_it_asks_for_one(make_config):
    _, _, trainer = build_run(make_config(*FAST))
    assert type(trainer.profiler) is NullProfiler


def test_trainer_profiler_simple_still_times_lightnings_steps_and_each_callbacks_hooks(make_config):
    pl.seed_everything(0)
    datamodule, module, trainer = build_run(make_config(*FAST, "trainer.profiler=simple"))
    assert isinstance(trainer.profiler, SimpleProfiler)
    trainer.fit(module, datamodule=datamodule)
    durations = trainer.profiler.recorded_durations
    assert len(durations["run_training_batch"]) == 5  # trainer=debug's five iterations
    assert len(durations["[Callback]DivergenceGuard.on_train_batch_end"]) == 5
