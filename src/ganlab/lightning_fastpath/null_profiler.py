"""The Trainer's profiler when none is asked for: Lightning's pass-through profiler, made cheap.

Lightning wraps every hook call, every callback's hook and every step of its loop in
`trainer.profiler.profile(name)`, profiled or not: about ninety times per iteration of a GAN under manual
optimization. Its default profiler does nothing there, but through a generator-based context manager; this
one does the same nothing through `contextlib.nullcontext`, a fraction of the cost (docs/speed.md).
`trainer.profiler=simple` (or advanced, pytorch) profiles as Lightning always has.
"""

from __future__ import annotations

import contextlib

from pytorch_lightning.profilers import PassThroughProfiler


class NullProfiler(PassThroughProfiler):
    """Profiles nothing; `profile(name)` enters and leaves without a generator frame."""

    def profile(self, action_name: str) -> contextlib.nullcontext:
        return contextlib.nullcontext(action_name)
