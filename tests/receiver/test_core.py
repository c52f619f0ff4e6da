"""Receiver.receive: tokens, lengths, the inbox before the answer, handling once, status codes, logs."""

from __future__ import annotations

import json
import logging
import tracemalloc
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import plenty_events
from plenty_events.receiver import Claim, Delivery, MemoryInbox, Receiver, SQLiteInbox, State
from plenty_events.testing import sample_payload, to_json
from tests.helpers import PERSONAL
from tests.receiving import TOKEN

OTHER = "other.token~0123456789"
EVENT_ID = "evt_553ea8a294e2d3a75d5086a06fb53f5a"


def body(**changes: Any) -> bytes:
    """The documented example as JSON bytes, with top-level keys changed."""
    payload = sample_payload()
    payload.update(changes)
    return to_json(payload)


class Recorder:
    """A handler that records events, or raises what it is told to, once."""

    def __init__(self) -> None:
        """Record nothing yet."""
        self.events: list[Any] = []
        self.raise_next: BaseException | None = None

    def __call__(self, event: Any) -> None:
        if self.raise_next is not None:
            exc, self.raise_next = self.raise_next, None
            raise exc
        self.events.append(event)


@pytest.fixture
def handler() -> Recorder:
    """A recording handler."""
    return Recorder()


@pytest.fixture
def inbox() -> MemoryInbox:
    """An empty in-memory inbox."""
    return MemoryInbox()


@pytest.fixture
def receiver(handler: Recorder, inbox: MemoryInbox) -> Receiver:
    """A receiver with two tokens, the recording handler and the in-memory inbox."""
    return Receiver(tokens=[TOKEN, OTHER], handler=handler, inbox=inbox)


def answer_of(response: Any) -> Any:
    """The JSON body of a response."""
    return json.loads(response.body)


def states(inbox: MemoryInbox) -> list[State]:
    return [delivery.state for delivery in inbox.deliveries()]


def test_a_good_delivery_is_stored_handled_and_answered_202(receiver: Receiver, handler: Recorder, inbox) -> None:
    """A valid delivery is stored with its exact body, handled once, decoded, and answered 202."""
    raw = body()
    response = receiver.receive(TOKEN, raw)
    assert (response.status, response.reason) == (202, "Accepted")
    assert answer_of(response) == {"status": "accepted", "id": EVENT_ID}
    assert dict(response.headers)["Content-Type"] == "application/json"
    assert dict(response.headers)["Content-Length"] == str(len(response.body))
    assert handler.events == [plenty_events.decode(raw)]
    (delivery,) = inbox.deliveries()
    assert (delivery.state, delivery.event_id, delivery.attempts, delivery.body) == (State.HANDLED, EVENT_ID, 1, raw)


def test_a_redelivery_of_a_handled_event_is_200_and_not_handled_again(receiver: Receiver, handler: Recorder, inbox):
    """The same event id again is answered 200 'already handled'; its body is stored too."""
    assert receiver.receive(TOKEN, body()).status == 202
    response = receiver.receive(OTHER, body())
    assert (response.status, answer_of(response)) == (200, {"status": "already handled", "id": EVENT_ID})
    assert len(handler.events) == 1
    assert states(inbox) == [State.HANDLED, State.HANDLED]
    assert receiver.receive(TOKEN, body(id="evt_other")).status == 202
    assert len(handler.events) == 2


@pytest.mark.parametrize("token", ["wrong-token-0123456789", TOKEN[:-1], TOKEN + "x", "", TOKEN.encode() + b"\xff"])
def test_an_unknown_token_is_404_and_nothing_is_stored(receiver: Receiver, inbox, token) -> None:
    """A wrong token is 404, as if the URL did not exist; the body is not even stored."""
    response = receiver.receive(token, body())
    assert (response.status, answer_of(response)) == (404, {"error": "not found"})
    assert inbox.deliveries() == []


def test_any_of_the_tokens_is_accepted_as_text_or_bytes(receiver: Receiver) -> None:
    """Every configured token is accepted (rotation), given as str or as bytes."""
    assert receiver.receive(TOKEN, body(id="evt_1")).status == 202
    assert receiver.receive(OTHER.encode(), body(id="evt_2")).status == 202


def test_a_single_token_may_be_a_string(handler: Recorder) -> None:
    """tokens= takes one string as one token, not as its characters."""
    receiver = Receiver(tokens=TOKEN, handler=handler)
    assert receiver.receive(TOKEN, body()).status == 202
    assert receiver.receive("s", body()).status == 404
    assert isinstance(receiver.inbox, MemoryInbox)


