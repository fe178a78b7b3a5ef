"""autograd: a scalar reverse-mode automatic differentiation engine.

from autograd import Value, no_grad, grad, draw_dot, gradcheck, GradcheckError
from autograd import primitive, detect_anomaly, check_by_hand, compile_grad, UntraceableWarning
from autograd import exp, log, sqrt, tanh, sigmoid, relu, sin, cos

The engine is the modules at the top of this folder: `engine` (Value, the graph walk, the one
backprop pass), `primitives` (the table of ops) and `modes` (grad mode and anomaly mode). Three
folders are built on it, each importing the engine and nothing beside it: `checking`
(gradcheck, check_by_hand), `drawing` (draw_dot, the stepper, frames) and `compiling`
(compile_grad).
"""

import warnings

from autograd.checking import GradcheckError, check_by_hand, gradcheck, numerical_grad
from autograd.compiling import UntraceableWarning, compile_grad
from autograd.drawing import (
    BackwardStep,
    RendererNotFoundError,
    StepperPage,
    backward_steps,
    draw_dot,
    draw_steps,
    find_renderer,
    save_animation,
    save_frames,
    save_png,
    save_svg,
)
from autograd.engine import (
    Value,
    as_value,
    data_and_grads,
    dot,
    grad,
    has_grad,
    held_arrays,
    maximum,
    primitive,
    set_data,
    topological_order,
    zero_grads,
)
from autograd.installation import hips_beside_warning, shadowed_nn_warning, version
from autograd.modes import detect_anomaly, enable_grad, no_grad
from autograd.primitives import (
    Number,
    as_float,
    cos,
    exp,
    log,
    relu,
    sigmoid,
    sin,
    sqrt,
    tanh,
)

__version__ = version()

# The import names this package shares (autograd/installation.py): said once, at import.
for _warning in (hips_beside_warning(__path__[0]), shadowed_nn_warning(__path__[0])):
    if _warning is not None:
        warnings.warn(_warning, RuntimeWarning, stacklevel=2)
del _warning

__all__ = [
    "BackwardStep",
    "GradcheckError",
    "Number",
    "RendererNotFoundError",
    "StepperPage",
    "UntraceableWarning",
    "Value",
    "as_float",
    "as_value",
    "backward_steps",
    "check_by_hand",
    "compile_grad",
    "cos",
    "data_and_grads",
    "detect_anomaly",
    "dot",
    "draw_dot",
    "draw_steps",
    "enable_grad",
    "exp",
    "find_renderer",
    "grad",
    "gradcheck",
    "has_grad",
    "held_arrays",
    "log",
    "maximum",
    "no_grad",
    "numerical_grad",
    "primitive",
    "relu",
    "save_animation",
    "save_frames",
    "save_png",
    "save_svg",
    "set_data",
    "sigmoid",
    "sin",
    "sqrt",
    "tanh",
    "topological_order",
    "zero_grads",
]
