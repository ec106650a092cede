"""Where ganlab steps around Lightning's per-call costs, all in this room, installed by one call.

Each is kept because its saving on some model at default settings was measured to be worth its weight;
docs/speed.md gives each one's figure and date. Nothing else in ganlab needs them to be correct: with
`trainer_arguments` left out, a run trains the same, only slower.

- callback_group: the run's callbacks reach Lightning as one, which calls a member only for the hooks it
  implements (Lightning visits every callback at every hook);
- null_profiler: the Trainer's profiler when none is asked for, doing nothing without a generator frame;
- direct_cuda_check: torch asks for CUDA directly during `fit`, not through NVML at every optimizer step;
- process_exit: the commands end without the interpreter's final garbage collection.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pytorch_lightning.callbacks import Callback

from ganlab.lightning_fastpath.callback_group import grouped
from ganlab.lightning_fastpath.direct_cuda_check import DirectCudaCheck
from ganlab.lightning_fastpath.null_profiler import NullProfiler


def trainer_arguments(callbacks: Iterable[Callback], profiler: Any = None) -> dict[str, Any]:
    """The Trainer's `callbacks` (grouped, with the direct CUDA check) and, unless a profiler was asked for
    (`trainer.profiler=simple`), its `profiler`."""
    arguments: dict[str, Any] = {"callbacks": grouped([*callbacks, DirectCudaCheck()])}
    if not profiler:
        arguments["profiler"] = NullProfiler()
    return arguments
