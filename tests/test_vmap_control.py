"""vmap of linear algebra, calls (@fn, jit, checkpoint), control flow (cond/switch, scan,
fori_loop, while_loop) and custom derivative rules.

The oracle is the definition of vmap: the unbatched function applied to each batch element
in turn, results stacked (and, for derivatives, the known answers of the custom rules)."""

import itertools

import numpy as np
import pytest

import lintra as lt
import lintra.numpy as lnp
from lintra.batching.core import vmap_rules
from lintra.core.ir import typecheck
from lintra.core.primitive import Primitive
from lintra.ops import call, checkpoint, control_cond, control_scan, control_while, custom, linalg

RNG = np.random.default_rng(0)
B = 3   # batch size


def _slice(x, d, i):
    return x if d is None else np.take(np.asarray(x), i, axis=d)


def _stack(results):
    first = results[0]
    if isinstance(first, (tuple, list)):
        return type(first)(_stack([r[k] for r in results]) for k in range(len(first)))
    return np.stack([np.asarray(r) for r in results])


def stacked(f, in_axes, *args):
    """The oracle: ``f`` on each batch element, results stacked along axis 0."""
    size = next(np.shape(a)[d] for a, d in zip(args, in_axes) if d is not None)
    return _stack([f(*[_slice(a, d, i) for a, d in zip(args, in_axes)]) for i in range(size)])


def batch(x, d):
    """``B`` random variations of ``x`` stacked along axis ``d`` (``x`` itself when None)."""
    if d is None:
        return x
    xs = np.stack([x + 0.1 * RNG.normal(size=np.shape(x)) for _ in range(B)])
    return np.moveaxis(xs, 0, d)


def check(f, in_axes, *args, rtol=1e-10, atol=1e-12):
    got = lt.vmap(f, in_axes)(*args)
    want = stacked(f, in_axes, *args)
    for g, w in zip(*(_leaves(got), _leaves(want))):
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol)
    return got


def _leaves(x):
    return [v for item in x for v in _leaves(item)] if isinstance(x, (tuple, list)) else [x]


def _spd(n=3):
    a = RNG.normal(size=(n, n))
    return a @ a.T + n * np.eye(n)


# ---------------------------------------------------------------- coverage

MODULES = [linalg, call, control_cond, control_scan, control_while, custom, checkpoint]


def test_every_primitive_of_these_modules_has_a_vmap_rule():
    prims = {p for m in MODULES for p in vars(m).values() if isinstance(p, Primitive)}
    assert len(prims) >= 13
    assert sorted(p.name for p in prims if p not in vmap_rules) == []


# ---------------------------------------------------------------- linear algebra

def _axes(nargs, ndims):
    """Every combination of one batch axis (or None) per argument, at least one batched."""
    choices = [[None] + list(range(nd + 1)) for nd in ndims[:nargs]]
    return [c for c in itertools.product(*choices) if any(d is not None for d in c)]


BINARY = {
    "matmul": (lambda a, b: a @ b, (2, 3), (3, 4)),
    "matmul_vec": (lnp.matmul, (3,), (3, 2)),
    "dot": (lnp.dot, (2, 3), (3,)),
    "einsum": (lambda a, b: lnp.einsum("ij,kj->ik", a, b), (2, 3), (4, 3)),
    "tensordot": (lambda a, b: lnp.tensordot(a, b, 1), (2, 3), (3, 2)),
}


@pytest.mark.parametrize("name", sorted(BINARY))
def test_products_match_stacking(name):
    f, sa, sb = BINARY[name]
    a, b = RNG.normal(size=sa), RNG.normal(size=sb)
    for da, db in _axes(2, (len(sa), len(sb))):
        check(f, (da, db), batch(a, da), batch(b, db))


SOLVES = {
    "solve": lnp.linalg.solve,
    "solve_vec": lambda a, b: lnp.linalg.solve(a, b.sum(axis=1)),
    "solve_triangular": lambda a, b: lnp.linalg.solve_triangular(a, b, lower=True),
    "solve_triangular_t": lambda a, b: lnp.linalg.solve_triangular(a, b, trans=1),
    "cho_solve": lambda a, b: lnp.linalg.solve_triangular(
        lnp.linalg.cholesky(a), b, lower=True),
}


@pytest.mark.parametrize("name", sorted(SOLVES))
def test_solves_match_stacking(name):
    a, b = _spd(), RNG.normal(size=(3, 2))
    for da, db in _axes(2, (2, 2)):
        check(SOLVES[name], (da, db), batch(a, da), batch(b, db), rtol=1e-9)


