"""When Lightning's `manual_backward` would do nothing but `loss.backward()`, so GANModule may call that itself.

Lightning's `manual_backward` passes the loss through the strategy and its precision plugin. They scale it under
16-bit mixed precision, prepare DDP's gradient reduction, and call `on_before_backward` and `on_after_backward`
on every callback and on the module, whether any implements them or not. On one device at 32-bit precision,
with neither hook implemented anywhere and the module's `backward` hook Lightning's own, what remains is
`loss.backward()` and the hook dispatch: ~11 us a call in isolation, and 50-76 us of an MLP iteration in a run
on a 2-core CPU (2-3%), where the dispatch runs between the step's kernels, colder.
"""

from __future__ import annotations

import pytorch_lightning as pl
from pytorch_lightning.plugins.precision import Precision
from pytorch_lightning.strategies import SingleDeviceStrategy

from ganlab.callbacks.group import every_callback, implements
from ganlab.plain_precision import PlainPrecision

BACKWARD_HOOKS = ("on_before_backward", "on_after_backward")


def lightning_backward_is_plain(trainer: pl.Trainer) -> bool:
    """Whether `trainer`'s `manual_backward` amounts to `loss.backward()`: one device, 32-bit precision (exactly
    Lightning's plain strategy, and its precision plugin or ganlab's PlainPrecision, which changes only the optimizer
    step: no other subclass), and no callback or module hook acting there."""
    module = trainer.lightning_module
    return (
        type(trainer.strategy) is SingleDeviceStrategy
        and type(trainer.precision_plugin) in (Precision, PlainPrecision)
        and not any(implements(module, hook, pl.LightningModule) for hook in ("backward", *BACKWARD_HOOKS))
        and not any(implements(callback, hook) for callback in every_callback(trainer) for hook in BACKWARD_HOOKS)
    )
