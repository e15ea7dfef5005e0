"""lintra: automatic differentiation of programs over numbers, arrays and functions.

One small core: a JVP rule per primitive and a transpose rule per linear primitive; every
other derivative mode is derived (linearize -> unzip -> transpose).
"""

from . import (
    flatten_util,  # noqa: F401  (lintra.flatten_util.ravel_pytree)
    functional,  # noqa: F401,E402  (lintra.functional: function values)
    numpy,  # noqa: F401  (operators on traced values follow it)
)
from .ad.linearity import NonLinearError, check_linear  # noqa: F401
from .ad.unzip import unzip_program  # noqa: F401
from .api import (  # noqa: F401
    grad,
    hessian,
    jacfwd,
    jacrev,
    jet,
    jvp,
    linear_transpose,
    linearize,
    stop_gradient,
    value_and_grad,
    vjp,
)
from .convenience import elementwise_grad, hvp, jacobian  # noqa: F401
from .core.errors import (  # noqa: F401
    ConcretizationError,
    LintraError,
    MissingRuleError,
    NonDifferentiableError,
)
from .core.ir import Program, TypeCheckError, dce, typecheck  # noqa: F401
from .core.pytree import (  # noqa: F401
    register_dataclass,
    register_pytree_node,
    tree_leaves,
    tree_map,
    tree_structure,
)
from .devices import data_parallel, device_put  # noqa: F401
from .eager import fork_join, parallel_map  # noqa: F401
from .jit import fn, jit, make_program  # noqa: F401
from .ops.checkpoint import (  # noqa: F401
    checkpoint,
    checkpoint_name,
    checkpoint_policies,
    remat,
    saved_residuals,
)
from .ops.control import cond, fori_loop, scan, switch, while_loop  # noqa: F401
from .ops.custom import custom_jvp, custom_vjp  # noqa: F401
from .ops.debug import debug_print  # noqa: F401
from .vmap import vmap  # noqa: F401

__version__ = "0.1.0"
