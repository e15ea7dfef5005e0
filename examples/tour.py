"""A tour of lintra: each feature prints a derivative (or a program) and checks it against an
independent value (a closed form or central finite differences). Run with `make demo`."""

import time

import numpy as np

import lintra as lt
import lintra.functional as lf
import lintra.numpy as lnp
from lintra.core.printing import count_programs


def section(title):
    print(f"\n== {title} " + "=" * max(0, 70 - len(title)))


def check(name, got, expected, rtol=1e-7, atol=1e-10):
    ok = np.allclose(got, expected, rtol=rtol, atol=atol)
    print(f"  {name}: {np.round(np.asarray(got, float), 6).tolist()}  "
          f"[{'ok' if ok else 'MISMATCH'} vs {np.round(np.asarray(expected, float), 6).tolist()}]")
    if not ok:
        raise SystemExit(f"tour: {name} does not match its independent value")


def fd_grad(f, x, eps=1e-6):
    x = np.asarray(x, float)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = eps
        g[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return g


x = np.array([0.3, -1.2, 2.0])
f = lambda v: lnp.sum(lnp.sin(v) * v ** 2)

section("grad, jvp, vjp, hessian (reverse mode = linearize + transpose)")
check("grad f", lt.grad(f)(x), np.cos(x) * x ** 2 + 2 * x * np.sin(x))
_, tangent = lt.jvp(f, (x,), (np.ones(3),))
check("jvp f . 1", tangent, np.sum(np.cos(x) * x ** 2 + 2 * x * np.sin(x)))
_, f_vjp = lt.vjp(lambda v: lnp.sin(v) * v, x)
check("vjp", f_vjp(np.ones(3))[0], np.cos(x) * x + np.sin(x))
check("hessian diag", np.diag(lt.hessian(f)(x)),
      -np.sin(x) * x ** 2 + 4 * x * np.cos(x) + 2 * np.sin(x))

section("the program of a derivative (make_program)")
print(lt.make_program(lt.grad(lambda a: lnp.sin(a) * a))(0.5))

section("jit: staged once per input types, cached")
jg = lt.jit(lt.grad(f))
check("jit(grad f)", jg(x), lt.grad(f)(x), rtol=1e-13)

section("eager reverse mode: any Python control flow")


def piecewise(v):
    total = 0.0
    for k in range(4):
        if v > k:                 # a Python `if` on the value
            total = total + lnp.exp(-v * k)
        else:
            total = total + v * k
    return total


check("grad of a Python loop with ifs at 2.5", lt.grad(piecewise)(2.5),
      fd_grad(lambda v: float(piecewise(v)), 2.5), rtol=1e-6)


def fib(a, b):
    p, q = a, a + b
    for _ in range(9):
        p, q = q, p + q
    return q * q


check("Fibonacci chain: grad(x10^2) at (1, 2)", lt.grad(fib, argnums=(0, 1))(1.0, 2.0),
      [35422.0, 21890.0])

section("reusable functions (@lintra.fn): linear program size")
fs = [lt.fn(lnp.sin, name="f0")]
for k in range(30):
    fs.append(lt.fn((lambda p: lambda v: p(v) + p(v))(fs[-1]), name=f"f{k + 1}"))
n_prog, n_eqn = count_programs(lt.make_program(lt.grad(fs[-1]))(0.3))
print(f"  f_30 = f_29 + f_29 (2^30 sin calls in source semantics): gradient program has "
      f"{n_prog} functions, {n_eqn} equations")
check("grad f_30 = 2^30 cos(0.3)", lt.grad(fs[-1])(0.3), 2.0 ** 30 * np.cos(0.3))

section("checkpointing = the unzip policy")


def chain(v):
    for _ in range(8):
        v = lnp.sin(v)
    return v


for name, pol in [("everything_saveable", lt.checkpoint_policies.everything_saveable),
                  ("nothing_saveable", lt.checkpoint_policies.nothing_saveable)]:
    cf = lt.checkpoint(chain, policy=pol)
    print(f"  {name}: {len(lt.saved_residuals(cf, 0.7))} residuals")
    check(f"  grad under {name}", lt.grad(cf)(0.7), lt.grad(chain)(0.7), rtol=0)

section("custom rules")


@lt.custom_jvp
def softplus(v):
    return lnp.log1p(lnp.exp(v))


softplus.defjvp(lambda p, t: (softplus(p[0]), t[0] / (1.0 + lnp.exp(-p[0]))))
check("custom_jvp softplus'", lt.grad(softplus)(0.4), 1 / (1 + np.exp(-0.4)))

section("structured control flow (scan / fori_loop) under jit and grad")
if hasattr(lt, "fori_loop"):
    xs = np.linspace(0.1, 1.0, 6)

    def recurrence(v):
        return lt.fori_loop(0, 6, lambda i, s: lnp.sin(s) * lnp.take(v, i) + lnp.take(v, i),
                            0.0)

    check("grad of s = sin(s) x[i] + x[i]", lt.jit(lt.grad(recurrence))(xs),
          fd_grad(lambda v: float(recurrence(v)), xs), rtol=1e-6)

    def branchy(v):
        return lt.cond(v > 0.0, lambda u: u * lnp.sin(u), lambda u: -u ** 3, v)

    check("jit(grad) through cond at 0.8", lt.jit(lt.grad(branchy))(0.8),
          np.sin(0.8) + 0.8 * np.cos(0.8))

    def halve_until_small(v):        # a data-dependent trip count: forward mode only
        return lt.while_loop(lambda s: s[0] > 0.1, lambda s: (s[0] * 0.5, s[1] * 1.5),
                             (v, v))[1]

    _, dt = lt.jvp(halve_until_small, (1.0,), (1.0,))
    check("jvp through while_loop (4 halvings: x * 1.5^4)", dt, 1.5 ** 4)
    try:
        lt.grad(halve_until_small)(1.0)
    except lt.LintraError as e:
        print(f"  reverse mode through while_loop is a clear error: {str(e)[:90]}...")

section("fork/join: parallel branches, deterministic backward")
a = np.random.default_rng(0).standard_normal(200_000)
par = lambda v: lnp.sum(lnp.multiply(*lt.fork_join(lnp.sin, lnp.cos, v)))
check("grad sum(sin*cos) = cos 2x", lt.grad(par)(a)[:4], np.cos(2 * a)[:4])

section("linear_transpose")
m = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
lin = lambda v: lnp.sum(lnp.reshape(v, (1, 2)) * m, axis=1)
check("transpose of v -> M v is M^T", lt.linear_transpose(lin, np.zeros(2))(np.ones(3))[0],
      m.T @ np.ones(3))

section("vmap: per-example gradients, batched Jacobians")
w = np.array([0.5, -1.0, 2.0])
xs = np.random.default_rng(2).standard_normal((4, 3))
loss = lambda w, x: lnp.sum(lnp.tanh(w * x) ** 2)
per_example = lt.vmap(lt.grad(loss), in_axes=(None, 0))(w, xs)
check("vmap(grad) row 2", per_example[2], fd_grad(lambda v: float(loss(v, xs[2])), w),
      rtol=1e-6)
th = np.tanh(w * xs)
check("d/dw sum tanh(w x)^2 = 2 tanh sech^2 x (row 0)", per_example[0],
      2 * th[0] * (1 - th[0] ** 2) * xs[0])
jac = lt.jacrev(lambda v: lnp.sin(v) * lnp.sum(v))(x)
check("jacrev (one vmap of the vjp)", jac, np.diag(np.cos(x) * x.sum()) + np.sin(x)[:, None])
print("  a batched program:")
print("   ", str(lt.make_program(lt.vmap(lambda a, b: lnp.sum(a * b), in_axes=(0, None)))(
    xs, w)).replace("\n", "\n    "))

section("functional derivatives: grad of a functional is a Function")
quad = lf.gauss_legendre(0.0, 1.0, 64)
energy = lambda u: lf.integrate(lnp.exp(u) + lf.nabla(u) ** 2, quad)   # ∫ e^u + u'^2
dE = lt.grad(energy)(lf.function(lnp.sin))   # δE/δu = e^u − 2u'' (examples/functional_*.py)
pts = np.array([0.2, 0.5, 0.9])
check("δE/δu at u = sin: e^sin x + 2 sin x", dE(pts), np.exp(np.sin(pts)) + 2 * np.sin(pts))
bump = lf.function(lambda v: v ** 2 * (1 - v) ** 2)   # h(0) = h(1) = 0: no boundary terms
check("⟨δE/δu, h⟩ = d/dε E[sin + εh]", lf.braket(dE, bump, quad),
      fd_grad(lambda e: float(energy(lf.function(lnp.sin) + e * bump)), 0.0), rtol=1e-6)

section("speed of eager scalar code")
n = 1000
xv = np.random.default_rng(1).standard_normal(n)


def scalar_loop(v):
    s = 0.0
    for i in range(n - 1):
        s = s + lnp.sin(v[i]) * lnp.cos(v[i + 1])
    return s


lt.grad(scalar_loop)(xv)
t0 = time.perf_counter()
g = lt.grad(scalar_loop)(xv)
dt = time.perf_counter() - t0
ref = np.zeros(n)
ref[:-1] += np.cos(xv[:-1]) * np.cos(xv[1:])
ref[1:] -= np.sin(xv[:-1]) * np.sin(xv[1:])
check("grad of the scalar loop (first 3)", g[:3], ref[:3])
print(f"  n = {n}: {dt * 1e3:.1f} ms forward+backward, "
      f"{dt / (6 * (n - 1)) * 1e6:.2f} us per primal operation")
t0 = time.perf_counter()
jgrad = lt.jit(lt.grad(scalar_loop))
g = jgrad(xv)
first = time.perf_counter() - t0
check("jit(grad) of the same Python loop (first 3)", g[:3], ref[:3])
t0 = time.perf_counter()
for _ in range(100):
    jgrad(xv)
print(f"  jit(grad): first call {first * 1e3:.0f} ms (the unrolled loop is rolled back into a "
      f"scan before it is differentiated), then {(time.perf_counter() - t0) * 1e4:.0f} us "
      f"per call over the next 100 (first code at O0; a hot loop is recompiled at O2 in "
      f"the background)")
print("\ntour complete: every value matched its independent check")
