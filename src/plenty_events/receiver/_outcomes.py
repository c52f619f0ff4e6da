"""What a handler raises to say how its failure should be retried."""

from __future__ import annotations

import math


class RetryLater(Exception):  # noqa: N818 -- named for what the handler asks, as `Permanent` is
    """Raised by a handler: this event failed for now; try it again in `seconds`.

    For an answer such as HTTP 429 with `Retry-After` from an API the handler
    calls. The event is retried no sooner than `seconds` from now.

    Args:
        seconds: The delay asked for, finite and not negative.
        reason: Why, for the inbox and the logs. It must hold no personal value.

    Examples:
        >>> from plenty_events.receiver import RetryLater
        >>> RetryLater(30, "plentymarkets answered 429")
        RetryLater(30.0, 'plentymarkets answered 429')

    """

    def __init__(self, seconds: float, reason: str = "") -> None:
        """Ask for a retry in `seconds`."""
        seconds = float(seconds)
        if not (math.isfinite(seconds) and seconds >= 0):
            msg = f"seconds must be finite and not negative, not {seconds!r}"
            raise ValueError(msg)
        super().__init__(seconds, reason)
        self.seconds = seconds
        self.reason = reason

    def __repr__(self) -> str:
        """Show the delay and the reason."""
        return f"RetryLater({self.seconds!r}, {self.reason!r})"


class Permanent(Exception):  # noqa: N818 -- the outcome it asks for, read as `raise Permanent(...)`
    """Raised by a handler: this event cannot succeed by retrying; stop now.

    Args:
        reason: Why, for the inbox, the logs and the dead-letter record. It
            must hold no personal value.

    Examples:
        >>> from plenty_events.receiver import Permanent
        >>> Permanent("plentymarkets answered 422 to the ticket")
        Permanent('plentymarkets answered 422 to the ticket')

    """

    def __init__(self, reason: str) -> None:
        """Say why the event cannot succeed."""
        super().__init__(reason)
        self.reason = reason

    def __repr__(self) -> str:
        """Show the reason."""
        return f"Permanent({self.reason!r})"
