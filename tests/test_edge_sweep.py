"""The edge sweep's differences from PyTorch are exactly the classes docs/edges.md lists."""

from __future__ import annotations

import pytest

from tests.edge_sweep import differences

# (what, op, kind): count. docs/edges.md, "Where chainrule differs", gives each class's reason.
DOCUMENTED = {
    # Signs of zero in values and first derivatives: 115 of 2,701.
    (".grad after backward()", "cos", "sign of zero"): 1,  # .grad starts at 0.0; 0.0 + -0.0
    (".grad after backward()", "div", "sign of zero"): 30,
    (".grad after backward()", "dot", "sign of zero"): 22,
    (".grad after backward()", "mul", "sign of zero"): 22,
    (".grad after backward()", "pow", "sign of zero"): 11,
    (".grad after backward()", "pow -1", "sign of zero"): 4,
    (".grad after backward()", "pow 2", "sign of zero"): 1,
    ("value", "dot", "sign of zero"): 16,  # the sum starts at 0
    ("first derivative", "pow", "sign of zero"): 6,  # PyTorch masks d/dx to 0.0 at y == 0
    ("value", "relu", "sign of zero"): 1,  # relu(-0.0)
    ("value", "pow 0.5", "sign of zero"): 1,  # PyTorch's x ** 0.5 is sqrt
    # The infinite slope of x ** y at -0.0 (PyTorch: sqrt's, or an odd power of -0.0).
    ("first derivative", "pow", "number"): 1,
    ("first derivative", "pow 0.5", "number"): 1,
    # Second derivatives of x ** y with a Value exponent: masks against ifs.
    ("second derivative", "pow", "nan"): 67,
    ("second derivative", "pow", "number"): 4,  # the true mixed derivative 1/x at y = 0
    ("second derivative", "pow", "sign of zero"): 3,
}


def test_the_edge_sweep_differs_from_pytorch_only_as_docs_edges_md_says() -> None:
    torch = pytest.importorskip("torch")
    found, compared = differences(torch)
    assert dict(found) == DOCUMENTED
    assert compared["value"] + compared["first derivative"] == 2701
