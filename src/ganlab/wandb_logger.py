"""logger=wandb: Weights & Biases dashboards that never hold a run up, one W&B run per ganlab run.

The run carries the resolved config (Lightning logs the module's hyperparameters, which hold it), every
scalar and picture, tags from the chosen config options, a name made of the command-line overrides, and,
in a sweep, the sweep's directory as its group, so one sweep is one group on the dashboard.

W&B must never block training. With `mode: auto` the run goes online only when W&B has credentials
(`wandb login` or WANDB_API_KEY) and otherwise logs offline with one warning (`wandb sync` uploads it
later); an online start that does not answer within `init_timeout` seconds falls back to offline too.
WANDB_MODE, when set, wins. Each run is finished when its fit ends (Lightning's `finalize`), so the jobs
of a sweep never share a W&B run.

A run that continues (`ckpt_path=`, or a sweep rerun that resumes a job) continues its own W&B run: the
run's id, project, entity and group are kept in <run>/wandb/ganlab_run.json and the id passed back to W&B
with `resume="allow"`, online and offline alike (offline, the pieces share the id and `wandb sync` joins
them). `python -m ganlab.report` reads the same record to put its verdicts in the runs' group. A run that starts over
has its earlier files, this one among them, set aside (ganlab.lifecycle.plan), and so gets a new W&B run.

Under DDP every process builds the run's loggers; only rank 0 starts (and finishes) the W&B run, the other
processes get a logger that never starts one, as Lightning's own does for them.

A pack of seeds (hydra/launcher=packed) trains several runs in one process, each with its own W&B run: while a
run this module started is still open, the next starts beside it (`reinit="create_new"`, W&B's way of holding
several runs in one process) rather than finishing it. Each logger holds its own run object, so nothing reads
W&B's global `wandb.run`, which such runs leave alone.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from pytorch_lightning.loggers import WandbLogger

from ganlab.atomic_files import write_text_atomically
from ganlab.wandb_record import RUN_RECORD, earlier_run_id, environment_mode, has_credentials

log = logging.getLogger(__name__)
MODES = ("auto", "online", "offline", "disabled")
OPEN_RUNS: set[str] = set()  # ids of the W&B runs this process started and has not finished (a pack's seeds')
GROUPS_AS_TAGS = ("model", "data", "loss", "optim", "metric", "experiment")


class RunEndingWandbLogger(WandbLogger):
    """Lightning's WandbLogger that finishes its W&B run when the fit ends, successfully or not."""

    _finished = False

    def follow_directions(self, directions: dict[str, str]) -> None:
        """Each score's W&B summary is its best value in the direction its metric declares (`val/classifier_fid`:
        lower, so the smallest), where W&B would keep the last; the final value is the report's (final_scores.json)."""
        if self._experiment is None:  # a process of DDP other than the first: no W&B run here
            return
        for key, way in directions.items():
            self._experiment.define_metric(
                key, step_metric="trainer/global_step", step_sync=True, summary="min" if way == "lower" else "max"
            )

    def finalize(self, status: str) -> None:
        super().finalize(status)
        # the finished run stays referenced: were it None, a late log would start a new, empty W&B run
        if self._experiment is not None and not self._finished:
            self._experiment.finish(exit_code=0 if status == "success" else 1)
            self._finished = True
            OPEN_RUNS.discard(self._experiment.id)


