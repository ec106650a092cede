"""How a training job speaks: Lightning's log lines in the job's train.log, warnings that would mislead left out,
and a refused or diverged job reported as one paragraph (its exit code alone, its failure in a sweep).
ganlab.train's task function and the packed launcher (ganlab.packing.launch) both set a job up this way.
"""

from __future__ import annotations

import logging
import os
import warnings

from hydra.errors import CompactHydraException

from ganlab.errors import ConfigError
from ganlab.lifecycle.status_file import Diverged

log = logging.getLogger(__name__)


def send_lightning_logs_to_hydra() -> None:
    # Lightning gives its loggers their own console handler when imported before logging is set up,
    # which keeps its messages out of Hydra's train.log; hand them back to the root logger.
    for name in ("pytorch_lightning", "lightning_fabric", "lightning.pytorch", "lightning.fabric"):
        lightning_logger = logging.getLogger(name)
        lightning_logger.handlers.clear()
        lightning_logger.propagate = True
    # Lightning advertises its cloud services ("Tip: ... litlogger"): not part of a ganlab run's story. And its
    # "`Trainer.fit` stopped: `max_steps=6000` reached" counts optimizer steps, twice a 3000-iteration run's:
    # ganlab's own last line says both counts.
    for name in ("pytorch_lightning.utilities.rank_zero", "lightning.pytorch.utilities.rank_zero"):
        logging.getLogger(name).addFilter(
            lambda record: not str(record.msg).startswith(("💡 Tip:", "`Trainer.fit` stopped: `max_steps="))
        )


def quiet_misleading_warnings() -> None:
    # Lightning takes a mid-epoch checkpoint's data loader for one that restarts its epoch; ganlab's iterables
    # start at the run's iteration (ganlab.data.batching), so a resumed run sees the batches it would have.
    warnings.filterwarnings("ignore", message=r"You're resuming from a checkpoint that ended before the epoch ended")
    # ... and a resumed run's checkpoint directory for a stranger's: only a resumed run finds it there
    warnings.filterwarnings("ignore", message=r"Checkpoint directory .* exists and is not empty")
    # CSVLogger warns that files in a non-empty log dir "will be deleted"; it only ever replaces its own
    # metrics.csv, and the run dir is never empty (Hydra wrote .hydra/ into it first).
    warnings.filterwarnings("ignore", message=r"Experiment logs directory .* exists and is not empty")
    # Lightning 2.6 calls a torch pytree API that torch 2.14 deprecates; nothing a user can act on.
    warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\)` is deprecated")


class JobFailed(CompactHydraException):
    """A sweep job that was refused or diverged. Hydra marks it failed, runs the other jobs, and at the end
    raises the first failure again: an exception of this kind it prints as its message alone, where any other
    gets a traceback."""


def exit_code(error: BaseException) -> int | None:
    """A refused config exits 2 and a diverged run 3, each with one paragraph; None for anything else, which keeps
    its traceback, as every error does when HYDRA_FULL_ERROR=1 asks for them."""
    if os.environ.get("HYDRA_FULL_ERROR") == "1":
        return None
    return 2 if isinstance(error, ConfigError) else 3 if isinstance(error, Diverged) else None


def job_failure(error: BaseException) -> JobFailed:
    """A refused or diverged sweep job as Hydra records it (the job failed, the sweep goes on), said once in the
    job's train.log and the sweep's output as it happens."""
    log.error("ganlab: %s", error)
    return JobFailed(f"ganlab: {error}")
