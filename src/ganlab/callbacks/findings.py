"""Two ways a GAN fails that are findings of a study, not errors: D winning outright, and mode collapse.

- `d_wins`: D's loss stays below `d_loss_below` for `patience` iterations in a row: D tells every real
  sample from every fake one and G's gradients vanish (the failure the DCGAN-on-MNIST write-up describes).
  It reads D's loss in the metrics rows as the module writes them (`ganlab.training_rows`: every row, in
  blocks of 50, numbers on the host by then, so no wait for the device of its own), passed on by the run's
  record (ganlab.run_record). A loss whose D loss
  has no floor (wasserstein) has no such level, and the rule does not apply to it; label smoothing raises
  the floor (about 0.33 at real_target 0.9), so raise `d_loss_below` with it.
- `mode_collapse`: the metric's own `modes_covered` (metric=classifier, the toy curve's metric) stays at
  `modes_at_most` or fewer at every evaluation for `patience` iterations, or is at most that at the end of
  training. A G's first few hundred updates often draw one blurred shape that a classifier puts in one
  class before G spreads over the data (ganlab's default MLP on digits: one class from iteration 400 to
  700, all ten by 1500): counting a single evaluation, every run of a sweep evaluated that early was
  flagged, and `action: stop` ended runs that would have learned. The evaluation at iteration 0, of the
  untrained G, is not counted.

Each rule's `action` is `warn` (a warning in train.log and an entry in status.json's `findings`, which the
sweep report lists; training goes on), `stop` (the run ends `diverged`, with the finding as its reason)
or `off`. A finding is recorded once per episode: when the condition starts, again only after it cleared.
"""

from __future__ import annotations

import logging
from typing import Any

import pytorch_lightning as pl
from pytorch_lightning.utilities import rank_zero_only

from ganlab.contracts import TrainingState
from ganlab.errors import InvalidValue
from ganlab.lifecycle.status_file import Diverged
from ganlab.run_record import RunRecord
from ganlab.value_checks import is_int, is_number

log = logging.getLogger(__name__)
ACTIONS = ("warn", "stop", "off")


def _action(name: str, value: Any) -> str:
    if value not in ACTIONS:
        raise InvalidValue(name, value, f"one of {', '.join(ACTIONS)}")
    return value


