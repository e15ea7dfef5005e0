"""A tour of lintra (run with `make demo`)."""

import numpy as np

import lintra as lt
import lintra.numpy as lnp

print("grad(sin(x) * x)(1.0) =", lt.grad(lambda x: lnp.sin(x) * x)(1.0),
      "expected", np.cos(1.0) + np.sin(1.0))
