import numpy as np

import lintra as lt
import lintra.numpy as lnp


def test_grad_sin_times_x():
    g = lt.grad(lambda x: lnp.sin(x) * x)(1.0)
    assert np.isclose(g, np.cos(1.0) + np.sin(1.0))


def test_fibonacci_known_answer():
    # x0 = x, x1 = x + y, x_k = x_{k-1} + x_{k-2}: x10 = 89 x + 55 y, so at (1, 2)
    # d(x10^2) = 2 * 199 * (89, 55) = (35422, 21890)
    def f(x, y):
        a, b = x, x + y
        for _ in range(9):
            a, b = b, a + b
        return b * b

    assert lt.grad(f, argnums=(0, 1))(1.0, 2.0) == (35422.0, 21890.0)