@pytest.mark.parametrize(
    "tokens", [[], "", "short-token", "has space in the token", "slash/in/the/token/x", ["ok-token-0123456789abc", ""]]
)
def test_weak_tokens_are_refused_without_showing_them(handler: Recorder, tokens) -> None:
    """No token, a short one, or one with characters outside RFC 3986's unreserved set is a ValueError."""
    with pytest.raises(ValueError, match="token") as caught:
        Receiver(tokens=tokens, handler=handler)
    for token in [tokens] if isinstance(tokens, str) else tokens:
        assert not token or token not in str(caught.value)


def test_max_body_must_be_positive(handler: Recorder) -> None:
    """max_body=0 is a ValueError."""
    with pytest.raises(ValueError, match="max_body"):
        Receiver(tokens=TOKEN, handler=handler, max_body=0)


@pytest.mark.parametrize("length", ["²", "abc", "-1", "1.0", "0x10", "", "1 2", -1, True])
def test_a_content_length_that_is_not_a_number_is_400(receiver: Receiver, inbox, length) -> None:
    """A Content-Length that is not ASCII digits (such as '²', which isdigit accepts) is 400, not a crash."""
    response = receiver.receive(TOKEN, b"{}", content_length=length)
    assert (response.status, answer_of(response)) == (400, {"error": "the Content-Length is not a number of bytes"})
    assert inbox.deliveries() == []


@pytest.mark.parametrize("length", ["1048577", "9" * 10_000, 1_048_577])
def test_a_content_length_over_the_limit_is_413(receiver: Receiver, length) -> None:
    """A declared length over max_body is 413, also one with 10,000 digits (no int() of it)."""
    response = receiver.receive(TOKEN, b"{}", content_length=length)
    assert (response.status, answer_of(response)) == (413, {"error": "the body exceeds 1048576 bytes"})


def test_a_body_over_the_limit_is_413(handler: Recorder, inbox) -> None:
    """A body longer than max_body is 413 and not stored; one of exactly max_body is judged."""
    receiver = Receiver(tokens=TOKEN, handler=handler, inbox=inbox, max_body=10)
    assert receiver.receive(TOKEN, b" " * 11).status == 413
    assert inbox.deliveries() == []
    assert receiver.receive(TOKEN, b" " * 10).status == 400
    assert states(inbox) == [State.REJECTED]


@pytest.mark.parametrize("length", ["3", 1, " 2 ", "0002"])
def test_a_body_that_differs_from_its_content_length_is_400(receiver: Receiver, length) -> None:
    """A body shorter or longer than its Content-Length is 400; padding and leading zeros parse."""
    response = receiver.receive(TOKEN, b"{}", content_length=length)
    if length in {" 2 ", "0002"}:
        assert response.status == 422  # {} is JSON, but not the wire format
    else:
        assert response.status == 400
        assert "Content-Length" in answer_of(response)["error"]


@pytest.mark.parametrize(
    ("data", "code"),
    [(b"not json", "json_invalid"), (b"", "json_invalid"), (b"[" * 100_000, "json_depth")],
    ids=["text", "empty", "deep"],
)
def test_a_body_that_is_not_json_is_400_and_kept(receiver: Receiver, handler: Recorder, inbox, data, code) -> None:
    """Not JSON is 400 with the DecodeError list; the raw body is stored, as rejected, with its codes."""
    response = receiver.receive(TOKEN, data)
    assert response.status == 400
    assert answer_of(response)["errors"][0]["code"] == code
    (delivery,) = inbox.deliveries()
    assert (delivery.state, delivery.body, delivery.error, delivery.event_id) == (State.REJECTED, data, code, None)
    assert handler.events == []


def test_json_that_breaks_the_rules_is_422_and_kept(receiver: Receiver, handler: Recorder, inbox) -> None:
    """JSON that breaks the wire format is 422 with every error; the body is stored as rejected."""
    payload = sample_payload()
    payload["resource"]["order"]["orderItems"][0]["quantity"] = "many"
    del payload["createdAt"]
    raw = to_json(payload)
    response = receiver.receive(TOKEN, raw)
    assert response.status == 422
    assert {(error["path"], error["code"]) for error in answer_of(response)["errors"]} == {
        ("$.createdAt", "missing"),
        ("$.resource.order.orderItems[0].quantity", "number_type"),
    }
    (delivery,) = inbox.deliveries()
    assert (delivery.state, delivery.body, delivery.error) == (State.REJECTED, raw, "missing number_type")
    assert handler.events == []