@pytest.mark.parametrize("name", ["cholesky", "slogdet", "inv", "det"])
@pytest.mark.parametrize("d", [0, 1, 2])
def test_matrix_functions_match_stacking(name, d):
    f = getattr(lnp.linalg, name)
    check(f, (d,), batch(_spd(), d), rtol=1e-9)


def test_matrix_functions_of_stacks_keep_leading_batch_axes():
    a = np.stack([_spd() for _ in range(2)])           # per example (2, 3, 3)
    check(lnp.linalg.cholesky, (1,), batch(a, 1))
    check(lnp.linalg.slogdet, (0,), batch(a, 0))
    prog = lt.make_program(lt.vmap(lnp.linalg.cholesky, 1, 1))(batch(a, 1))
    assert [e.prim.name for e in prog.eqns] == ["cholesky"]  # no transposes


def test_dot_general_needs_no_transposes():
    a, b = RNG.normal(size=(B, 2, 3)), RNG.normal(size=(3, B, 4))
    for in_axes, out_axis in [((0, 1), 0), ((None, 1), 1), ((0, None), 0)]:
        args = (a if in_axes[0] is not None else a[0], b if in_axes[1] is not None else b[:, 0])
        prog = lt.make_program(lt.vmap(lambda x, y: x @ y, in_axes, out_axis))(*args)
        assert [e.prim.name for e in prog.eqns] == ["dot_general"], prog


def test_batched_tangents_of_cholesky():
    # vmap of jvp: the matrix is unbatched, the tangents are (left and right triangular
    # solves with an unbatched matrix fold the batch into the right-hand side)
    a, ts = _spd(), RNG.normal(size=(B, 3, 3))
    f = lambda t: lt.jvp(lnp.linalg.cholesky, (a,), (t,))[1]  # noqa: E731
    check(f, (0,), ts, rtol=1e-9)
    check(f, (2,), np.moveaxis(ts, 0, 2), rtol=1e-9)


def test_grad_through_batched_solve():
    a, b = _spd(), RNG.normal(size=(B, 3))

    def loss(a):
        return lt.vmap(lambda bi: lnp.linalg.solve(a, bi))(b).sum()

    want = sum(lt.grad(lambda a, bi=bi: lnp.linalg.solve(a, bi).sum())(a) for bi in b)
    np.testing.assert_allclose(lt.grad(loss)(a), want, rtol=1e-9)


# ---------------------------------------------------------------- calls

@lt.fn
def _g(x, y):
    return lnp.sin(x) * y + x.sum()


def _call_programs(prog):
    return [e.params["program"] for e in prog.eqns if e.prim is call.call_p]


def test_fn_under_vmap_is_a_cached_batched_call():
    x, y = RNG.normal(size=(B, 4)), RNG.normal(size=(4,))
    check(_g, (0, None), x, y)
    check(_g, (1, 0), x.T.copy(), np.stack([y] * B))
    p1 = _call_programs(lt.make_program(lt.vmap(_g, (0, None)))(x, y))
    p2 = _call_programs(lt.make_program(lt.vmap(_g, (0, None)))(x + 1, y))
    p3 = _call_programs(lt.make_program(lt.vmap(_g, (1, None)))(x.T.copy(), y))
    assert len(p1) == 1 and p1[0] is p2[0]          # the same derived program, reused
    assert p3[0] is not p1[0]                        # other batch axes: another program
    assert p1[0].name.startswith("vmap_")
    typecheck(p1[0])


def test_fn_called_twice_in_a_vmapped_function():
    x = RNG.normal(size=(B, 4))
    prog = lt.make_program(lt.vmap(lambda x: _g(_g(x, x), x)))(x)
    progs = _call_programs(prog)
    assert len(progs) == 2 and progs[0] is progs[1]
    check(lambda x: _g(_g(x, x), x), (0,), x)


def test_fn_with_unbatched_output():
    @lt.fn
    def h(x, y):
        return x * 2.0, y + 1.0

    got = lt.vmap(h, (0, None), (0, None))(np.arange(3.0), 5.0)
    np.testing.assert_allclose(got[0], [0.0, 2.0, 4.0])
    assert float(got[1]) == 6.0


def test_jit_of_vmap_and_vmap_of_jit():
    x, y = RNG.normal(size=(B, 4)), RNG.normal(size=(4,))
    f = lambda x, y: lnp.tanh(x) @ y  # noqa: E731
    want = stacked(f, (0, None), x, y)
    np.testing.assert_allclose(lt.jit(lt.vmap(f, (0, None)))(x, y), want, rtol=1e-12)
    np.testing.assert_allclose(lt.vmap(lt.jit(f), (0, None))(x, y), want, rtol=1e-12)
    np.testing.assert_allclose(lt.jit(lt.vmap(lt.jit(f), (0, None)))(x, y), want, rtol=1e-12)