def run_identity() -> dict[str, Any]:
    """name, tags and group from Hydra's view of the run; empty outside a Hydra application."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    if not HydraConfig.initialized():
        return {}
    hydra = HydraConfig.get()
    choices = hydra.runtime.choices
    tags = [f"{group}={choices[group]}" for group in GROUPS_AS_TAGS if choices.get(group) not in (None, "null")]
    overrides = [o for o in hydra.overrides.task if not o.lstrip("+~").startswith(("hydra.", "hydra/", "paths."))]
    # Hydra records no choice for a list-valued group: the tricks come from the command line, else the default
    tricks = next((o.split("=", 1)[1] for o in overrides if o.startswith("trick=")), "base")
    tags += [f"trick={trick.strip()}" for trick in tricks.strip("[]").split(",") if trick.strip()]
    identity: dict[str, Any] = {"name": " ".join(overrides) or "defaults", "tags": tags}
    if hydra.mode == RunMode.MULTIRUN:
        identity["group"] = hydra.sweep.dir
    return identity


def wandb_logger(
    save_dir: str,
    project: str = "ganlab",
    entity: str | None = None,
    mode: str = "auto",
    init_timeout: float = 15.0,
    name: str | None = None,
    group: str | None = None,
    tags: list[str] | None = None,
) -> RunEndingWandbLogger:
    """A WandbLogger whose W&B run has already started, online or offline (see the module docstring).
    `name`, `group` and `tags` (added to the chosen options') override what the run's overrides give."""
    import wandb
    from pytorch_lightning.utilities import rank_zero_only

    if mode not in MODES:
        raise ValueError(f"mode {mode!r} is not one of: {', '.join(MODES)}")
    mode = environment_mode() or mode  # checked before anything starts: W&B's own refusal is a page of text
    if rank_zero_only.rank != 0:  # Lightning read the process's rank from its launcher's environment
        return RunEndingWandbLogger(save_dir=save_dir, project=project, mode="disabled")
    identity = run_identity()
    settings = {
        "dir": save_dir, "project": project, "entity": entity,
        "name": name or identity.get("name"), "group": group or identity.get("group"),
        "tags": [*identity.get("tags", []), *(tags or [])],
    }  # fmt: skip
    record_file = Path(save_dir) / "wandb" / RUN_RECORD
    earlier = earlier_run_id(record_file.parent)
    if earlier:  # this run directory has logged to W&B before: the run continues there
        settings.update(id=earlier, resume="allow")
    if wandb.run is not None and wandb.run.id not in OPEN_RUNS:  # a run other code left open must not absorb this one
        wandb.finish()
    # a pack's seeds: each run beside the others, none finished by the next one's start
    settings["reinit"] = "create_new" if OPEN_RUNS else "default"
    warned = False
    if mode == "auto":
        mode = "online" if has_credentials() else "offline"
        if mode == "offline":
            warned = True
            log.warning("W&B: not logged in, so this run is logged offline in %s/wandb; upload it with "
                        "`wandb sync %s/wandb/offline-run-*`", save_dir, save_dir)  # fmt: skip
    # silent: W&B's banner and end-of-run summary would bury the run's own lines; ganlab says what matters
    try:
        run = wandb.init(mode=mode, settings=wandb.Settings(init_timeout=init_timeout, silent=True), **settings)
    except Exception as error:  # no answer, a refused key, ...: W&B must not cost the run
        if mode != "online":
            raise
        log.warning("W&B did not start online (%s): this run is logged offline in %s/wandb", error, save_dir)
        mode, warned = "offline", True
        run = wandb.init(mode="offline", settings=wandb.Settings(silent=True), **settings)
    if mode != "disabled":
        OPEN_RUNS.add(run.id)
    if "id" in settings:
        log.info("W&B run %s continues (resumed)", run.id)
    elif mode != "disabled":
        record = {"id": run.id, "project": project, "entity": entity, "group": settings["group"]}
        record_file.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomically(record_file, json.dumps(record, indent=2) + "\n")
    if mode == "online":
        log.info("W&B run %s: %s", run.name, run.url)
    elif mode == "offline" and not warned:
        log.info("W&B run %s is logged offline in %s", run.name, Path(run.dir).parent)
    # what Lightning does for a run it starts itself: charts against the step it logs, ganlab's iteration
    run.define_metric("trainer/global_step")
    run.define_metric("*", step_metric="trainer/global_step", step_sync=True)
    return RunEndingWandbLogger(save_dir=save_dir, project=project, experiment=run)
