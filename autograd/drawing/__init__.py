"""Pictures of the graph: draw_dot, the renderer that lays it out, themes, collapsed groups, the
stepper's page and the frames of an animation. Imports the engine and nothing beside it;
graphviz only inside the functions that render."""

from autograd.drawing.frames import save_animation, save_frames
from autograd.drawing.page import StepperPage
from autograd.drawing.render import RendererNotFoundError, find_renderer
from autograd.drawing.stepper import BackwardStep, backward_steps, draw_steps
from autograd.drawing.viz import draw_dot, save_png, save_svg

__all__ = [
    "BackwardStep",
    "RendererNotFoundError",
    "StepperPage",
    "backward_steps",
    "draw_dot",
    "draw_steps",
    "find_renderer",
    "save_animation",
    "save_frames",
    "save_png",
    "save_svg",
]
