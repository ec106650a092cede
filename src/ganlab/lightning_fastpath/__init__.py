"""Where ganlab steps around Lightning's per-call costs, all in this room, installed by one call.

Each is kept because its saving on some model at default settings was measured to be worth its weight;
docs/speed.md gives each one's figure and date. Nothing else in ganlab needs them to be correct: with
`install.trainer_arguments` left out, a run trains the same, only slower. This __init__ imports nothing, so
the commands' exit (process_exit) comes without Lightning.

- callback_group: the run's callbacks reach Lightning as one, which calls a member only for the hooks it
  implements (Lightning visits every callback at every hook);
- null_profiler: the Trainer's profiler when none is asked for, doing nothing without a generator frame;
- direct_cuda_check: torch asks for CUDA directly during `fit`, not through NVML at every optimizer step;
- process_exit: the commands end without the interpreter's final garbage collection;
- install.py: `trainer_arguments`, the one call `ganlab.build` makes to install the first three.
"""
