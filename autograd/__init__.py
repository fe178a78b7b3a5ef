"""autograd: a scalar reverse-mode automatic differentiation engine.

from autograd import Value, no_grad, grad, draw_dot, gradcheck, GradcheckError
"""

from autograd.engine import Value, as_value, dot, grad, no_grad, topological_order
from autograd.gradcheck import GradcheckError, gradcheck, numerical_grad
from autograd.page import StepperPage
from autograd.render import RendererNotFoundError, find_renderer
from autograd.stepper import BackwardStep, backward_steps, draw_steps
from autograd.viz import draw_dot, save_svg

__all__ = [
    "BackwardStep",
    "GradcheckError",
    "RendererNotFoundError",
    "StepperPage",
    "Value",
    "as_value",
    "backward_steps",
    "dot",
    "draw_dot",
    "draw_steps",
    "find_renderer",
    "grad",
    "gradcheck",
    "no_grad",
    "numerical_grad",
    "save_svg",
    "topological_order",
]
