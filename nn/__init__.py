"""nn: neural networks built on autograd's public API.

    from nn import Module, Neuron, Layer, MLP, SGD, Adam, mse_loss, hinge_loss, \
        binary_cross_entropy, cross_entropy
"""

import autograd

# NOTE: the HIPS `autograd` package on PyPI has the same import name. Installed beside
# chainrule it can shadow our engine; without this check the failure would surface later as a
# confusing AttributeError deep inside a layer.
if not hasattr(autograd, "Value"):
    raise ImportError(
        f"nn needs chainrule's autograd engine, but `import autograd` found another package at "
        f"{getattr(autograd, '__file__', '?')} (probably HIPS autograd from PyPI, which has the "
        f"same import name). The two cannot share an environment: `pip uninstall autograd` and "
        f"reinstall chainrule, or use a separate virtual environment."
    )

__all__: list[str] = []
