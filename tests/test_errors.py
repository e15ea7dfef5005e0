"""Bad input gets a clear error that names the value, primitive or argument, never a wrong
number."""

import numpy as np
import pytest

import lintra as lt
import lintra.numpy as lnp


def test_python_if_on_traced_value_under_jit():
    def f(x):
        if x > 0:
            return x
        return -x

    with pytest.raises(lt.ConcretizationError) as e:
        lt.jit(f)(1.0)
    msg = str(e.value)
    assert "bool" in msg and "lintra.cond" in msg and "fori_loop" in msg
    assert "test_errors.py" in msg          # the user's source line


def test_float_and_int_of_traced_value():
    with pytest.raises(lt.ConcretizationError, match="Python float"):
        lt.jit(lambda x: float(x))(1.0)
    with pytest.raises(lt.ConcretizationError, match="Python int"):
        lt.make_program(lambda i: [1.0, 2.0][i])(np.int64(1))


def test_numpy_function_on_traced_value_suggests_lintra_numpy():
    for transform in (lt.jit, lt.grad, lambda f: lambda x: lt.jvp(f, (x,), (1.0,))):
        with pytest.raises(TypeError, match="lintra.numpy.sum"):
            transform(lambda x: np.sum(x))(1.0)
        with pytest.raises(TypeError, match="silently drop"):
            transform(lambda x: np.asarray(x))(1.0)


def test_numpy_ufuncs_on_lintra_values_are_seen():
    # ufuncs (and operators with a NumPy array on the left) dispatch to lintra.numpy
    assert lt.grad(lambda x: np.sin(x) * np.float64(2.0))(0.5) == 2 * np.cos(0.5)
    g = lt.grad(lambda x: lnp.sum(np.array([1.0, 2.0]) * x))(np.ones(2))
    np.testing.assert_array_equal(g, [1.0, 2.0])
    with pytest.raises(TypeError, match="cannot differentiate"):
        lt.grad(lambda x: np.add.reduce(x))(np.ones(2))


def test_grad_requires_scalar_float_output():
    with pytest.raises(TypeError, match="scalar output.*jacrev"):
        lt.grad(lambda x: x * 2.0)(np.ones(3))
    with pytest.raises(lt.NonDifferentiableError, match="floating-point output"):
        lt.grad(lambda x: lnp.sum(x) > 0)(1.0)
    with pytest.raises(TypeError, match="scalar output"):
        lt.grad(lambda x: (x, x))(1.0)


def test_grad_of_integer_input_names_the_argument():
    with pytest.raises(lt.NonDifferentiableError, match="argument 1 has dtype int"):
        lt.grad(lambda x, n: x * n, argnums=(0, 1))(1.0, 2)
    with pytest.raises(lt.NonDifferentiableError, match="argument 0"):
        lt.jacrev(lambda n: n * 2)(np.arange(3))


def test_jvp_argument_checks():
    with pytest.raises(ValueError, match="tangent shape"):
        lt.jvp(lnp.sin, (np.ones(3),), (np.ones(2),))
    with pytest.raises(TypeError, match="tangent dtype"):
        lt.jvp(lnp.sin, (np.ones(3),), (np.ones(3, np.float32),))
    with pytest.raises(ValueError, match="different structures"):
        lt.jvp(lambda a, b: a * b, (1.0, 2.0), (1.0,))
    with pytest.raises(lt.NonDifferentiableError, match="no tangent space"):
        lt.jvp(lambda n: n * 2, (np.int64(3),), (np.int64(1),))


def test_vjp_cotangent_checks():
    _, f_vjp = lt.vjp(lnp.sin, np.ones(3))
    with pytest.raises(ValueError, match="cotangent 0 has shape"):
        f_vjp(np.ones(2))


def test_shape_mismatch_names_the_primitive():
    with pytest.raises(ValueError, match="in `add`.*broadcast"):
        lnp.add(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="cannot be broadcast"):
        lt.jit(lambda a, b: a * b)(np.ones(3), np.ones(4))


def test_escaped_tracer_is_an_error():
    leak = []
    lt.jit(lambda x: leak.append(x) or x)(1.0)
    with pytest.raises(lt.LintraError, match="escaped"):
        lt.jit(lambda y: y + leak[0])(1.0)


def test_missing_jvp_rule_names_primitive():
    from lintra.core.primitive import Primitive
    p = Primitive("test_opaque")
    p.def_impl(lambda x: x)
    p.def_shape(lambda x: x)
    with pytest.raises(lt.MissingRuleError, match="test_opaque.*no JVP rule"):
        lt.grad(lambda x: p.bind(x))(1.0)


def test_unsupported_value_type():
    with pytest.raises(TypeError, match="not a valid lintra value"):
        lt.grad(lambda x: x)("hello")


def test_derived_equations_point_at_the_users_line():
    """Equations staged by jvp, linearize and transpose rules record the line of the user's
    operation they came from (found once per operation, not once per equation)."""
    import inspect

    def f(x):
        y = lnp.sin(x)
        return lnp.exp(y) * x

    first = inspect.getsourcelines(f)[1]
    sin_line, exp_line = f"{__file__}:{first + 1} (f)", f"{__file__}:{first + 2} (f)"
    program = lt.make_program(lt.grad(f))(0.5)
    sources = [e.source for e in program.eqns]
    assert sin_line in sources and exp_line in sources
    # the transposed multiplications of exp(y) * x come from the line that multiplied
    mul_sources = {e.source for e in program.eqns if e.prim.name == "mul"}
    assert exp_line in mul_sources
    assert all(s is not None for s in sources)


def test_each_staged_operation_records_its_own_line():
    """The fast paths of tracing (operators binding their primitive, ``x[i]``, float
    functions of tracers, a user's own ``prim.bind``) still record the user's line."""
    import inspect

    from lintra.ops.elementwise import cos_p

    def f(v):
        a = v[0] * v[1]
        b = lnp.sin(a)
        c = b + 1.0
        d = cos_p.bind(c)
        return (d - v[2]) / v[1]

    first = inspect.getsourcelines(f)[1]
    program = lt.make_program(f)(np.arange(1.0, 4.0))
    lines = [int(e.source.split(":")[-1].split()[0]) - first for e in program.eqns]
    names = [e.prim.name for e in program.eqns]
    assert list(zip(names, lines)) == [("take", 1), ("take", 1), ("mul", 1), ("sin", 2),
                                       ("add", 3), ("cos", 4), ("take", 5), ("sub", 5),
                                       ("div", 5)]
