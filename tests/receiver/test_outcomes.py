"""What a handler raises to ask for a retry or to stop retrying."""

import math

import pytest

from plenty_events.receiver import Permanent, RetryLater


@pytest.mark.parametrize("seconds", [0, 0.5, 30, 86_400.0])
def test_retry_later_keeps_a_finite_delay(seconds):
    """A finite, non-negative delay is kept as a float with its reason."""
    raised = RetryLater(seconds, "answered 429")
    assert raised.seconds == float(seconds)
    assert isinstance(raised.seconds, float)
    assert raised.reason == "answered 429"


@pytest.mark.parametrize("seconds", [-1, -0.001, math.inf, math.nan])
def test_retry_later_refuses_a_delay_that_is_not_finite_and_positive(seconds):
    """A negative, infinite or NaN delay is a ValueError, not a retry that never or always comes."""
    with pytest.raises(ValueError, match="finite and not negative"):
        RetryLater(seconds)


def test_permanent_keeps_its_reason():
    """Permanent carries the reason it was raised with."""
    assert Permanent("answered 422").reason == "answered 422"
    assert str(Permanent("answered 422")) == "answered 422"
