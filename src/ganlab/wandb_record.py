"""Where a run logged to W&B, as the run directory keeps it: read by the W&B logger to continue a run's W&B run,
and by the report to join the runs' group, without importing Lightning or W&B (the report starts in a fraction of
a second)."""

from __future__ import annotations

import json
import logging
import netrc
import os
from pathlib import Path
from urllib.parse import urlparse

log = logging.getLogger(__name__)
RUN_RECORD = "ganlab_run.json"  # in <run>/wandb: the W&B run's id, project, entity and group
OLD_RUN_ID_FILE = "ganlab_run_id"  # its id alone, as runs before 2026-12-06 kept it
# what W&B takes in WANDB_MODE; anything else, an empty value included, makes every wandb.init raise, whatever
# mode it is handed, with a page of pydantic's validation text
WANDB_MODES = ("online", "offline", "disabled", "shared", "dryrun", "run")


def environment_mode() -> str | None:
    """WANDB_MODE when it is set (it wins over logger.wandb.mode), None when it is not. ValueError, in one line,
    when it is set to a value W&B would refuse."""
    mode = os.environ.get("WANDB_MODE")
    if mode is not None and mode not in WANDB_MODES:
        raise ValueError(
            f"the environment variable WANDB_MODE = {mode!r}: must be online, offline or disabled (or W&B's "
            "shared, dryrun, run), or unset, so that logger.wandb.mode decides"
        )
    return mode


def has_credentials() -> bool:
    """Whether W&B can log in without asking: an API key in the environment or in ~/.netrc (`wandb login`)."""
    if os.environ.get("WANDB_API_KEY"):
        return True
    host = urlparse(os.environ.get("WANDB_BASE_URL", "https://api.wandb.ai")).hostname
    try:
        return netrc.netrc().authenticators(host) is not None
    except (FileNotFoundError, netrc.NetrcParseError):
        return False


def read_run_record(path: Path) -> dict:
    """A W&B record ganlab wrote (ganlab_run.json, ganlab_report.json): a JSON mapping. OSError when it cannot be
    read, ValueError when it is not JSON or not a mapping."""
    record = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(record, dict):
        raise ValueError(f"a {type(record).__name__}, not a record")
    return record


def earlier_run_id(folder: Path, name: str = RUN_RECORD) -> str | None:
    """The id of the W&B run that the directory whose wandb/ folder is `folder` logged to before, as its record
    `name` keeps it, if any. A record that cannot be read costs the W&B run's continuity, never the run or the
    report: a new W&B run starts, with a warning."""
    record_file, old_file = folder / name, folder / OLD_RUN_ID_FILE
    try:
        if record_file.is_file():
            found = read_run_record(record_file).get("id")
            if isinstance(found, str) and found.strip():
                return found.strip()
            raise ValueError("no run id in it")
        if name == RUN_RECORD and old_file.is_file():
            return old_file.read_text(encoding="utf-8").strip() or None
        return None
    except (OSError, ValueError) as error:
        log.warning("W&B: %s cannot be read (%s); a new W&B run starts", record_file, error)
        return None
