"""Observers of a run: the metric's evaluation (metric=none switches it off), pictures, the progress display,
curves, the divergence guard and the findings (each switched off by setting it to null under callbacks:).
The lifecycle (checkpoints, status.json, signals, RNG state) is in ganlab.lifecycle, always on."""
