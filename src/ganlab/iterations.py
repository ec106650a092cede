"""Training iterations and Lightning's optimizer steps, converted in one place.

ganlab counts training in iterations: one iteration is `d_steps` discriminator updates and `g_steps` generator
updates. Lightning counts optimizer steps (`global_step`, `max_steps`), one per update under manual optimization.
`trainer.max_steps` in ganlab's config is iterations; everything that crosses to Lightning or reads its counters
goes through these two functions.
"""

from __future__ import annotations


def iterations_of(steps: int, steps_per_iteration: int) -> int:
    """The completed iterations that `steps` optimizer steps make."""
    return steps // steps_per_iteration


def steps_of(iterations: int, steps_per_iteration: int) -> int:
    """Lightning's optimizer steps for `iterations`; a budget of -1 (no limit) or 0 stays as it is."""
    return iterations * steps_per_iteration if iterations > 0 else iterations
