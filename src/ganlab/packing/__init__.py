"""Packed seeds: the runs of a sweep that differ only in their seed, trained as one stacked model."""