def test_strict_receivers_decode_strictly(handler: Recorder, inbox) -> None:
    """strict=True refuses what lenient decoding would repair."""
    receiver = Receiver(tokens=TOKEN, handler=handler, inbox=inbox, strict=True)
    assert receiver.receive(TOKEN, body(createdAt="1510656066")).status == 422
    assert receiver.receive(TOKEN, body()).status == 202


def test_an_unknown_event_type_is_handed_over_as_an_unknown_event(receiver: Receiver, handler: Recorder) -> None:
    """A type without a model is decoded leniently and handled as an UnknownEvent."""
    assert receiver.receive(TOKEN, body(type="SERVICE.PLUGIN.REFUND")).status == 202
    (event,) = handler.events
    assert isinstance(event, plenty_events.UnknownEvent)


def test_a_failing_handler_is_500_and_the_redelivery_handles_it(receiver: Receiver, handler: Recorder, inbox) -> None:
    """A handler that raises is answered 500 and recorded failed; the next delivery handles it again."""
    handler.raise_next = RuntimeError("the queue is down, John Doe")
    response = receiver.receive(TOKEN, body())
    assert (response.status, answer_of(response)["id"]) == (500, EVENT_ID)
    (delivery,) = inbox.deliveries()
    assert (delivery.state, delivery.error, delivery.attempts) == (State.FAILED, "RuntimeError", 1)
    assert receiver.receive(TOKEN, body()).status == 202
    assert len(handler.events) == 1
    assert [(d.state, d.attempts) for d in inbox.deliveries()] == [(State.HANDLED, 2), (State.HANDLED, 2)]


@pytest.mark.parametrize("exc", [SystemExit(1), KeyboardInterrupt(), GeneratorExit()], ids=type)
def test_a_handler_dying_with_a_base_exception_is_recorded_and_reraised(receiver: Receiver, handler, inbox, exc):
    """SystemExit (a worker timeout), KeyboardInterrupt and GeneratorExit leave the event failed, not held."""
    handler.raise_next = exc
    with pytest.raises(type(exc)):
        receiver.receive(TOKEN, body())
    (delivery,) = inbox.deliveries()
    assert (delivery.state, delivery.error) == (State.FAILED, type(exc).__name__)
    assert receiver.receive(TOKEN, body()).status == 202
    assert len(handler.events) == 1


def test_a_redelivery_while_handling_is_503_with_retry_after(inbox) -> None:
    """A delivery of an event that another attempt is handling is 503 with Retry-After, and not handled."""
    answers: list[Any] = []
    calls: list[Any] = []

    def handler(event: Any) -> None:
        calls.append(event)
        if len(calls) == 1:  # the redelivery arrives while the first attempt runs
            answers.append(receiver.receive(TOKEN, body()))

    receiver = Receiver(tokens=TOKEN, handler=handler, inbox=inbox)
    assert receiver.receive(TOKEN, body()).status == 202
    (busy,) = answers
    assert busy.status == 503
    assert dict(busy.headers)["Retry-After"] == "60"
    assert answer_of(busy)["id"] == EVENT_ID
    assert len(calls) == 1
    assert states(inbox) == [State.HANDLED, State.HANDLED]


def test_an_attempt_finishing_after_its_lease_ended_is_logged(handler: Recorder, caplog) -> None:
    """When a lease ended and another claim took the event over, the late finish is logged, not recorded."""
    inbox = MemoryInbox(lease=5)
    clock = [1000.0]
    inbox._now = inbox._lease_now = lambda: clock[0]
    receiver = Receiver(tokens=TOKEN, handler=handler, inbox=inbox)
    number = inbox.record(body())
    first = inbox.claim(number, EVENT_ID)
    clock[0] += 6
    with caplog.at_level(logging.WARNING, logger="plenty_events.receiver"):
        assert receiver.receive(TOKEN, body()).status == 202  # took the expired claim over
        assert receiver._core.finish(first, None) is False  # not recorded: the lease was lost
    assert "after its lease ended" in caplog.records[-1].getMessage()
    assert {delivery.attempts for delivery in inbox.deliveries()} == {2}


