"""The adversarial games, one per file: base.py (what every loss is, and D's target and penalty knobs),
cross_entropy.py (minimax, non-saturating), least_squares.py (LSGAN), hinge.py, wasserstein.py (WGAN-GP);
targets.py (flipped and smoothed labels) and penalties.py (R1, WGAN-GP's) are what they build on."""
