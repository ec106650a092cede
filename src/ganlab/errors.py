"""The two ways ganlab refuses what it is given, in a module of their own so that any part can raise them without
importing the config checks: a config refused before anything is built (ConfigError), and a constructor's refusal of
one argument (InvalidValue), which ganlab.build reports under the config key the value came from."""

from __future__ import annotations

from typing import Any


class ConfigError(Exception):
    """Configuration problems found before training, one line each naming the key, the value and what is allowed."""

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__(format_error(self.problems))


class InvalidValue(ValueError):
    """A constructor's refusal of one argument: `name = value: must be <allowed>`. `ganlab.build` reports it
    under the config key the value came from (following an interpolation to the key the user sets)."""

    def __init__(self, name: str, value: Any, allowed: str) -> None:
        self.name, self.value, self.allowed = name, value, allowed
        super().__init__(f"{name} = {value!r}: must be {allowed}")


def format_error(lines: list[str]) -> str:
    body = "\n".join(f"  {line}" for line in lines)
    return (
        f"invalid configuration, nothing was trained:\n{body}\n"
        "Fix it on the command line (key=value) or in the YAML it comes from; "
        "`python -m ganlab.train --cfg job` prints the composed config."
    )
