"""Counts in words: ``1 error``, ``2 errors``, in every line that counts findings."""

from __future__ import annotations

import logging

import pytest

import plenty_events
from plenty_events.receiver import Receiver
from plenty_events.testing import sample_payload, to_json
from tests.receiving import BODY, BROKEN_BODY, TOKEN, Handler


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (BROKEN_BODY, "rejected with 422, 1 error: "),
        (BROKEN_BODY.replace(b'"street":"Main Street"', b'"street":null'), ", 2 errors: "),
        (BODY.replace(b'"country":"DE"', b'"country":"de"'), "accepted with 1 repair: "),
    ],
)
def test_the_receivers_log_lines_count_in_words(body, expected, caplog):
    """The receiver logs '1 error' and '1 repair', not '1 errors'; '2 errors' for two."""
    caplog.set_level(logging.INFO, logger="plenty_events")
    Receiver(tokens=TOKEN, handler=Handler()).receive(TOKEN, body)
    assert any(expected in record.getMessage() for record in caplog.records), caplog.text


@pytest.mark.parametrize(
    ("extra", "expected"), [(1, "1 more error is not listed"), (2, "2 more errors are not listed")]
)
def test_the_count_of_errors_not_listed_is_in_words(extra, expected):
    """The last finding of a long list counts those left out, singular or plural."""
    payload = sample_payload()
    items = payload["resource"]["order"]["orderItems"]
    items[:] = [{**items[0], "quantity": "x"} for _ in range(100 + extra)]
    with pytest.raises(plenty_events.DecodeError) as caught:
        plenty_events.decode(to_json(payload), strict=True)
    assert caught.value.errors[-1].message == expected
