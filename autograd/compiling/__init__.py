"""compile_grad: a training step traced once and replayed as generated straight-line Python, or
one sample's trace replayed over a batch (with numpy where it is installed). Imports the engine
and nothing beside it; numpy only inside the function that loads it."""

from autograd.compiling.compiled import compile_grad
from autograd.compiling.tracing import UntraceableWarning

__all__ = ["UntraceableWarning", "compile_grad"]
