"""`python -m ganlab.report DIR`: what a sweep (or a single run) found, over seeds, with verdicts.

runs.py reads the run directories, analysis.py groups them into cells and compares each with a
baseline (statistics.py holds the numbers), markdown.py and figures.py write report.md and the
pictures; __main__.py is the command line.
"""
