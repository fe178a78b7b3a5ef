"""Parameters held in arrays between a batched numpy step's calls (engine's Held): an optimizer
then updates the arrays, and every other use of a parameter brings it up to date first. Each
test trains twice from the same weights: once with the arrays held, once with a parameter read
after every step (which writes them back, so the optimizer steps on floats). The two must be
the same floats, bit for bit."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest

from autograd import Value, compile_grad, grad, held_arrays, zero_grads
from nn import MLP, SGD, Adam, hinge_loss, make_moons, signed_labels
from nn.optim import Optimizer

np = pytest.importorskip("numpy")


class SignSGD(Optimizer):
    """An optimizer of a user's own, with an update on floats only."""

    def __init__(self, params: list[Value], lr: float) -> None:
        super().__init__(params)
        self.lr = lr

    def update(self, data: list[float], grads: list[float]) -> list[float]:
        return [p - self.lr * math.copysign(1.0, g) for p, g in zip(data, grads)]


OPTIMIZERS: dict[str, Callable[[list[Value]], Optimizer]] = {
    "sgd": lambda ps: SGD(ps, lr=0.3),
    "sgd-momentum": lambda ps: SGD(ps, lr=0.3, momentum=0.9),
    "adam": lambda ps: Adam(ps, lr=0.05),
    "users-own": lambda ps: SignSGD(ps, lr=0.01),
}


class Training:
    """MLP(2, [8, 8, 1]) on 60 moons, the mean hinge loss + L2 as one per-sample loss, a
    batched numpy step and an optimizer, from the same weights each time."""

    def __init__(self, optimizer: str) -> None:
        xs, ys = make_moons(60, noise=0.1, seed=5)
        self.xs, self.ys = np.array(xs), np.array(signed_labels(ys))
        self.model = MLP(2, [8, 8, 1], seed=4)
        self.params = params = self.model.parameters()
        self.step = compile_grad(self.loss, params, batch="mean", numpy=True)
        self.optimizer = OPTIMIZERS[optimizer](params)
        self.losses: list[float] = []
        self.held: list[bool] = []  # after each step's call: were the parameters held?

    def loss(self, x: Any, y: Any) -> Value:
        return hinge_loss(self.model(x), y) + 1e-3 * sum(p * p for p in self.params)

    def train(self, steps: int, read_after_each: bool = False) -> None:
        for _ in range(steps):
            k = len(self.losses)
            self.optimizer.zero_grad()
            self.losses.append(self.step(self.xs, self.ys))
            self.held.append(held_arrays(self.params) is not None)  # (asking lets nothing go)
            if read_after_each:
                assert self.params[-1].data == self.params[-1].data  # a use writes them back
                assert held_arrays(self.params) is None
            self.optimizer.lr = 0.3 * 0.9**k  # a schedule, as the demo's
            self.optimizer.step()

    def numbers(self) -> list[float]:
        return [*self.losses, *(p.data for p in self.params), *(p.grad for p in self.params)]


def side_by_side(optimizer: str, first: int, then: int) -> tuple[Training, Training]:
    """Two trainings from the same weights: `first` steps each with a read after every step
    (the first call traces), then `then` steps where run holds and reference reads."""
    run, reference = Training(optimizer), Training(optimizer)
    for t in (run, reference):
        t.train(first, read_after_each=True)
    run.train(then)
    reference.train(then, read_after_each=True)
    return run, reference


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_training_on_held_arrays_gives_the_floats_of_training_on_values(optimizer: str) -> None:
    held, values, mixed = Training(optimizer), Training(optimizer), Training(optimizer)
    held.train(9)
    values.train(9, read_after_each=True)
    mixed.train(3, read_after_each=True)  # the optimizer's state: floats, arrays, floats
    mixed.train(3)
    mixed.train(3, read_after_each=True)
    assert held.numbers() == values.numbers() == mixed.numbers()
    # The first call traces one sample and replays the rest: it holds nothing. Then each holds.
    assert held.held == [False] + [True] * 8
    assert mixed.held[3:7] == [True] * 4  # the optimizer's state went to arrays and back
    assert held.step.traces == 1
    assert held.losses[-1] < held.losses[0]


def test_a_held_value_is_up_to_date_wherever_it_is_used() -> None:
    run, reference = Training("adam"), Training("adam")
    run.train(1, read_after_each=True)
    run.train(3)
    reference.train(4, read_after_each=True)
    assert run.held == [False, True, True, True]
    p, q = run.params[5], reference.params[5]
    assert type(p) is not Value and isinstance(p, Value)  # held: a subclass of Value
    assert p in set(run.params)  # hashing does not use it
    assert repr(p) == repr(q)  # a use writes every held number back...
    assert type(p) is Value and all(type(v) is Value for v in run.params)  # ...and lets go
    assert held_arrays(run.params) is None

    run.train(2)  # (the first waits a call: the last hold was let go before it)
    reference.train(2, read_after_each=True)
    assert run.held[-2:] == [False, True]
    assert (run.params[0] * 2.0 + run.params[1]).data == (
        reference.params[0].data * 2.0 + reference.params[1].data
    )  # an op on a held Value reads its number, not a stale one
    assert run.numbers() == reference.numbers()

    run.train(3)
    reference.train(3, read_after_each=True)
    assert run.held[-1]
    (g,) = grad(run.params[2] * run.params[2], [run.params[2]])
    assert g.data == 2.0 * reference.params[2].data


