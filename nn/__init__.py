"""nn: neural networks built on autograd's public API.

    from nn import Module, Neuron, Layer, MLP, SGD, Adam, mse_loss, hinge_loss, \
        binary_cross_entropy, cross_entropy
    from nn import to_torch, from_torch      # the same network in PyTorch, and back
    from nn import Playground                # watch one learn, live in Jupyter (`live` extra)

Also here: toy datasets (make_moons, make_circles, make_spiral, make_xor, and signed_labels for
hinge_loss's -1/+1 labels) and the textbook delta rules written by hand (delta_rule_step),
which the tests prove equal to one SGD step.
"""

from __future__ import annotations

import autograd
from nn.clash import foreign_autograd_message

# NOTE: the HIPS `autograd` package on PyPI has the same import name, and so may a learner's
# own autograd.py. Without this check the failure would surface later as a confusing
# AttributeError deep inside a layer; with it, the message says what was found and the command
# that mends it.
if not hasattr(autograd, "Value"):
    raise ImportError(foreign_autograd_message(autograd))

__version__ = autograd.__version__  # the distribution's, read in one place

# Imported after the check above, so a foreign autograd fails with the message, not deep inside.
from nn.data import make_circles, make_moons, make_spiral, make_xor, signed_labels
from nn.delta_rule import delta_rule_step
from nn.layers import MLP, Layer, Neuron
from nn.losses import binary_cross_entropy, cross_entropy, hinge_loss, mse_loss
from nn.module import Module
from nn.optim import SGD, Adam
from nn.playground import Playground
from nn.torch_bridge import from_torch, to_torch

__all__ = [
    "MLP",
    "SGD",
    "Adam",
    "Layer",
    "Module",
    "Neuron",
    "Playground",
    "binary_cross_entropy",
    "cross_entropy",
    "delta_rule_step",
    "from_torch",
    "hinge_loss",
    "make_circles",
    "make_moons",
    "make_spiral",
    "make_xor",
    "mse_loss",
    "signed_labels",
    "to_torch",
]
