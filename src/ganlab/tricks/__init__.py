"""Training tricks that need code, one file each behind one interface (`ganlab.tricks.base.Trick`).

Tricks that are settings (dropout, latent distribution, activations, update counts) are YAML patches in
conf/trick/ and need no code. Label flipping and smoothing live in `labels.py` and act through the loss,
which alone knows what its targets mean (`ganlab.losses`).
"""
