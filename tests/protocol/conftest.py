"""Hypothesis profiles for the protocol property tests (tests/protocol/test_properties.py).

``ci`` (the default) keeps the whole protocol suite well under a minute on two cores;
``thorough`` is a local soak: ``HYPOTHESIS_PROFILE=thorough pytest tests/protocol``.
The profiles are registered, never loaded globally, so other suites' Hypothesis settings
(schemathesis in tests/api) are left alone; test_properties.py uses one as the parent of
each test's settings and scales the per-test example counts from its max_examples.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings

_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large]

settings.register_profile(
    "ci", max_examples=100, deadline=None, derandomize=True, suppress_health_check=_QUIET
)
settings.register_profile(
    "thorough", max_examples=2_000, deadline=None, suppress_health_check=_QUIET
)
