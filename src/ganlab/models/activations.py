"""Activations by name, so configs can switch them.

Dongbin Kim's toy GAN compares LeakyReLU, ReLU and sigmoid hidden units (trick=act_relu, act_sigmoid); the KTH
report compares tanh and sigmoid outputs (trick=sig).
"""

from __future__ import annotations

from torch import nn

# LeakyReLU slope 0.2: TensorFlow's tf.nn.leaky_relu default, which Kim's toy GAN used, and the DCGAN paper's value.
HIDDEN_ACTIVATIONS = {
    "relu": lambda: nn.ReLU(),
    "leaky_relu": lambda: nn.LeakyReLU(0.2),
    "tanh": lambda: nn.Tanh(),
    "sigmoid": lambda: nn.Sigmoid(),
}

# The range a generator's output lies in decides how the data are scaled to meet it ("sig" in the KTH report).
OUTPUT_RANGES = {
    "tanh": (-1.0, 1.0),
    "sigmoid": (0.0, 1.0),
    "identity": (-1.0, 1.0),  # unbounded output; the data are still scaled to [-1, 1] by convention
}
_OUTPUT_MODULES = {"tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "identity": nn.Identity}


def _choice(name: str, allowed, what: str) -> str:
    if name not in allowed:
        raise ValueError(f"{what} {name!r} is not one of: {', '.join(allowed)}")
    return name


def hidden_activation(name: str, dropout: float = 0.0) -> nn.Module:
    """A fresh activation module for a hidden layer, followed by dropout of rate `dropout` when it is > 0
    (the KTH report's "drop": 0.5 in D, 0.2 in G). The rate is checked with the config (`ganlab.validate`)."""
    activation = HIDDEN_ACTIVATIONS[_choice(name, HIDDEN_ACTIVATIONS, "activation")]()
    return nn.Sequential(activation, nn.Dropout(dropout)) if dropout > 0 else activation


def output_activation(name: str) -> nn.Module:
    """The generator's final activation."""
    return _OUTPUT_MODULES[_choice(name, _OUTPUT_MODULES, "output_activation")]()


def output_range(name: str) -> tuple[float, float]:
    """(low, high) of a generator whose final activation is `name`; real data are scaled to match it."""
    return OUTPUT_RANGES[_choice(name, OUTPUT_RANGES, "output_activation")]