def test_checkpoint_under_vmap_keeps_its_policy():
    policy = lt.checkpoint_policies.dots_saveable
    f = lt.checkpoint(lambda x: lnp.sin(lt.checkpoint_name(lnp.sin(x), "s")), policy=policy)
    x = RNG.normal(size=(B, 4))
    check(f, (0,), x)
    prog = lt.make_program(lt.vmap(f))(x)
    (eqn,) = [e for e in prog.eqns if e.prim is call.call_p]
    assert eqn.params["policy"] is policy
    g = lt.grad(lambda x: lt.vmap(f)(x).sum())(x)
    np.testing.assert_allclose(g, np.cos(np.sin(x)) * np.cos(x), rtol=1e-12)
    g = lt.vmap(lt.grad(lambda x: f(x).sum()))(x)
    np.testing.assert_allclose(g, np.cos(np.sin(x)) * np.cos(x), rtol=1e-12)


# ---------------------------------------------------------------- cond / switch

def _cond_f(p, x, y):
    return lt.cond(p, lambda x, y: (x * y, x.sum()), lambda x, y: (x - y, 2.0 * y.sum()), x, y)


@pytest.mark.parametrize("in_axes", [(0, 0, None), (None, 0, 0), (None, None, 0), (0, 1, 0),
                                     (0, None, None)])
def test_cond_matches_stacking(in_axes):
    p = np.array([True, False, True])
    x, y = RNG.normal(size=(4,)), RNG.normal(size=(4,))
    args = [p if in_axes[0] is not None else True, batch(x, in_axes[1]), batch(y, in_axes[2])]
    check(_cond_f, in_axes, *args)


def test_cond_with_unbatched_predicate_stays_a_cond():
    x = RNG.normal(size=(B, 4))
    prog = lt.make_program(lt.vmap(_cond_f, (None, 0, None)))(True, x, x[0])
    assert [e.prim.name for e in prog.eqns if e.prim.higher_order] == ["cond"]
    prog = lt.make_program(lt.vmap(_cond_f, (0, 0, None)))(np.ones(B, bool), x, x[0])
    names = [e.prim.name for e in prog.eqns]
    assert "cond" not in names and "select" in names


def test_switch_with_batched_index_clamps():
    idx = np.array([-2, 0, 1, 2, 9])
    x = RNG.normal(size=(5, 2))
    branches = [lambda x: x * 2.0, lambda x: lnp.sin(x), lambda x: x - 1.0]
    f = lambda i, x: lt.switch(i, branches, x)  # noqa: E731
    got = lt.vmap(f)(idx, x)
    want = np.stack([f(int(i), xi) for i, xi in zip(idx, x)])
    np.testing.assert_allclose(got, want, rtol=1e-12)
    np.testing.assert_allclose(lt.vmap(f, (None, 0))(1, x), np.sin(x), rtol=1e-12)


def test_grad_of_vmapped_cond():
    p, x = np.array([True, False, True]), RNG.normal(size=(B, 4))
    loss = lambda x: lt.vmap(lambda p, x: _cond_f(p, x, x)[0])(p, x).sum()  # noqa: E731
    want = np.where(p[:, None], 2 * x, 0.0)
    np.testing.assert_allclose(lt.grad(loss)(x), want, rtol=1e-12)


# ---------------------------------------------------------------- scan / fori_loop

def _scan_f(c, init, xs):
    def step(carry, x):
        return carry * 0.5 + x * c, (carry + x, carry.sum())
    return lt.scan(step, init, xs)


@pytest.mark.parametrize("in_axes", [(0, None, None), (None, 0, None), (None, None, 0),
                                     (None, None, 1), (None, None, 2), (0, 1, 2),
                                     (None, 0, 1)])
def test_scan_matches_stacking(in_axes):
    c, init, xs = 1.5, RNG.normal(size=(2,)), RNG.normal(size=(5, 2))
    args = [batch(c, in_axes[0]) if in_axes[0] is not None else c, batch(init, in_axes[1]),
            batch(xs, in_axes[2])]
    check(_scan_f, in_axes, *args)


def test_scan_carry_becomes_batched_through_a_batched_const():
    # the carry starts unbatched and picks up the batch from c: a fixed point
    f = lambda c: lt.scan(lambda a, _: (a * c + 1.0, a), 0.0, None, length=4)  # noqa: E731
    check(f, (0,), np.array([0.5, 1.0, 2.0]))


