import os

from hypothesis import HealthCheck, settings

# Shared CI machines are slow and noisy: no per-example deadline, and the
# health check about slow data generation would only report the machine.
settings.register_profile(
    "default",
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("thorough", parent=settings.get_profile("default"), max_examples=1000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
