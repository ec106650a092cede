"""`python -m ganlab.train` ends without the interpreter's final garbage collection, and otherwise as Python would."""

import subprocess
import sys

import pytest

SCRIPT = """
import atexit, sys
from ganlab.lightning_fastpath.process_exit import run_then_exit
atexit.register(lambda: open(sys.argv[1], "w").write("handlers ran"))
def main():
    print("trained", flush=False)  # left in the buffer: the exit must flush it
    {ending}
run_then_exit(main)
"""


@pytest.mark.parametrize(
    ("ending", "status", "stderr"),
    [
        ("return 0.5", 0, ""),
        ("sys.exit(3)", 3, ""),
        ("sys.exit(None)", 0, ""),
        ("sys.exit('ganlab: a refused config')", 1, "ganlab: a refused config\n"),
    ],
)
def test_the_exit_status_output_and_exit_handlers_are_pythons(tmp_path, ending, status, stderr):
    marker = tmp_path / "marker"
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(ending=ending), str(marker)], capture_output=True, text=True, timeout=60
    )
    assert (result.returncode, result.stdout, result.stderr) == (status, "trained\n", stderr)
    assert marker.read_text() == "handlers ran"


def test_an_exception_keeps_its_traceback_and_status(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(ending="raise RuntimeError('boom')"), str(tmp_path / "marker")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1 and "RuntimeError: boom" in result.stderr and "Traceback" in result.stderr


POOL_SCRIPT = """
import sys, threading, time
from joblib import Parallel, delayed
from ganlab.lightning_fastpath.process_exit import run_then_exit
def main():
    print(sum(Parallel(n_jobs=2)(delayed(abs)(-i) for i in range(4))))
    # a thread still working at the end: Python waits for it
    threading.Thread(target=lambda: (time.sleep(0.5), open(sys.argv[1], "w").write("thread done"))).start()
run_then_exit(main)
"""


def test_threads_and_process_pools_end_as_at_pythons_exit(tmp_path):
    """joblib's workers (hydra/launcher=joblib's) idle for 5 minutes unless told to stop by the exit hooks of
    threading, which Python runs before the exit handlers: the command must not wait them out."""
    marker = tmp_path / "marker"
    command = [sys.executable, "-c", POOL_SCRIPT, str(marker)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout) == (0, "6\n"), result.stderr
    assert marker.read_text() == "thread done"
