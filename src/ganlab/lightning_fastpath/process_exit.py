"""Ending a command-line process without the interpreter's final garbage collection.

At exit, Python collects every object still alive, and after importing torch and Lightning (with sympy and
triton behind them) that is millions: a second or more of every command (docs/speed.md), most of what a
test that runs the command waits for after training. `gc.freeze()` would
skip the walk, but leaves triton's objects for nanobind to report as leaks on stderr. So the command ends
the way Python would, minus that walk: threads are joined and their exit hooks run (a process pool's:
joblib's workers, which a sweep through hydra/launcher=joblib leaves idle, would otherwise be waited for
until their 5-minute idle timeout), then the exit handlers (Lightning's, W&B's, logging's flush of
train.log), the streams are flushed, and the exit status is Python's own.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from collections.abc import Callable
from typing import NoReturn


def exit_status(code: object) -> int:
    """The status Python gives `sys.exit(code)`: 0 for None, the int, else 1 (after printing the message)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def run_then_exit(main: Callable[[], object]) -> NoReturn:
    """Run `main`, then end the process as `sys.exit` would, without the final collection. An exception
    other than SystemExit (a crash, Ctrl-C) goes its usual way, traceback and all."""
    try:
        main()
        status = 0
    except SystemExit as exit_request:
        status = exit_status(exit_request.code)
    # what Python's finalization runs, in its order: threads first, then the exit handlers
    threading._shutdown()  # noqa: SLF001 - joins non-daemon threads after their exit hooks
    atexit._run_exitfuncs()  # noqa: SLF001
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
