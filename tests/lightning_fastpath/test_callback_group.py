"""A run's callbacks reach Lightning as one CallbackGroup; each hook reaches the members that implement it."""

from collections import Counter

import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import ModelCheckpoint
from pytorch_lightning.profilers import PassThroughProfiler

from ganlab.build import build_run
from ganlab.callbacks.progress import ProgressStrip
from ganlab.lifecycle.random_state import RandomStates
from ganlab.lightning_fastpath.callback_group import CallbackGroup, every_callback, grouped

FAST = ["trainer=debug", "metric=none"]


class CallbackVisits(PassThroughProfiler):
    """Counts the profiler actions Lightning and the group open around each callback hook call."""

    def __init__(self) -> None:
        super().__init__()
        self.visits = Counter()

    def start(self, action_name: str) -> None:
        if action_name.startswith("[Callback]"):
            self.visits[action_name] += 1


class Recorder(pl.Callback):
    def __init__(self, name: str, calls: list) -> None:
        self.name, self.calls = name, calls

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        self.calls.append((self.name, pl_module.iteration))


def test_lightning_visits_the_group_once_per_hook_and_only_implementing_members_after_it(make_config, tmp_path):
    pl.seed_everything(0)
    datamodule, module, trainer = build_run(make_config(*FAST, "trainer.max_steps=20", output_dir=tmp_path))
    top_level = [type(callback).__name__ for callback in trainer.callbacks]
    assert top_level.count("CallbackGroup") == 1 and "RunCheckpoint" in top_level
    members = trainer.callbacks[top_level.index("CallbackGroup")].members
    assert len(members) >= 10 and list(every_callback(trainer)).count(trainer.checkpoint_callback) == 1
    trainer.profiler = visits = CallbackVisits()
    trainer.fit(module, datamodule=datamodule)

    # an iteration under manual optimization runs the 2 batch hooks and, per update, the backward and
    # optimizer-step hooks: one visit each to the group and to Lightning's callbacks, and visits to members only
    # for the hooks they implement (a batch's end)
    member_keys = {member.state_key for member in members}
    assert not [
        action for action in visits.visits
        if action.endswith(("on_before_backward", "on_after_backward", "on_before_optimizer_step"))
        and action.removeprefix("[Callback]").rsplit(".", 1)[0] in member_keys
    ]  # fmt: skip
    ending = {action for action in visits.visits if action.endswith(".on_train_batch_end")}
    visited = [m for m in members if type(m).on_train_batch_end is not pl.Callback.on_train_batch_end]
    visited += [trainer.callbacks[top_level.index("CallbackGroup")], trainer.checkpoint_callback]
    assert ending == {f"[Callback]{callback.state_key}.on_train_batch_end" for callback in visited}
    assert visits.visits["[Callback]DivergenceGuard.on_train_batch_end"] == 20


def test_members_are_called_in_their_order_and_lightnings_own_callbacks_stay_outside():
    calls = []
    checkpoint = ModelCheckpoint()
    callbacks = grouped([Recorder("first", calls), checkpoint, Recorder("second", calls)])
    assert [type(callback) for callback in callbacks] == [CallbackGroup, ModelCheckpoint]
    callbacks[0].on_train_batch_end(pl.Trainer(logger=False), type("Module", (), {"iteration": 7})(), None, None, 0)
    assert calls == [("first", 7), ("second", 7)]
    assert grouped([checkpoint, Recorder("alone", calls)])[1].name == "alone"  # a lone member needs no group


def test_a_checkpoint_keeps_each_members_state_and_a_new_group_restores_it(make_config, tmp_path):
    pl.seed_everything(0)
    datamodule, module, trainer = build_run(make_config(*FAST, output_dir=tmp_path))
    trainer.fit(module, datamodule=datamodule)
    saved = torch.load(tmp_path / "checkpoints" / "last.ckpt", weights_only=False)["callbacks"]["CallbackGroup"]
    assert {"RandomStates", "TrainingFindings", "ProgressStrip"} <= saved.keys()
    assert len(saved["ProgressStrip"]["rows"]) == 1  # the strip's row of the run's one epoch

    strip = ProgressStrip(dirpath=str(tmp_path / "elsewhere"))
    CallbackGroup([RandomStates(), strip]).load_state_dict(saved)
    assert len(strip.rows) == 1 and (strip.rows[0] == saved["ProgressStrip"]["rows"][0].numpy()).all()
