"""Hypothesis settings for the device tests: modest by default, thorough on demand.

``GONGWU_HYPOTHESIS_PROFILE=devices-thorough`` runs 2000 examples per property; ``devices-fuzz`` runs
``GONGWU_HYPOTHESIS_EXAMPLES`` (``reliability/fuzz.py`` sizes it to its time budget).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("devices", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("devices-more", max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile(
    "devices-thorough", max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "devices-fuzz",
    max_examples=int(os.environ.get("GONGWU_HYPOTHESIS_EXAMPLES", "2000")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
DEVICES = settings.get_profile(os.environ.get("GONGWU_HYPOTHESIS_PROFILE", "devices"))
