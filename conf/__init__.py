# ganlab's shipped configs. The file makes conf/ importable as `ganlab.conf` (pyproject.toml maps the
# package there), so Hydra finds the same YAMLs in a checkout, an editable install and a wheel.
