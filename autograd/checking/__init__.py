"""Gradient testing: gradcheck (backprop against finite differences), check_by_hand (against a
person's own derivation) and the report they share. Imports the engine and nothing beside it."""

from autograd.checking.by_hand import check_by_hand
from autograd.checking.gradcheck import gradcheck, numerical_grad
from autograd.checking.report import GradcheckError

__all__ = ["GradcheckError", "check_by_hand", "gradcheck", "numerical_grad"]
