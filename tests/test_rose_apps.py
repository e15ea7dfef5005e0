"""The Rose applications (examples/rose_billiards.py, rose_mass_spring.py,
diagram_optimization.py) at small sizes: gradients against central finite differences, eager
== jit, the optimizers decrease their losses, and the benchmark driver cross-checks lintra
against Rose (when `make bench-rose` has installed it)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import rose_apps  # noqa: E402

import lintra as lt  # noqa: E402

rb = rose_apps.load_example("rose_billiards")
ms = rose_apps.load_example("rose_mass_spring")
dg = rose_apps.load_example("diagram_optimization")

# billiards with 4 balls (layers = 2) and the cue close to them: collisions within 100 steps
B_LAYERS, B_STEPS, B_CUE = 2, 100, (0.40, 0.5, 0.3, 0.01)
# mass-spring: a robot of two squares, 40 steps
M_SQUARES, M_STEPS = ((0, 0, 0.15), (1, 0, 0.15)), 40


def _close(a, b, rtol=1e-10):
    for x, y in zip(lt.tree_leaves(a), lt.tree_leaves(b)):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=rtol, atol=1e-14)


def _billiards_args():
    x, v = rb.rack(B_LAYERS)
    return np.array(B_CUE), x, v, np.array(rb.GOAL), B_STEPS, x.shape[0] - 1


def test_billiards_gradient_matches_finite_differences():
    g, fd, err, ok = rb.fd_check(B_STEPS, B_LAYERS, B_CUE)
    assert np.max(np.abs(g)) > 1e-3           # the balls collide: the gradient is not zero
    assert ok, (g, fd, err)


def test_billiards_eager_equals_jit():
    args = _billiards_args()
    _close(lt.value_and_grad(rb.loss)(*args), rb.loss_and_grad(*args))


def test_billiards_collision_is_a_called_function():
    """The step and the pairwise collision stay functions of their own (Rose's explicit
    functions), so the gradient program does not grow with the number of pairs."""
    text = str(lt.make_program(lambda x, v: rb.step(x, v))(*rb.rack(B_LAYERS)))
    assert "collide_pair" in text and "step" in text


def test_billiards_loss_decreases():
    _, curve = rb.optimize(iters=3, steps=B_STEPS, layers=B_LAYERS, cue=B_CUE, report=None)
    assert curve[-1] < curve[0]


def _mass_spring():
    robot = ms.mesh_robot(M_SQUARES)
    return robot, ms.init_params(robot), ms._springs(robot)


def test_mass_spring_robot_d_shape():
    """DiffTaichi's robot D: 12 unit squares sharing corners and sides."""
    robot = ms.mesh_robot()
    assert (len(robot.x), len(robot.a)) == (26, 61)
    assert robot.n_inputs == 10 + 4 * 26 + 2
    assert sorted(set(robot.actuation)) == [0.0, 0.15]


def test_mass_spring_gradient_matches_finite_differences():
    got, fd, err, ok = ms.fd_check(M_STEPS, ms.mesh_robot(M_SQUARES))
    assert np.min(np.abs(got)) > 1e-3
    assert ok, (got, fd, err)


def test_mass_spring_eager_equals_jit():
    robot, params, springs = _mass_spring()
    _close(lt.value_and_grad(ms.loss)(params, robot.x, springs, M_STEPS),
           ms.loss_and_grad(params, robot.x, springs, M_STEPS))


def test_mass_spring_loss_decreases():
    _, curve = ms.optimize(iters=3, steps=M_STEPS, robot=ms.mesh_robot(M_SQUARES), report=None)
    assert curve[-1] < curve[0]


def test_diagram_gradient_and_descent():
    theta = dg.initial()
    err, ok = dg.fd_check(theta)
    assert ok, err
    _close(lt.value_and_grad(dg.energy)(theta), dg.energy_and_grad(theta))
    best, curve = dg.lbfgs(dg.energy_and_grad, theta, iters=15)
    assert curve[-1] < 0.1 * curve[0]
    assert all(b <= a + 1e-12 for a, b in zip(curve, curve[1:]))     # Armijo: monotone


def test_diagram_energy_terms():
    """Each relation's energy is zero exactly when it holds."""
    c0, c1 = np.array([0.5, 0.5]), np.array([0.55, 0.5])
    assert dg.contain_energy(c0, 0.3, c1, 0.1) == 0.0
    assert dg.contain_energy(c0, 0.1, c1, 0.1) > 0.0
    assert dg.disjoint_energy(c0, 0.1, c0 + [0.3, 0.0], 0.1) == 0.0
    assert dg.disjoint_energy(c0, 0.1, c1, 0.1) > 0.0
    assert abs(float(dg.tangent_energy(c0, 0.1, c0 + [0.2, 0.0], 0.1))) < 1e-20


def test_benchmark_driver_agrees_with_examples():
    """The driver's lintra worker computes the examples' loss and gradient from Rose's
    input format (the same data the Rose programs read)."""
    r = rose_apps.worker("billiards", None, _small_billiards_cfg())
    value, g = rb.loss_and_grad(*_billiards_args())
    _close((r["loss"], np.array(r["grad"])), (value, g))


def _small_billiards_cfg() -> dict:
    """The small board in the benchmark's (and Rose's) input format."""
    x, v = rb.place_cue(np.array(B_CUE), *rb.rack(B_LAYERS))
    return dict(rose_apps.problem("billiards", B_STEPS), x=x.tolist(), v=v.tolist(),
                target=len(x) - 1, repeats=1)


@pytest.mark.skipif(rose_apps.rose_status() is not None, reason="Rose not installed "
                    "(make bench-rose)")
@pytest.mark.parametrize("app", ["billiards", "mass_spring"])
def test_rose_agrees_with_lintra(app):
    if app == "billiards":
        cfg = _small_billiards_cfg()
    else:                               # the two-square robot
        robot, params, _ = _mass_spring()
        fields = ("x", "a", "b", "length", "stiffness", "actuation")
        cfg = dict(rose_apps.problem(app, M_STEPS), repeats=1,
                   robot={k: getattr(robot, k).tolist() for k in fields},
                   params={k: p.tolist() for k, p in params.items()})
    results = {"lintra": rose_apps.worker(app, None, cfg),
               "rose": rose_apps.run_rose(app, cfg)}
    assert np.max(np.abs(results["lintra"]["grad"])) > 0
    rose_apps.cross_check(app, results, rtol=1e-8)