class TrainingFindings(pl.Callback):
    def __init__(
        self,
        d_wins: dict[str, Any] | None = None,
        mode_collapse: dict[str, Any] | None = None,
    ) -> None:
        d_wins = {"action": "warn", "d_loss_below": 0.05, "patience": 500, **(d_wins or {})}
        mode_collapse = {"action": "warn", "modes_at_most": 1, "patience": 1000, **(mode_collapse or {})}
        self.d_wins_action = _action("d_wins.action", d_wins["action"])
        self.d_loss_below, self.patience = d_wins["d_loss_below"], d_wins["patience"]
        if not is_number(self.d_loss_below):
            raise InvalidValue("d_wins.d_loss_below", self.d_loss_below, "a number (D's loss level taken as winning)")
        if not (is_int(self.patience) and self.patience >= 1):
            raise InvalidValue("d_wins.patience", self.patience, "a positive number of iterations")
        self.collapse_action = _action("mode_collapse.action", mode_collapse["action"])
        self.modes_at_most = mode_collapse["modes_at_most"]
        if not (is_int(self.modes_at_most) and self.modes_at_most >= 0):
            raise InvalidValue("mode_collapse.modes_at_most", self.modes_at_most, "an integer >= 0")
        self.collapse_patience = mode_collapse["patience"]
        if not (is_int(self.collapse_patience) and self.collapse_patience >= 0):
            raise InvalidValue("mode_collapse.patience", self.collapse_patience, "a number of iterations >= 0")
        self.findings: list[dict[str, Any]] = []  # kept in checkpoints, and published to the run's record
        # the episodes under way: since when D has been winning and since when the modes have been lost (None:
        # they are not), and whether the loss of modes has been recorded
        self._winning_since: int | None = None
        self._collapsed_since: int | None = None
        self._collapse_found = False
        self._evaluated_at = -1  # the iteration of the last evaluation looked at
        self._record: RunRecord | None = None
        self._rows_apart = 1  # trainer.log_every_n_steps: the iterations between two rows
        self._d_loss_has_floor = True  # whether the loss's D loss has a level D wins below

    def state_dict(self) -> dict[str, Any]:
        return {
            "findings": self.findings,
            "winning_since": self._winning_since,
            "collapsed_since": self._collapsed_since,
            "collapse_found": self._collapse_found,
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.findings, self._winning_since = list(state_dict["findings"]), state_dict["winning_since"]
        self._collapsed_since, self._collapse_found = state_dict["collapsed_since"], state_dict["collapse_found"]

    def setup(self, trainer: pl.Trainer, pl_module: TrainingState, stage: str) -> None:
        self._rows_apart = trainer.log_every_n_steps
        self._d_loss_has_floor = pl_module.loss.decision_threshold is not None
        pl_module.record.read_rows(self._read_rows)

    def on_fit_start(self, trainer: pl.Trainer, pl_module: TrainingState) -> None:
        # a resumed run's findings were restored by now (load_state_dict); status.json writes them from the record
        self._record = pl_module.record
        self._record.findings.extend(self.findings)

    def on_train_batch_end(self, trainer, pl_module: TrainingState, outputs, batch, batch_idx) -> None:
        self._check_modes()

    def on_train_end(self, trainer: pl.Trainer, pl_module: TrainingState) -> None:
        pl_module.write_training_rows()  # the last rows reach _read_rows
        self._check_modes(final=True)

    def _read_rows(self, rows) -> None:
        """D's loss in a block of rows as the module writes it (ganlab.run_record)."""
        if self.d_wins_action == "off" or not self._d_loss_has_floor:
            return
        for step, _, values in rows:
            if "train/d_loss" in values:
                self._check_d_wins(step + 1, values["train/d_loss"], self._rows_apart)

    def _check_d_wins(self, iteration: int, d_loss: float, iterations_between_rows: int) -> None:
        if d_loss >= self.d_loss_below:
            self._winning_since = None
            return
        if self._winning_since is None:
            self._winning_since = iteration
        # reported once per stretch: at its first row at least `patience` iterations into it
        elif self.patience <= iteration - self._winning_since < self.patience + iterations_between_rows:
            self._found(
                "d_wins",
                iteration,
                f"D's loss has stayed below {self.d_loss_below} since iteration {self._winning_since}: D wins "
                "outright and G's gradients vanish",
                self.d_wins_action,
            )

    def _check_modes(self, final: bool = False) -> None:
        """The latest evaluation's mode count. `final`: the end of training, where a collapse counts however
        short, and whose evaluation may share its iteration with the last scheduled one."""
        if self.collapse_action == "off":
            return
        latest = self._record.latest if self._record is not None else None
        modes = latest.scores.get("modes_covered") if latest is not None else None
        if modes is None or (latest.iteration == self._evaluated_at and not final):
            return  # no mode count, or nothing new
        iteration = self._evaluated_at = latest.iteration
        if iteration == 0:  # the untrained G's samples: nothing has collapsed yet
            return
        if modes > self.modes_at_most:
            self._collapsed_since, self._collapse_found = None, False
            return
        if self._collapsed_since is None:
            self._collapsed_since = iteration
        lasted = iteration - self._collapsed_since
        if not self._collapse_found and (lasted >= self.collapse_patience or final):
            self._collapse_found = True
            detail = (
                f"the samples cover {modes:g} mode(s); at most {self.modes_at_most} (collapse) at every evaluation "
                f"since iteration {self._collapsed_since}"
            )
            end = ", to the end of training" if lasted < self.collapse_patience else ""
            self._found("mode_collapse", iteration, detail + end, self.collapse_action)

    def _found(self, kind: str, iteration: int, detail: str, action: str) -> None:
        finding = {"finding": kind, "iteration": iteration, "detail": detail}
        self.findings.append(finding)
        if self._record is not None:
            self._record.findings.append(finding)
        if action == "stop":
            raise Diverged(f"{kind} at iteration {iteration}: {detail} (callbacks.findings.{kind}.action=stop)")
        if rank_zero_only.rank == 0:  # every DDP process finds the same (its rows are the processes' mean)
            log.warning("%s at iteration %d: %s", kind, iteration, detail)
