"""Shared test settings: a headless matplotlib backend and hypothesis profiles.

CI runs a derandomized profile (the same examples every run); a developer's
run draws fresh shapes and seeds each time. Set HYPOTHESIS_PROFILE to choose.
"""

import os

os.environ.setdefault("MPLBACKEND", "Agg")

from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile(
    "ci", max_examples=12, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))