def test_fori_loop_matches_stacking():
    f = lambda x, y: lt.fori_loop(0, 4, lambda i, v: (v[0] * x + i, v[1] + v[0]),  # noqa: E731
                                  (y, 0.0))
    x, y = RNG.normal(size=(B,)), RNG.normal(size=(B,))
    check(f, (0, None), x, 1.0)
    check(f, (None, 0), 0.7, y)
    check(f, (0, 0), x, y)


def test_grad_of_vmapped_scan_and_vmap_of_grad():
    c, xs = RNG.normal(size=(B,)), RNG.normal(size=(B, 5, 2))
    f = lambda c, xs: _scan_f(c, np.zeros(2), xs)[0].sum()  # noqa: E731
    want = stacked(lt.grad(f), (0, 0), c, xs)
    np.testing.assert_allclose(lt.vmap(lt.grad(f))(c, xs), want, rtol=1e-10)
    np.testing.assert_allclose(lt.grad(lambda c: lt.vmap(f)(c, xs).sum())(c), want, rtol=1e-10)


# ---------------------------------------------------------------- while_loop

def _while_f(x, limit):
    return lt.while_loop(lambda v: v[0] < limit, lambda v: (v[0] * 2.0 + 1.0, v[1] + 1),
                         (x, 0))


def test_while_with_batched_predicate_runs_each_lane_its_own_trip_count():
    x = np.array([0.0, 3.0, 20.0, 9.0, -0.5])
    got = lt.vmap(_while_f, (0, None))(x, 10.0)
    want = [_while_f(v, 10.0) for v in x]
    np.testing.assert_allclose(got[0], [w[0] for w in want])
    np.testing.assert_array_equal(got[1], [w[1] for w in want])
    assert len(set(int(w[1]) for w in want)) >= 3      # the lanes stop at different steps
    limits = np.array([1.0, 5.0, 100.0])
    check(_while_f, (None, 0), 0.0, limits)


def test_while_with_unbatched_predicate_stays_a_plain_loop():
    f = lambda n, y: lt.while_loop(lambda v: v[0] < n,  # noqa: E731
                                   lambda v: (v[0] + 1, v[1] * 1.5), (0, y))
    y = RNG.normal(size=(B,))
    check(f, (None, 0), 4, y)
    prog = lt.make_program(lt.vmap(f, (None, 0)))(4, y)
    (eqn,) = [e for e in prog.eqns if e.prim.name == "while_loop"]
    assert "select" not in [e.prim.name for e in eqn.params["body_prog"].eqns]


def test_fori_loop_with_batched_bound_and_jvp():
    f = lambda n, x: lt.fori_loop(0, n, lambda i, v: v * x + i, 1.0)  # noqa: E731
    n, x = np.array([0, 3, 1, 5]), np.array([1.0, 0.5, 2.0, 1.1])
    check(f, (0, 0), n, x)
    tangent = lt.vmap(lambda n, x: lt.jvp(lambda x: f(n, x), (x,), (1.0,))[1])(n, x)
    want = [lt.jvp(lambda x, n=int(k): f(n, x), (float(v),), (1.0,))[1] for k, v in zip(n, x)]
    np.testing.assert_allclose(tangent, want, rtol=1e-12)


# ---------------------------------------------------------------- custom rules

@lt.custom_jvp
def _cj(x, y):
    return lnp.sin(x) * y


@_cj.defjvp
def _cj_jvp(primals, tangents):
    (x, y), (tx, ty) = primals, tangents
    return _cj(x, y), 3.0 * tx * y + 0.0 * ty     # deliberately not the true derivative


@lt.custom_vjp
def _cv(x, y):
    return lnp.sin(x) * y


_cv.defvjp(lambda x, y: (_cv(x, y), (x, y)), lambda res, ct: (5.0 * ct * res[1], 7.0 * ct))


@pytest.mark.parametrize("in_axes", [(0, 0), (0, None), (None, 0)])
def test_custom_jvp_under_vmap_uses_the_rule(in_axes):
    x, y = RNG.normal(size=(B,)), RNG.normal(size=(B,)) + 2.0
    args = [x if in_axes[0] is not None else 0.3, y if in_axes[1] is not None else 1.5]
    check(_cj, in_axes, *args)
    # d/dx by the rule: 3y; grad of vmap and vmap of grad
    want = 3.0 * np.broadcast_to(args[1], (B,))
    np.testing.assert_allclose(lt.vmap(lt.grad(_cj), in_axes)(*args), want)
    if in_axes[0] is not None:
        g = lt.grad(lambda x: lt.vmap(_cj, in_axes)(x, args[1]).sum())(x)
        np.testing.assert_allclose(g, want)
    else:
        g = lt.grad(lambda x: lt.vmap(_cj, in_axes)(x, args[1]).sum())(0.3)
        np.testing.assert_allclose(g, want.sum())
    jac = lt.jacfwd(lambda x: lt.vmap(_cj, (0, None))(x, 2.0))(x)
    np.testing.assert_allclose(jac, np.diag(np.full(B, 6.0)))