class BrokenInbox(MemoryInbox):
    """An inbox whose chosen operation raises."""

    def __init__(self, broken: str) -> None:
        """Fail the operation named ``broken``."""
        super().__init__()
        self.broken = broken

    def _fail(self, name: str) -> None:
        if name == self.broken:
            raise OSError("disk full at /var/lib/john-doe")

    def record(self, body: bytes, token_name: str | None = None) -> int:
        self._fail("record")
        return super().record(body, token_name)

    def reject(self, delivery: int, codes: str) -> None:
        self._fail("reject")
        super().reject(delivery, codes)

    def claim(self, delivery: int, event_id: str) -> Claim:
        self._fail("claim")
        return super().claim(delivery, event_id)

    def finish(self, claim: Claim, error: str | None, **details: Any) -> bool:
        self._fail("finish")
        return super().finish(claim, error, **details)


@pytest.mark.parametrize(
    ("broken", "fails", "status"),
    [
        ("record", False, 503),
        ("claim", False, 503),
        ("finish", False, 503),
        ("finish", True, 500),
        ("reject", None, 400),
    ],
)
def test_an_inbox_failure_is_never_acknowledged(handler: Recorder, caplog, broken, fails, status) -> None:
    """A store that fails gives no 2xx; a failed rejection still answers 400, the body stays 'received'."""
    receiver = Receiver(tokens=TOKEN, handler=handler, inbox=BrokenInbox(broken))
    if fails:
        handler.raise_next = RuntimeError("boom")
    with caplog.at_level(logging.ERROR, logger="plenty_events.receiver"):
        response = receiver.receive(TOKEN, b"nope" if fails is None else body())
    assert response.status == status
    if status == 503:
        assert dict(response.headers)["Retry-After"] == "60"
    assert any("OSError" in record.getMessage() for record in caplog.records)
    assert all("john-doe" not in record.getMessage() for record in caplog.records)


def test_replay_runs_received_rejected_failed_and_stale_deliveries(handler: Recorder) -> None:
    """Replay judges every received, rejected and failed delivery again, and takes over expired leases."""
    inbox = MemoryInbox(lease=5)
    clock = [1000.0]
    inbox._now = inbox._lease_now = lambda: clock[0]
    strict = Receiver(tokens=TOKEN, handler=handler, inbox=inbox, strict=True)
    lenient = Receiver(tokens=TOKEN, handler=handler, inbox=inbox)
    assert strict.receive(TOKEN, body(id="evt_repairable", createdAt="1510656066")).status == 422
    handler.raise_next = RuntimeError()
    assert strict.receive(TOKEN, body(id="evt_failed")).status == 500
    assert strict.receive(TOKEN, body(id="evt_failed")).status == 202  # a second delivery of it, handled
    handler.raise_next = RuntimeError()
    assert strict.receive(TOKEN, body(id="evt_twice")).status == 500
    handler.raise_next = RuntimeError()
    assert strict.receive(TOKEN, body(id="evt_twice")).status == 500
    inbox.record(body(id="evt_received"))
    inbox.claim(inbox.record(body(id="evt_stale")), "evt_stale")
    inbox.claim(inbox.record(body(id="evt_busy")), "evt_busy")
    assert strict.receive(TOKEN, b"garbage").status == 400
    clock[0] += 6
    inbox.claim(inbox.record(body(id="evt_busy")), "evt_busy")  # a fresh claim: its lease runs
    replayed = [(delivery.number, response.status) for delivery, response in lenient._core.replay()]
    # 2 and 3 are handled; 5 and 10 carry an event this replay tried already.
    assert replayed == [(1, 202), (4, 202), (6, 202), (7, 202), (8, 503), (9, 400)]
    assert sorted(event.id for event in handler.events) == [
        "evt_failed",
        "evt_received",
        "evt_repairable",
        "evt_stale",
        "evt_twice",
    ]
    assert [delivery.number for delivery in inbox.deliveries({State.REJECTED})] == [9]


