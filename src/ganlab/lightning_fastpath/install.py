"""The one call that installs the fast path into a Trainer (see the package's docstring)."""

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
