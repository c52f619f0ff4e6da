"""DecodeError: every error with its path, a readable str, a JSON-ready body, bounded messages."""

import json
import pickle

import pytest

import plenty_events
from plenty_events import DecodeError, ErrorDetail
from plenty_events.testing import sample_payload, to_json


def failure(data, *, strict=True):
    with pytest.raises(DecodeError) as info:
        plenty_events.decode(data, strict=strict)
    return info.value


def test_decode_error_is_a_value_error():
    """DecodeError subclasses ValueError, so generic handlers catch it."""
    assert issubclass(DecodeError, ValueError)


def test_str_lists_every_path_with_its_message():
    """str(exc) has a count line, then one line per error: path, message, code."""
    payload = sample_payload()
    payload["id"] = 1
    payload["resource"]["order"]["orderItems"][0]["quantity"] = "1"
    assert str(failure(to_json(payload))) == (
        "invalid payload, 2 errors:\n"
        "  $.id: expected a string, got an integer [string_type]\n"
        "  $.resource.order.orderItems[0].quantity: expected a number, got a string [number_type]"
    )


def test_one_error_reads_in_the_singular():
    """A single error says '1 error'."""
    assert str(failure(b"[]")).startswith("invalid payload, 1 error:\n")


def test_errors_convert_to_a_json_body():
    """to_dict() and to_json() give the body for an HTTP 400/422 answer."""
    exc = failure(b'{"id": "x"}')
    body = exc.to_dict()
    assert body["errors"][0] == {"path": "$.type", "code": "missing", "message": "the key is required"}
    assert json.loads(exc.to_json()) == body


def test_error_details_are_values():
    """ErrorDetail is a frozen attrs value with a dict form."""
    detail = ErrorDetail("$.id", "missing", "the key is required")
    assert detail == ErrorDetail("$.id", "missing", "the key is required")
    assert detail.to_dict() == {"path": "$.id", "code": "missing", "message": "the key is required"}


def test_decode_errors_pickle():
    """A DecodeError survives pickling with its errors, for multiprocessing and task queues."""
    exc = failure(b"[]")
    assert pickle.loads(pickle.dumps(exc)).errors == exc.errors


def test_a_decode_error_needs_an_error():
    """An empty DecodeError is a programming error."""
    with pytest.raises(ValueError, match="at least one"):
        DecodeError([])


def test_at_most_100_errors_are_listed_and_the_rest_counted():
    """A payload with thousands of errors lists 100 and says how many more there were."""
    payload = sample_payload()
    item = payload["resource"]["order"]["orderItems"][0]
    payload["resource"]["order"]["orderItems"] = [dict(item, quantity="1") for _ in range(250)]
    exc = failure(payload)
    assert len(exc.errors) == 101
    assert exc.errors[-1] == ErrorDetail("$", "too_many_errors", "150 more errors are not listed")


def test_at_most_100_repairs_are_listed_and_the_rest_counted():
    """Repairs are capped the same way, with a too_many_repairs entry."""
    payload = sample_payload()
    payload.update({f"k{i}": i for i in range(130)})
    event = plenty_events.decode(payload)
    assert len(event.repairs) == 101
    assert event.repairs[-1].code == "too_many_repairs"
    assert event.repairs[-1].message == "30 more repairs are not listed"


def test_messages_never_echo_long_or_personal_values():
    """A hostile or personal value does not come back in the message."""
    payload = sample_payload()
    payload["resource"]["address"]["country"] = "Q" * 10_000
    payload["resource"]["contact"]["gender"] = "john@account.com"
    text = str(failure(to_json(payload)))
    assert "john" not in text
    assert len(text) < 400
    assert "'QQQQQQQ…'" in text
