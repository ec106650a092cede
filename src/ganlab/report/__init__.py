"""`python -m ganlab.report DIR`: what a sweep (or a single run) found, seed by seed, with verdicts.

runs.py reads the run directories and outcomes.py turns each into a final value, a failure or nothing yet;
cells.py groups them into cells and picks the baseline; statistics.py (scipy.stats), comparison.py, grid.py
and pace.py compute; analysis.py assembles report.json, which markdown.py (with wording.py and rounding.py)
and figures.py render; __main__.py is the command line. docs/studies.md explains each statistic.
"""
