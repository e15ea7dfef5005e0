import os

import pytest
from hypothesis import HealthCheck, settings

import lintra.core.config
from lintra.backends import native as nat

# Every staged or derived program (jit, make_program, jvp/unzip/transpose of functions, the
# linear programs of linearize) is type-checked as it is made, throughout the suite.
lintra.core.config.check_programs = True

settings.register_profile(
    "ci", max_examples=int(os.environ.get("LINTRA_EXAMPLES", "25")), deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile("ci")


@pytest.fixture
def fresh_native_cache(tmp_path, monkeypatch):
    """An empty native disk cache: every object is compiled (and counted) in the test, and
    programs start at O0 and tier up there (an object noted on disk by an earlier run would
    skip the shared functions such tests are about). For the native test files that ask."""
    monkeypatch.setenv("LINTRA_CACHE_DIR", str(tmp_path))
    nat.wait_for_tier_up()
