import os

from hypothesis import HealthCheck, settings

import lintra.core.config

# Every staged or derived program (jit, make_program, jvp/unzip/transpose of functions, the
# linear programs of linearize) is type-checked as it is made, throughout the suite.
lintra.core.config.check_programs = True

settings.register_profile(
    "ci", max_examples=int(os.environ.get("LINTRA_EXAMPLES", "25")), deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile("ci")
