"""Scores of a generator against its data set: what conf/metric/*.yaml compute during training.

Each `*Scores` class compares generated with real samples; `ganlab.callbacks.evaluation.Evaluation`
draws the samples on a schedule and logs the scores.
"""
