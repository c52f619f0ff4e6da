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


def pytest_addoption(parser):
    """`--plentymarkets-live`: also run the tests against a real plentymarkets system (marker `live`)."""
    parser.addoption(
        "--plentymarkets-live",
        action="store_true",
        help="run the tests marked `live` against the plentymarkets system named by the PLENTY_* variables",
    )


def pytest_collection_modifyitems(config, items):
    """Deselect the `live` tests unless asked for: CI has no system to call, and shows no skip for them."""
    if config.getoption("--plentymarkets-live"):
        return
    live = [item for item in items if item.get_closest_marker("live")]
    if live:
        config.hook.pytest_deselected(items=live)
        items[:] = [item for item in items if not item.get_closest_marker("live")]
