"""The run's lifecycle: what makes a run resumable, stoppable and readable from outside, always on.

- start.py: a run's start and fit as `ganlab.train` drives them (plan, build, fit);
- plan.py: before building, what a command does in its run directory (a fresh run, a resume, a sweep job
  skipped or rerun), which checkpoint it continues from, and whether that checkpoint fits the config;
  directories.py: where a run lives (hydra.run.dir, .hydra/, attempts/); continuation.py: metrics.csv
  carried on from a checkpoint;
- status_file.py / status.py: status.json, the one record of how a run is going or how it ended (the first
  light enough for the report to read hundreds, the second the callback that keeps it current);
- signals.py: pre-emption, a signal ending the run at the current iteration with a checkpoint;
- random_state.py: every RNG's state in each checkpoint, for an exact resume;
- checkpoints.py: checkpoints/last.ckpt; checkpoint_reading.py: a checkpoint read as data, never code;
- attach.py: the callbacks above, attached to every Trainer by `ganlab.build` from the `lifecycle:` settings.

None of it is a config option that can be switched off: a resume that silently lost its RNG state or its
status would not be a resume. This package's __init__ imports nothing, so the report reads status files
without importing Lightning.
"""
