"""autograd: a scalar reverse-mode automatic differentiation engine.

from autograd import Value, no_grad, grad, draw_dot, gradcheck, GradcheckError
from autograd import primitive, detect_anomaly, check_by_hand, compile_grad
from autograd import exp, log, sqrt, tanh, sigmoid, relu, sin, cos
"""

from autograd.by_hand import check_by_hand
from autograd.compiled import compile_grad
from autograd.engine import (
    Value,
    as_value,
    detect_anomaly,
    dot,
    enable_grad,
    grad,
    has_grad,
    no_grad,
    primitive,
    topological_order,
)
from autograd.frames import save_animation, save_frames
from autograd.gradcheck import GradcheckError, gradcheck, numerical_grad
from autograd.page import StepperPage
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
from autograd.render import RendererNotFoundError, find_renderer
from autograd.stepper import BackwardStep, backward_steps, draw_steps
from autograd.viz import draw_dot, save_png, save_svg

__all__ = [
    "BackwardStep",
    "GradcheckError",
    "Number",
    "RendererNotFoundError",
    "StepperPage",
    "Value",
    "as_float",
    "as_value",
    "backward_steps",
    "check_by_hand",
    "compile_grad",
    "cos",
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
    "log",
    "no_grad",
    "numerical_grad",
    "primitive",
    "relu",
    "save_animation",
    "save_frames",
    "save_png",
    "save_svg",
    "sigmoid",
    "sin",
    "sqrt",
    "tanh",
    "topological_order",
]