@pytest.mark.parametrize("in_axes", [(0, 0), (0, None), (None, 0)])
def test_custom_vjp_under_vmap_uses_the_rule(in_axes):
    x, y = RNG.normal(size=(B,)), RNG.normal(size=(B,)) + 2.0
    args = [x if in_axes[0] is not None else 0.3, y if in_axes[1] is not None else 1.5]
    check(_cv, in_axes, *args)
    ys = np.broadcast_to(args[1], (B,))
    gx, gy = lt.vmap(lt.grad(_cv, argnums=(0, 1)), in_axes)(*args)
    np.testing.assert_allclose(gx, 5.0 * ys)
    np.testing.assert_allclose(gy, np.full(B, 7.0))
    loss = lambda a, b: lt.vmap(_cv, in_axes)(a, b).sum()  # noqa: E731
    gx, gy = lt.grad(loss, argnums=(0, 1))(*args)
    # an unbatched argument's gradient is the sum over the batch
    np.testing.assert_allclose(gx, 5.0 * ys if in_axes[0] is not None else 5.0 * ys.sum())
    np.testing.assert_allclose(gy, np.full(B, 7.0) if in_axes[1] is not None else 7.0 * B)
    gx, gy = lt.jit(lt.grad(loss, argnums=(0, 1)))(*args)
    np.testing.assert_allclose(gy, np.full(B, 7.0) if in_axes[1] is not None else 7.0 * B)


def test_custom_lin_batches_its_bwd():
    # a vmapped linearized custom_vjp function, transposed: custom_lin itself is batched
    _, f_jvp = lt.linearize(_cv, 1.0, 2.0)
    ct = np.array([1.0, 2.0, 3.0])
    tx, ty = lt.linear_transpose(lt.vmap(f_jvp), np.zeros(B), np.zeros(B))(ct)
    np.testing.assert_allclose(tx, 10.0 * ct)
    np.testing.assert_allclose(ty, 7.0 * ct)
    tx, ty = lt.linear_transpose(lt.vmap(f_jvp, (0, None)), np.zeros(B), 0.0)(ct)
    np.testing.assert_allclose(tx, 10.0 * ct)
    np.testing.assert_allclose(ty, 7.0 * ct.sum())


def test_custom_vjp_inside_fn_under_grad_of_vmap():
    h = lt.fn(lambda x: _cv(x, 2.0) * 1.0)
    x = RNG.normal(size=(B,))
    np.testing.assert_allclose(lt.grad(lambda x: lt.vmap(h)(x).sum())(x), np.full(B, 10.0))


# ---------------------------------------------------------------- composition

def test_nested_vmap():
    a, b = RNG.normal(size=(2, 3, 4, 4)), RNG.normal(size=(3, 4))
    f = lambda a, b: lt.cond(b.sum() > 0, lambda: a @ b, lambda: -(a @ b))  # noqa: E731
    got = lt.vmap(lt.vmap(f, (0, None)), (1, 0))(a, b)
    want = np.stack([np.stack([f(a[i, j], b[j]) for i in range(2)]) for j in range(3)])
    np.testing.assert_allclose(got, want, rtol=1e-12)
    g = lambda x: lt.scan(lambda c, xi: (c + xi * c, c), 1.0, x)[1]  # noqa: E731
    xs = RNG.normal(size=(2, 3, 5))
    want = np.stack([np.stack([g(xs[i, j]) for j in range(3)]) for i in range(2)])
    np.testing.assert_allclose(lt.vmap(lt.vmap(g))(xs), want, rtol=1e-12)
    np.testing.assert_allclose(lt.jit(lt.vmap(lt.vmap(g)))(xs), want, rtol=1e-12)


def test_make_program_of_vmap_prints():
    x = RNG.normal(size=(B, 4))
    f = lambda x: _scan_f(2.0, x.sum() * np.ones(2), lnp.reshape(x, (2, 2)))[0]  # noqa: E731
    text = str(lt.make_program(lt.vmap(lambda x: _g(f(x), x.sum()) @ f(x)))(x))
    assert "scan[" in text and "vmap_" in text and "call[" in text
    text = str(lt.make_program(lt.vmap(_while_f, (0, None)))(x[:, 0], 3.0))
    assert "while_loop[" in text and "select" in text
