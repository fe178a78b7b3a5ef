"""autograd: a scalar reverse-mode automatic differentiation engine.

from autograd import Value, no_grad, grad, draw_dot, gradcheck, GradcheckError
"""

from autograd.engine import Value, grad, no_grad, topological_order
from autograd.gradcheck import GradcheckError, gradcheck, numerical_grad

__all__ = [
    "GradcheckError",
    "Value",
    "grad",
    "gradcheck",
    "no_grad",
    "numerical_grad",
    "topological_order",
]