def test_log_lines_escape_sender_strings_and_hold_no_personal_value(receiver: Receiver, handler, caplog) -> None:
    """An id with a newline cannot forge a log line; repairs go in one line; no personal value is logged."""
    forged = "evt_1\n2024-01-01 INFO handled evt_forged"
    repaired = sample_payload()
    repaired["resource"]["address"]["country"] = "deu"
    repaired["resource"]["contact"]["gender"] = "Male"
    repaired["extra\nkey"] = "John Doe"
    repaired["id"] = forged
    bad = sample_payload()
    bad["resource"]["contact"]["email"] = 42
    bad["resource"]["contact"]["id"] = "John"
    many = sample_payload()
    many["resource"]["order"]["orderItems"] = [{**many["resource"]["order"]["orderItems"][0], "quantity": "x"}] * 8
    with caplog.at_level(logging.DEBUG, logger="plenty_events.receiver"):
        assert receiver.receive(TOKEN, to_json(repaired)).status == 202
        assert receiver.receive(TOKEN, to_json(repaired)).status == 200
        handler.raise_next = RuntimeError("John Doe, john@account.com")
        assert receiver.receive(TOKEN, body(id=forged + "2")).status == 500
        assert receiver.receive(TOKEN, to_json(bad)).status == 422
        assert receiver.receive(TOKEN, to_json(many)).status == 422
        assert receiver.receive("John-Doe-0123456789abc", body()).status == 404
    lines = [record.getMessage() for record in caplog.records]
    assert all("\n" not in line for line in lines)
    assert not any("evt_forged" in line and "\\n" not in line for line in lines)
    repairs = next(line for line in lines if "repairs" in line)
    assert {"country_alpha3", "gender_case", "key_kept"} <= set(repairs.replace("]", "[").split("["))
    assert any("8 errors" in line and "; and 3 more" in line for line in lines)
    for line in lines:
        for value in PERSONAL:
            assert value not in line


@pytest.mark.parametrize(
    "path",
    [
        "$.resource.contact.id",
        "$.resource.contact.email",
        "$.resource.contact.updatedAt",
        "$.resource.address.id",
        "$.resource.order.orderItems[0].quantity",
        "$.resource.order.orderItems[0].priceGross",
        "$.createdAt",
        "$.resource.contact.gender",
    ],
)
@pytest.mark.parametrize("strict", [False, True])
def test_error_answers_never_echo_a_personal_value(handler, path, strict) -> None:
    """A personal value put where it does not belong is not repeated by the 422 answer."""
    receiver = Receiver(tokens=TOKEN, handler=handler, strict=strict)
    payload = sample_payload()
    *parents, last = path[2:].replace("[0]", ".0").split(".")
    target: Any = payload
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    for value in PERSONAL:
        target[last] = [value] if path.endswith("email") else value
        response = receiver.receive(TOKEN, to_json(payload))
        # An unknown gender is kept in lenient mode: handled (202, then 200), and the body has the id only.
        assert response.status in ({200, 202} if path.endswith("gender") and not strict else {422})
        assert value.encode() not in response.body


def test_deliveries_hide_their_body_from_the_repr(receiver: Receiver, inbox) -> None:
    """A Delivery's and a Claim's repr show neither the body nor the ticket."""
    receiver.receive(TOKEN, body())
    (delivery,) = inbox.deliveries()
    assert isinstance(delivery, Delivery)
    assert "John" not in repr(delivery)
    claim = inbox.claim(inbox.record(b"{}"), "evt_x")
    assert claim.ticket not in repr(claim)


def test_a_replay_holds_one_stored_body_at_a_time(tmp_path: Any) -> None:
    """Replaying 16 rejected 1 MB bodies from SQLite peaks at a few MB, not at all 16 read at once."""
    with SQLiteInbox(tmp_path / "inbox.sqlite3") as inbox:
        for index in range(16):
            inbox.reject(inbox.record(b"%d" % index + b"x" * 1_000_000), "json_invalid")
        core = Receiver(tokens=TOKEN, handler=Recorder(), inbox=inbox)._core
        tracemalloc.start()
        try:
            statuses = [response.status for _, response in core.replaying()]
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert statuses == [400] * 16
    assert peak < 4_000_000  # all bodies at once: 16 MB


def test_a_replay_skips_a_delivery_purged_meanwhile(tmp_path: Any) -> None:
    """A delivery purged while a replay runs (here by the handler of the one before) is skipped, not failed."""
    with SQLiteInbox(tmp_path / "inbox.sqlite3") as inbox:
        inbox.record(body(id="evt_first"))
        inbox.record(body(id="evt_second"))
        seen: list[str] = []

        def purge_all(event: Any) -> None:
            seen.append(event.id)
            inbox.purge(datetime.now(UTC) + timedelta(days=1))

        core = Receiver(tokens=TOKEN, handler=purge_all, inbox=inbox)._core
        replayed = [(delivery.number, delivery.body, response.status) for delivery, response in core.replaying()]
    assert replayed == [(1, body(id="evt_first"), 202)]
    assert seen == ["evt_first"]
