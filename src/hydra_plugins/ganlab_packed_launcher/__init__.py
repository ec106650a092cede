"""ganlab's packed launcher for Hydra: hydra/launcher=packed (the work is ganlab.packing.launch's)."""
