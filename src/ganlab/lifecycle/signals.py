"""Pre-emption: a signal ends the run at the current iteration with a checkpoint, not with lost work.

SIGTERM (a scheduler's kill, `kill`), SIGINT (Ctrl-C) and SIGUSR2 (submitit's pre-emption warning on
SLURM) by default. The handler only takes note and asks Lightning to stop, as Lightning does itself on
SIGTERM: Lightning finishes the iteration, records it, and raises `SIGTERMException` between two
iterations. Then this callback saves checkpoints/last.ckpt at that iteration, RunStatus writes
`interrupted`, and `ganlab.train` exits with 128 + the signal's number after handing the signal on to
whoever handled it before (submitit requeues the job, which resumes from the checkpoint by itself).
A second Ctrl-C stops at once, as Ctrl-C usually does.
"""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path

import pytorch_lightning as pl
from pytorch_lightning.utilities.exceptions import SIGTERMException

from ganlab.atomic_files import replaced_atomically
from ganlab.errors import InvalidValue

log = logging.getLogger(__name__)


class Preemption(pl.Callback):
    def __init__(
        self, checkpoint: str, signals: list[str] | tuple[str, ...] = ("SIGTERM", "SIGINT", "SIGUSR2")
    ) -> None:
        known = sorted(name for name in dir(signal) if name.startswith("SIG") and not name.startswith("SIG_"))
        for name in signals:
            if name not in known or name in ("SIGKILL", "SIGSTOP"):
                raise InvalidValue(
                    "signals", list(signals), "signal names this system can catch, e.g. SIGTERM, SIGUSR1"
                )
        self.checkpoint, self.signals = Path(checkpoint), [signal.Signals[name] for name in signals]
        self.received: signal.Signals | None = None
        self._previous: dict[signal.Signals, object] = {}  # each signal's handler before training
        self._installed = False
        self._lightning_stop: object = None

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        pl_module.record.preemption = self  # ganlab.train's Start.fit reads it there once fit returns or stops

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if threading.current_thread() is not threading.main_thread():  # Python allows handlers there only
            return
        # Lightning's own SIGTERM handler, installed just before training: it makes the loop stop between
        # two iterations (under DDP, on every process)
        self._lightning_stop = signal.getsignal(signal.SIGTERM)
        for number in self.signals:
            self._previous[number] = signal.getsignal(number)
            signal.signal(number, self._handle)
        self._installed = True

    def _handle(self, number: int, frame) -> None:
        if self.received is not None and number == signal.SIGINT:
            raise KeyboardInterrupt  # a second Ctrl-C: stop now
        self.received = signal.Signals(number)
        log.info("%s received: the run stops after this iteration, with a checkpoint", self.received.name)
        if isinstance(getattr(self._lightning_stop, "__self__", None), Preemption):
            # the seeds of a pack (ganlab.packing) each installed theirs on top of the one before: each notes the
            # signal itself, and the first hands it to Lightning
            self._lightning_stop(number, frame)
        elif callable(self._lightning_stop):
            self._lightning_stop(signal.SIGTERM, frame)

    def on_exception(self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception: BaseException) -> None:
        self._restore_handlers()
        if isinstance(exception, SIGTERMException):
            # a kill during the write leaves the previous checkpoint whole; rank 0 writes it, every process saves
            with replaced_atomically(self.checkpoint, publish=trainer.is_global_zero) as partial:
                trainer.save_checkpoint(partial)

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        # here, before Lightning puts back the handlers it found (ours were installed on top of its own)
        self._restore_handlers()

    def _restore_handlers(self) -> None:
        if self._installed:
            for number, handler in self._previous.items():
                signal.signal(number, handler)
            self._installed = False

    @property
    def signal_name(self) -> str:
        """The signal that stopped the run (SIGTERM when Lightning stopped it on its own)."""
        return self.received.name if self.received is not None else "SIGTERM"

    def pass_signal_on(self) -> None:
        """Call the handler the received signal had before training (submitit's requeue, say), if it was one."""
        previous = self._previous.get(self.received) if self.received is not None else None
        if callable(previous) and previous is not signal.default_int_handler:
            previous(self.received.value, None)
