"""DecodeError: every error with its path, a readable str, a JSON-ready body, bounded messages."""

import json
import pickle

import pytest
from hypothesis import given

import plenty_events
from plenty_events import DecodeError, ErrorDetail
from plenty_events.testing import sample_payload, to_json
from tests.strategies import flooded


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
    assert "QQQQQQQQ" not in text


# ---------------------------------------------------------------------------
# Every rendering of a DecodeError, and of an event's repairs, is bounded:
# each path, each message, and the whole, however large the body.
# ---------------------------------------------------------------------------

#: The bounds docs/errors.md states.
MAX_PATH = 200
MAX_MESSAGE = 200
MAX_TEXT = 11_000  # str(exc), and the repairs joined with "; "
MAX_JSON = 25_000  # exc.to_json(), the JSON of exc.to_dict(), repr(exc), repr(event.repairs)

EMOJI_KEY = "\U0001f600" * 64


def issue_body() -> bytes:
    """150 lone-surrogate values 61 objects down, under keys of 64 emoji: 4.6 MB of str(exc) before the bound."""
    key = json.dumps(EMOJI_KEY, ensure_ascii=False)
    members = ",".join(f'{json.dumps(f"{EMOJI_KEY}{i}", ensure_ascii=False)}:"\\ud800"' for i in range(150))
    sample = to_json(sample_payload()).decode()
    return f'{sample[:-1]},"extra":{f"{{{key}:" * 60}{{{members}}}{"}" * 60}}}'.encode()


def assert_bounded(findings, *renderings: str) -> None:
    """Check each finding's path and message, and the size of each rendering of them all."""
    assert 1 <= len(findings) <= 101
    for finding in findings:
        assert finding.path.startswith("$")
        assert len(finding.path) <= MAX_PATH, finding.path
        assert len(finding.message) <= MAX_MESSAGE, finding.message
        assert len(str(finding)) <= MAX_PATH + MAX_MESSAGE + 40
    text, *others = renderings
    assert len(text) <= MAX_TEXT, len(text)
    for other in others:
        assert len(other) <= MAX_JSON, len(other)


def assert_error_bounded(exc: DecodeError) -> None:
    """Check str, repr, to_dict and to_json of a DecodeError against the documented bounds."""
    as_dict = json.dumps(exc.to_dict(), ensure_ascii=False, separators=(",", ":"))
    assert_bounded(exc.errors, str(exc), repr(exc), exc.to_json(), as_dict)


def test_the_issue_body_gives_a_rendering_of_a_few_kilobytes():
    """The 57 KB body of 150 lone surrogates under 61 levels of 64-emoji keys renders in about 10 KB, not 5 MB."""
    for strict in (False, True):
        exc = failure(issue_body(), strict=strict)
        assert_error_bounded(exc)
        assert exc.errors[-1].code == "too_many_errors"
        assert {error.code for error in exc.errors[:-1]} == {"string_unicode"}


def test_a_long_path_keeps_its_start_and_its_end():
    """A path past 200 characters keeps its first and last characters, with an ellipsis between."""
    exc = failure(issue_body())
    path = exc.errors[0].path
    assert len(path) == MAX_PATH
    assert path.startswith("$.extra[")
    assert path.count("…") == 1
    assert path.endswith('["\\ud83d\\ude00***"]')


def test_the_findings_beyond_the_budget_are_counted():
    """Findings past the size budget are counted in the last entry with the others left out."""
    exc = failure(issue_body())
    listed = len(exc.errors) - 1
    assert listed < 100
    assert exc.errors[-1].message == f"{150 - listed} more errors are not listed"


@given(flooded())
def test_renderings_stay_bounded_for_any_flood_of_findings(body):
    """Deep paths under long escape-heavy keys, and hundreds of findings, keep every rendering within its bound."""
    data, strict = body
    try:
        event = plenty_events.decode(data, strict=strict)
    except DecodeError as exc:
        assert_error_bounded(exc)
    else:
        logged = "; ".join(map(str, event.repairs))
        as_json = json.dumps([repair.to_dict() for repair in event.repairs], ensure_ascii=False)
        assert_bounded(event.repairs, logged, repr(event.repairs), as_json)
        assert len(repr(event)) <= 1_000


def test_a_pickled_decode_error_is_as_small_as_its_rendering():
    """A pickled DecodeError holds its bounded errors, nothing of the body."""
    exc = failure(issue_body())
    assert len(pickle.dumps(exc)) <= MAX_JSON


def test_the_code_enum_is_the_documented_list():
    """plenty_events.Code holds exactly the codes of the error and repair tables of docs/errors.md."""
    import re  # noqa: PLC0415
    from pathlib import Path  # noqa: PLC0415

    text = (Path(__file__).parents[1] / "docs" / "errors.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z0-9_]+)` \|", text, re.MULTILINE))
    assert {code.value for code in plenty_events.Code} == documented
    assert all(code.name == code.value.upper() for code in plenty_events.Code)