def test_a_number_written_between_steps_is_the_one_the_next_step_reads() -> None:
    run, reference = side_by_side("sgd", first=1, then=2)
    run.params[3].data = 0.25  # a write lets go too, then sets the Value
    reference.params[3].data = 0.25
    run.params[4].grad = 7.0  # the next zero_grad makes it 0 again in both
    reference.params[4].grad = 7.0
    run.train(2)
    reference.train(2, read_after_each=True)
    assert run.numbers() == reference.numbers()
    assert run.held == [False, True, True, False, True]


def test_a_step_whose_hold_is_let_go_before_each_call_holds_ever_more_rarely() -> None:
    # Taking and letting go cost more than a step's work per parameter: after each hold let
    # go early, the step waits 1, 2, 4, 8 ... calls before it holds again.
    run, reference = Training("sgd-momentum"), Training("sgd-momentum")
    run.train(20, read_after_each=True)
    assert run.held == [k in (1, 3, 6, 11) for k in range(20)]
    run.train(10)  # the wait of 8 calls is over: it holds again, and keeps holding
    assert run.held[20:] == [True] * 10
    reference.train(30, read_after_each=True)
    assert run.numbers() == reference.numbers()


def test_held_arrays_are_only_for_exactly_the_held_list_in_its_order() -> None:
    run = Training("sgd")
    run.train(2)
    params = run.params
    data, grads = held_arrays(params)  # type: ignore[misc]
    assert grads.any() and data.shape == grads.shape == (len(params),)
    assert held_arrays(list(params)) is not None  # another list, the same Values in order
    assert held_arrays(params[::-1]) is None
    assert held_arrays(params[:-1]) is None
    assert held_arrays([]) is None
    assert all(type(p) is not Value for p in params)  # asking let nothing go
    zero_grads(tuple(params))  # not a list: the Values themselves, which lets go
    assert all(type(p) is Value and p.grad == 0.0 for p in params)
    assert [p.data for p in params] == data.tolist()


def test_zero_grad_on_held_arrays_is_zero_grad_of_the_values() -> None:
    run, reference = side_by_side("sgd-momentum", first=2, then=2)
    run.model.zero_grad()  # the module's own list of the same Values: on the arrays
    assert held_arrays(run.params) is not None
    reference.model.zero_grad()
    assert run.numbers() == reference.numbers()


def test_a_batch_the_held_program_cannot_take_lets_go_and_runs_as_before() -> None:
    run, reference = side_by_side("sgd", first=3, then=2)
    assert held_arrays(run.params) is not None
    labels = run.ys.copy()
    labels[::7] = 2.0  # hinge_loss refuses a label not in {-1, +1}: the guard fails there
    for t in (run, reference):
        with pytest.raises(ValueError, match="label"):
            t.step(t.xs, labels)
    assert all(type(p) is Value for p in run.params)
    assert run.numbers() == reference.numbers()
    fewer = (run.xs[:20], run.ys[:20])  # another batch size: the same program takes it
    run.optimizer.zero_grad()
    reference.optimizer.zero_grad()
    assert run.step(*fewer) == reference.step(*fewer)
    run.train(2)
    reference.train(2, read_after_each=True)
    assert run.numbers() == reference.numbers()


def test_two_steps_that_share_parameters_take_turns_holding_them() -> None:
    run, reference = Training("adam"), Training("adam")
    other = compile_grad(lambda x: run.model(x) ** 2, run.params, batch="sum", numpy=True)
    other_ref = compile_grad(
        lambda x: reference.model(x) ** 2, reference.params, batch="sum", numpy=True
    )
    for _ in range(5):
        run.train(1)
        reference.train(1, read_after_each=True)
        assert other(run.xs) == other_ref(reference.xs)  # (its grads come on top, as eager's)
        assert reference.params[0].data == reference.params[0].data
    assert run.numbers() == reference.numbers()
    assert any(run.held)


@pytest.mark.parametrize(
    "optimizer",
    [
        lambda ps: SGD(ps, lr=0.1, momentum=0.5),
        lambda ps: Adam(ps, lr=0.01, betas=(0.3, 0.7), eps=0.0),  # divides 0 by 0: nan
    ],
)
def test_an_update_on_arrays_is_the_update_on_floats_at_the_edges(
    optimizer: Callable[[list[Value]], Optimizer],
) -> None:
    specials = [0.0, -0.0, 1e308, -1e308, 5e-324, math.inf, math.nan, 1.0, -3.5, 1e-300]
    data = [float(x) for x in np.random.default_rng(0).normal(size=len(specials))]
    on_floats = optimizer([Value(x) for x in data])
    on_arrays = optimizer([Value(x) for x in data])
    floats, arrays = list(data), np.array(data)
    for grads in (specials, specials[::-1], [0.0] * len(specials)):
        floats = on_floats.update(floats, list(grads))
        with np.errstate(all="ignore"):
            arrays = on_arrays.update_arrays(arrays, np.array(grads))
        assert [repr(x) for x in arrays.tolist()] == [repr(x) for x in floats]
