"""Handling: sync and async handlers, routing, the background worker, retries, dead letters, hooks, token names."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import threading
from typing import Any

import attrs
import pytest

import plenty_events
from plenty_events import ServicePurchaseEvent, UnknownEvent
from plenty_events.receiver import (
    Backoff,
    Counts,
    MemoryInbox,
    Outcome,
    Permanent,
    Receiver,
    RetryLater,
    Router,
    State,
    Worker,
    current_token_name,
)
from plenty_events.testing import sample_payload, to_json
from tests.helpers import PERSONAL
from tests.receiving import BODY, TOKEN

OTHER_TOKEN = "other-Token_0123456789abcdef"  # noqa: S105 -- a test token
NOW = dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=dt.UTC)


def body(event_id: str = "evt_1", **changes: Any) -> bytes:
    payload = sample_payload()
    payload.update(id=event_id, **changes)
    return to_json(payload)


@pytest.fixture
def inbox() -> MemoryInbox:
    """An empty inbox on a clock the test moves."""
    made = MemoryInbox(lease=10)
    clock = [NOW.timestamp()]
    made._now = made._lease_now = lambda: clock[0]
    made.clock = clock  # type: ignore[attr-defined]
    return made


def states(inbox: MemoryInbox) -> list[State]:
    return [delivery.state for delivery in inbox.deliveries()]


NO_DELAY = Backoff(first=0, jitter=0, max_attempts=3)


class Flaky:
    """A handler that raises the exceptions it is given, one per call, then records."""

    def __init__(self, *failures: BaseException) -> None:
        """Raise `failures` in turn, then succeed."""
        self.failures = list(failures)
        self.handled: list[str] = []
        self.calls = 0

    def __call__(self, event: Any) -> None:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        self.handled.append(event.id)


# -- sync and async handlers -------------------------------------------------------------------------------------------


def test_an_async_handler_is_awaited_before_the_event_is_handled(inbox: MemoryInbox) -> None:
    """An async def handler runs to completion; only then is the event recorded handled."""
    done: list[str] = []

    async def handler(event: Any) -> None:
        await asyncio.sleep(0)
        done.append(event.id)

    receiver = Receiver(tokens=TOKEN, handler=handler, inbox=inbox)
    assert receiver.receive(TOKEN, body()).status == 202
    assert done == ["evt_1"]
    assert states(inbox) == [State.HANDLED]


def test_an_async_handler_that_fails_after_awaiting_is_not_handled(inbox: MemoryInbox) -> None:
    """A coroutine that does not complete leaves the event failed, answered 500, never handled."""

    async def handler(event: Any) -> None:
        await asyncio.sleep(0)
        raise ConnectionError(event.id)

    receiver = Receiver(tokens=TOKEN, handler=handler, inbox=inbox)
    assert receiver.receive(TOKEN, body()).status == 500
    assert [(d.state, d.error) for d in inbox.deliveries()] == [(State.FAILED, "ConnectionError")]


def test_any_awaitable_result_is_awaited(inbox: MemoryInbox) -> None:
    """A plain function returning an awaitable (not a coroutine function) is awaited too."""
    done: list[str] = []

    class Later:
        def __await__(self) -> Any:
            yield from asyncio.sleep(0).__await__()
            done.append("awaited")

    receiver = Receiver(tokens=TOKEN, handler=lambda _event: Later(), inbox=inbox)
    assert receiver.receive(TOKEN, body()).status == 202
    assert done == ["awaited"]


def test_receive_called_inside_a_running_loop_awaits_an_async_handler(inbox: MemoryInbox) -> None:
    """From a thread whose loop runs, the awaitable runs on a loop of its own, to completion."""
    done: list[str] = []

    async def handler(event: Any) -> None:
        await asyncio.sleep(0)
        done.append(event.id)

    receiver = Receiver(tokens=TOKEN, handler=handler, inbox=inbox)

    async def main() -> int:
        return receiver.receive(TOKEN, body()).status  # a sync call, blocking this loop

    assert asyncio.run(main()) == 202
    assert done == ["evt_1"]


class AsgiClient:
    """Drives an ASGI app with one request."""

    def __init__(self, data: bytes) -> None:
        """Send `data` in one message."""
        self.messages = [{"type": "http.request", "body": data, "more_body": False}]
        self.sent: list[dict[str, Any]] = []

    async def receive(self) -> dict[str, Any]:
        return self.messages.pop(0)

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)


def asgi_post(receiver: Receiver, data: bytes) -> tuple[AsgiClient, Any]:
    client = AsgiClient(data)
    scope = {
        "type": "http",
        "method": "POST",
        "path": f"/webhooks/{TOKEN}",
        "headers": [(b"content-length", str(len(data)).encode())],
    }
    return client, receiver.asgi_app()(scope, client.receive, client.send)


def test_the_asgi_app_awaits_an_async_handler_on_its_loop(inbox: MemoryInbox) -> None:
    """In the ASGI app an async handler runs on the server's loop, with the token name set."""
    seen: list[Any] = []

    async def handler(_event: Any) -> None:
        await asyncio.sleep(0)
        seen.append((threading.get_ident(), current_token_name()))

    receiver = Receiver(tokens={"offer-a": TOKEN}, handler=handler, inbox=inbox)

    async def main() -> int:
        client, call = asgi_post(receiver, body())
        await call
        return client.sent[0]["status"]

    assert asyncio.run(main()) == 202
    assert seen == [(threading.get_ident(), "offer-a")]
    assert states(inbox) == [State.HANDLED]


@pytest.mark.parametrize("exc", [ValueError("John Doe"), asyncio.CancelledError()], ids=type)
def test_the_asgi_app_records_an_async_handler_that_fails(inbox: MemoryInbox, exc: BaseException) -> None:
    """A failing coroutine is failed (500); a cancelled one is recorded failed and the cancellation goes on."""

    async def handler(_event: Any) -> None:
        await asyncio.sleep(0)
        raise exc

    receiver = Receiver(tokens=TOKEN, handler=handler, inbox=inbox)

    async def main() -> AsgiClient:
        client, call = asgi_post(receiver, body())
        await call
        return client

    if isinstance(exc, Exception):
        assert asyncio.run(main()).sent[0]["status"] == 500
    else:
        with pytest.raises(asyncio.CancelledError):
            asyncio.run(main())
    assert [(d.state, d.error) for d in inbox.deliveries()] == [(State.FAILED, type(exc).__name__)]


# -- routing and decoders ----------------------------------------------------------------------------------------------


def test_a_router_hands_each_event_to_its_route(inbox: MemoryInbox) -> None:
    """Purchases to their route, unknown events to on_unknown, async routes awaited."""
    router = Router()
    seen: list[str] = []

    @router.on(ServicePurchaseEvent)
    async def purchased(event: ServicePurchaseEvent) -> None:
        seen.append(f"purchase {event.id}")

    @router.on_unknown
    def unknown(event: UnknownEvent) -> None:
        seen.append(f"unknown {event.type}")

    receiver = Receiver(tokens=TOKEN, handler=router, inbox=inbox)
    assert receiver.receive(TOKEN, body()).status == 202
    assert receiver.receive(TOKEN, body("evt_2", type="SERVICE.PLUGIN.OTHER")).status == 202
    assert seen == ["purchase evt_1", "unknown SERVICE.PLUGIN.OTHER"]
    with pytest.raises(ValueError, match="ServicePurchaseEvent has a route already"):
        router.on(ServicePurchaseEvent)


def test_an_event_without_a_route_is_a_no_op_logged_once(inbox: MemoryInbox, caplog: pytest.LogCaptureFixture) -> None:
    """No route and no on_unknown: handled as a no-op, one warning per model however many events."""
    receiver = Receiver(tokens=TOKEN, handler=Router(), inbox=inbox)
    with caplog.at_level(logging.WARNING, logger="plenty_events.receiver"):
        for number in range(3):
            assert receiver.receive(TOKEN, body(f"evt_{number}", type="SERVICE.PLUGIN.OTHER")).status == 202
    assert states(inbox) == [State.HANDLED] * 3
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == ["no route for UnknownEvent events: handled as a no-op (logged once)"]


@attrs.frozen
class Refund:
    """A model the library does not know."""

    order_id: int


@attrs.frozen
class RefundEvent:
    """An event registered with a Decoder."""

    id: str
    type: str
    created_at: dt.datetime
    resource: Refund


REFUND = (
    b'{"id": "evt_r", "type": "SERVICE.PLUGIN.REFUND", "createdAt": "2023-11-14T22:13:20Z", "resource": {"orderId": 7}}'
)


@pytest.mark.parametrize("background", [False, True])
def test_a_receiver_with_a_decoder_routes_registered_models(inbox: MemoryInbox, background: bool) -> None:
    """Receiver(decoder=...) and Worker(decoder=...) decode registered models, which a route receives."""
    decoder = plenty_events.Decoder({"SERVICE.PLUGIN.REFUND": RefundEvent})
    router = Router()
    refunds: list[int] = []
    router.on(RefundEvent)(lambda event: refunds.append(event.resource.order_id))
    receiver = Receiver(tokens=TOKEN, handler=router, inbox=inbox, decoder=decoder, background=background)
    assert receiver.receive(TOKEN, REFUND).status == 202
    if background:
        assert Worker(inbox, router, decoder=decoder).run_pending().handled == 1
    assert refunds == [7]


# -- background handling and the worker --------------------------------------------------------------------------------


def test_background_answers_at_once_and_the_worker_handles_once(inbox: MemoryInbox) -> None:
    """Stored and answered 202 before any handling; redeliveries are 202 too; the worker handles it once."""
    handler = Flaky()
    receiver = Receiver(tokens=TOKEN, handler=handler, inbox=inbox, background=True)
    assert [receiver.receive(TOKEN, body()).status for _ in range(3)] == [202, 202, 202]
    assert handler.calls == 0
    assert states(inbox) == [State.PENDING] * 3
    worker = Worker(inbox, handler)
    assert worker.run_pending() == Counts(handled=1)
    assert worker.run_pending() == Counts()
    assert handler.handled == ["evt_1"]
    assert receiver.receive(TOKEN, body()).status == 200
    assert states(inbox) == [State.HANDLED] * 4


def test_background_still_rejects_a_broken_body_at_once(inbox: MemoryInbox) -> None:
    """Decoding stays in the request: a broken body is 400 or 422 in background mode too."""
    receiver = Receiver(tokens=TOKEN, handler=print, inbox=inbox, background=True)
    assert receiver.receive(TOKEN, b"nope").status == 400
    assert states(inbox) == [State.REJECTED]


def test_a_failure_is_retried_with_backoff_until_dead(inbox: MemoryInbox) -> None:
    """Each failure is due after the backoff's delay; the last attempt makes it dead, and on_dead runs once."""
    dead: list[Outcome] = []
    handler = Flaky(*(TimeoutError("John Doe") for _ in range(5)))
    backoff = Backoff(first=10, factor=2, jitter=0, max_attempts=3)
    Receiver(tokens=TOKEN, handler=handler, inbox=inbox, background=True).receive(TOKEN, body())
    worker = Worker(inbox, handler, backoff=backoff, on_dead=dead.append)
    assert worker.run_pending() == Counts(failed=1)
    assert inbox.deliveries()[0].due_at == NOW + dt.timedelta(seconds=10)
    assert worker.run_pending() == Counts()  # not due yet
    inbox.clock[0] += 10  # type: ignore[attr-defined]
    assert worker.run_pending() == Counts(failed=1)
    assert inbox.deliveries()[0].due_at == NOW + dt.timedelta(seconds=30)
    inbox.clock[0] += 20  # type: ignore[attr-defined]
    assert worker.run_pending() == Counts(dead=1)
    delivery = inbox.deliveries()[0]
    assert (delivery.state, delivery.attempts, delivery.error, delivery.reason) == (
        State.DEAD,
        3,
        "TimeoutError",
        "max attempts",
    )
    inbox.clock[0] += 10_000  # type: ignore[attr-defined]
    assert worker.run_pending() == Counts()
    assert [(o.kind, o.event_id, o.attempts, o.error, o.reason) for o in dead] == [
        ("dead", "evt_1", 3, "TimeoutError", "max attempts")
    ]
    assert not any(value in repr(dead) for value in PERSONAL)


def test_retry_later_sets_the_delay_and_permanent_stops_at_once(inbox: MemoryInbox) -> None:
    """RetryLater(seconds) is due after exactly its delay with its reason; Permanent is dead at its first raise."""
    dead: list[Outcome] = []
    handler = Flaky(RetryLater(90, "plentymarkets answered 429"), Permanent("refused"))
    Receiver(tokens=TOKEN, handler=handler, inbox=inbox, background=True).receive(TOKEN, body())
    worker = Worker(inbox, handler, backoff=Backoff(first=1, jitter=0, max_attempts=5), on_dead=dead.append)
    assert worker.run_pending() == Counts(failed=1)
    first = inbox.deliveries()[0]
    assert (first.due_at, first.reason, first.error) == (
        NOW + dt.timedelta(seconds=90),
        "plentymarkets answered 429",
        "RetryLater",
    )
    inbox.clock[0] += 90  # type: ignore[attr-defined]
    assert worker.run_pending() == Counts(dead=1)
    assert [(o.attempts, o.error, o.reason) for o in dead] == [(2, "Permanent", "refused")]


def test_a_redelivery_or_a_replay_revives_a_dead_event(inbox: MemoryInbox) -> None:
    """A dead event delivered again is pending with a fresh count; a replay runs it inline."""
    handler = Flaky(Permanent("no"), Permanent("no"))
    receiver = Receiver(tokens=TOKEN, handler=handler, inbox=inbox, background=True)
    receiver.receive(TOKEN, body())
    worker = Worker(inbox, handler)
    assert worker.run_pending() == Counts(dead=1)
    assert receiver.receive(TOKEN, body()).status == 202
    assert states(inbox) == [State.PENDING] * 2
    assert worker.run_pending() == Counts(dead=1)
    replayed = Receiver(tokens=TOKEN, handler=handler, inbox=inbox)._core.replay()
    assert [answer.status for _, answer in replayed] == [202]
    assert handler.handled == ["evt_1"]


def test_inline_failures_follow_the_backoff_too(inbox: MemoryInbox) -> None:
    """Inline, a failure is 500 and due after the backoff; Permanent is dead (500) and calls on_dead."""
    dead: list[Outcome] = []
    handler = Flaky(RuntimeError(), Permanent("refused"))
    receiver = Receiver(tokens=TOKEN, handler=handler, inbox=inbox, backoff=NO_DELAY, on_dead=dead.append)
    assert receiver.receive(TOKEN, body()).status == 500
    assert inbox.deliveries()[0].due_at == NOW
    assert receiver.receive(TOKEN, body()).status == 500
    assert states(inbox) == [State.DEAD] * 2
    assert [o.reason for o in dead] == ["refused"]
    assert receiver.receive(TOKEN, body()).status == 202  # a redelivery revives it


@pytest.mark.parametrize("exc", [SystemExit(1), KeyboardInterrupt()], ids=type)
def test_the_worker_records_a_dying_handler_and_lets_it_die(inbox: MemoryInbox, exc: BaseException) -> None:
    """A BaseException is recorded failed, then raised out of the worker."""
    Receiver(tokens=TOKEN, handler=print, inbox=inbox, background=True).receive(TOKEN, body())
    with pytest.raises(type(exc)):
        Worker(inbox, Flaky(exc), backoff=NO_DELAY).run_pending()
    assert [(d.state, d.error) for d in inbox.deliveries()] == [(State.FAILED, type(exc).__name__)]


def test_the_worker_buries_an_event_it_cannot_hand_over(inbox: MemoryInbox) -> None:
    """A body that no longer decodes (a strict worker), or that was purged, is dead with its reason."""
    dead: list[Outcome] = []
    receiver = Receiver(tokens=TOKEN, handler=print, inbox=inbox, background=True)
    receiver.receive(TOKEN, body("evt_lenient", createdAt="1510656066"))
    receiver.receive(TOKEN, body("evt_purged"))
    inbox.clock[0] += 1  # type: ignore[attr-defined]
    inbox.purge(dt.datetime.fromtimestamp(inbox.clock[0], dt.UTC))  # type: ignore[attr-defined]
    receiver.receive(TOKEN, body("evt_lenient", createdAt="1510656066"))
    assert Worker(inbox, print, strict=True, on_dead=dead.append).run_pending() == Counts(dead=2)
    assert sorted((o.event_id, o.error, o.reason) for o in dead) == [
        ("evt_lenient", "DecodeError", "its body does not decode any more"),
        ("evt_purged", "Purged", "every delivery of it was purged"),
    ]


def test_a_lost_lease_is_counted_and_not_reported(inbox: MemoryInbox) -> None:
    """A handler that outlives its lease: its outcome is not recorded, the count says lost, no hook runs."""
    seen: list[Outcome] = []
    Receiver(tokens=TOKEN, handler=print, inbox=inbox, background=True).receive(TOKEN, body())

    def slow(event: Any) -> None:
        inbox.clock[0] += 11  # type: ignore[attr-defined]
        assert inbox.take(event.id) is not None  # another worker takes it over

    assert Worker(inbox, slow, on_outcome=seen.append).run_pending() == Counts(lost=1)
    assert seen == []


def test_the_worker_thread_starts_handles_and_stops(inbox: MemoryInbox) -> None:
    """start() runs the loop in a thread that handles what arrives; stop() ends it."""
    handled = threading.Event()
    receiver = Receiver(tokens=TOKEN, handler=print, inbox=inbox, background=True)
    worker = Worker(inbox, lambda _event: handled.set(), poll=0.01)
    thread = worker.start()
    receiver.receive(TOKEN, body())
    assert handled.wait(5)
    worker.stop(timeout=5)
    assert not thread.is_alive()
    assert states(inbox) == [State.HANDLED]


def test_the_worker_loop_survives_an_inbox_error(inbox: MemoryInbox, caplog: pytest.LogCaptureFixture) -> None:
    """An inbox that fails is logged with the error type, and the loop goes on."""
    worker = Worker(inbox, print, poll=0.01)
    calls = []

    def broken(limit: int) -> list[str]:
        calls.append(limit)
        if len(calls) == 2:
            worker.stop()
        raise OSError("disk full at /home/john-doe")

    inbox.due = broken  # type: ignore[method-assign]
    with caplog.at_level(logging.ERROR, logger="plenty_events.receiver"):
        worker.run()
    assert len(calls) == 2
    assert caplog.records[0].getMessage() == "the worker could not read the inbox: OSError"


def test_a_stopped_worker_leaves_the_rest_for_later(inbox: MemoryInbox) -> None:
    """stop() during a run: the event in hand is finished, the others stay pending."""
    receiver = Receiver(tokens=TOKEN, handler=print, inbox=inbox, background=True)
    for number in range(3):
        receiver.receive(TOKEN, body(f"evt_{number}"))
    worker = Worker(inbox, lambda _event: worker.stop())
    assert worker.run_pending() == Counts(handled=1)
    assert sorted(states(inbox)) == sorted([State.HANDLED, State.PENDING, State.PENDING])


def test_run_pending_reads_past_a_full_batch(inbox: MemoryInbox) -> None:
    """More due events than one batch are all handled in one call."""
    receiver = Receiver(tokens=TOKEN, handler=print, inbox=inbox, background=True)
    for number in range(120):
        receiver.receive(TOKEN, body(f"evt_{number:03}"))
    assert Worker(inbox, lambda _event: None).run_pending() == Counts(handled=120)


@pytest.mark.parametrize("poll", [0, -1, float("inf"), float("nan")])
def test_the_worker_needs_a_positive_poll(inbox: MemoryInbox, poll: float) -> None:
    """Poll must be a positive, finite number of seconds."""
    with pytest.raises(ValueError, match="poll"):
        Worker(inbox, print, poll=poll)


def test_counts_total_everything_tried() -> None:
    """Counts.total adds every outcome."""
    assert Counts(handled=1, failed=2, dead=3, lost=4).total == 10


# -- backoff -----------------------------------------------------------------------------------------------------------


def test_backoff_grows_to_its_cap_with_jitter_below_the_full_delay() -> None:
    """Delays grow by factor up to max_delay; jitter only shortens, within its fraction; no overflow."""
    plain = Backoff(first=2, factor=3, max_delay=100, max_attempts=4, jitter=0)
    assert [plain.delay(n) for n in (1, 2, 3, 4, 5000)] == [2.0, 6.0, 18.0, 54.0, 100.0]
    assert [plain.gives_up(n) for n in (3, 4)] == [False, True]
    jittered = Backoff(first=100, factor=1, max_delay=100, jitter=0.5)
    delays = [jittered.delay(1) for _ in range(200)]
    assert all(50 <= delay <= 100 for delay in delays)
    assert len(set(delays)) > 1
    assert Backoff(first=0).delay(3) == 0
    assert Backoff(first=1, factor=10.0**300, max_delay=5, jitter=0).delay(3) == 5


@pytest.mark.parametrize(
    "settings",
    [
        {"first": -1},
        {"first": float("inf")},
        {"factor": 0.5},
        {"max_delay": float("nan")},
        {"max_attempts": 0},
        {"max_attempts": True},
        {"jitter": 1.5},
        {"jitter": -0.1},
    ],
)
def test_backoff_refuses_values_out_of_range(settings: dict[str, Any]) -> None:
    """Every setting is checked at construction."""
    with pytest.raises(ValueError, match="must be"):
        Backoff(**settings)


# -- hooks and token names ---------------------------------------------------------------------------------------------


def test_outcome_hooks_see_every_outcome_without_personal_values(inbox: MemoryInbox) -> None:
    """received, rejected, handled, failed (with its due time) and dead, each once, with the token name."""
    seen: list[Outcome] = []
    handler = Flaky(RuntimeError("John Doe"), Permanent("refused"))
    receiver = Receiver(
        tokens={"offer-a": TOKEN, "offer-b": OTHER_TOKEN},
        handler=handler,
        inbox=inbox,
        backoff=NO_DELAY,
        on_outcome=seen.append,
    )
    receiver.receive(TOKEN, b"nope")
    receiver.receive(OTHER_TOKEN, body())  # fails
    receiver.receive(OTHER_TOKEN, body())  # dead
    receiver.receive(TOKEN, body("evt_2"))  # handled
    assert [(o.kind, o.delivery, o.event_id, o.token_name, o.attempts, o.error, o.reason) for o in seen] == [
        ("received", 1, None, "offer-a", 0, None, None),
        ("rejected", 1, None, "offer-a", 0, "json_invalid", None),
        ("received", 2, None, "offer-b", 0, None, None),
        ("failed", 2, "evt_1", "offer-b", 1, "RuntimeError", None),
        ("received", 3, None, "offer-b", 0, None, None),
        ("dead", 3, "evt_1", "offer-b", 2, "Permanent", "refused"),
        ("received", 4, None, "offer-a", 0, None, None),
        ("handled", 4, "evt_2", "offer-a", 1, None, None),
    ]
    assert seen[3].due_at is not None
    assert [d.token_name for d in inbox.deliveries()] == ["offer-a", "offer-b", "offer-b", "offer-a"]
    assert not any(value in repr(seen) for value in PERSONAL)


def test_a_failing_hook_is_logged_and_changes_nothing(inbox: MemoryInbox, caplog: pytest.LogCaptureFixture) -> None:
    """A hook that raises is logged by type; the answer and the states stay."""

    def hook(_outcome: Outcome) -> None:
        raise ValueError("John Doe")

    receiver = Receiver(tokens=TOKEN, handler=print, inbox=inbox, on_outcome=hook, on_dead=hook)
    with caplog.at_level(logging.ERROR, logger="plenty_events.receiver"):
        assert receiver.receive(TOKEN, BODY).status == 202
    assert {r.getMessage() for r in caplog.records} == {"an outcome hook failed: ValueError"}


def test_the_handler_reads_the_token_name_in_every_mode(inbox: MemoryInbox) -> None:
    """current_token_name() names the matched token inline, async and in the worker; None outside and unnamed."""
    names: list[str | None] = []

    async def handler(_event: Any) -> None:
        names.append(current_token_name())

    named = Receiver(tokens={"offer-a": TOKEN, "offer-b": OTHER_TOKEN}, handler=handler, inbox=inbox)
    named.receive(OTHER_TOKEN, body("evt_1"))
    background = Receiver(tokens={"offer-a": TOKEN}, handler=handler, inbox=inbox, background=True)
    background.receive(TOKEN, body("evt_2"))
    Worker(inbox, handler).run_pending()
    Receiver(tokens=[TOKEN], handler=handler, inbox=inbox).receive(TOKEN, body("evt_3"))
    assert names == ["offer-b", "offer-a", None]
    assert current_token_name() is None


def test_a_mapping_of_tokens_is_checked_like_a_list() -> None:
    """A weak token in a mapping is refused without being shown; an empty mapping is refused."""
    with pytest.raises(ValueError, match="at least 16") as caught:
        Receiver(tokens={"offer-a": "short"}, handler=print)
    assert "short" not in str(caught.value)
    with pytest.raises(ValueError, match="at least one token"):
        Receiver(tokens={}, handler=print)


def test_the_asgi_app_answers_a_broken_body_without_a_handler_call(inbox: MemoryInbox) -> None:
    """The ASGI app's early answers (a rejected body, a background delivery) come back without handling."""
    handler = Flaky()
    for background, data, status in [(False, b"nope", 400), (True, body(), 202)]:
        receiver = Receiver(tokens=TOKEN, handler=handler, inbox=inbox, background=background)

        async def main(receiver: Receiver = receiver, data: bytes = data) -> int:
            client, call = asgi_post(receiver, data)
            await call
            return client.sent[0]["status"]

        assert asyncio.run(main()) == status
    assert handler.calls == 0


def test_an_inbox_that_cannot_queue_is_never_acknowledged(inbox: MemoryInbox, caplog: pytest.LogCaptureFixture):
    """A background delivery whose event cannot be queued is 503, logged by error type."""

    def broken(_delivery: int, _event_id: str) -> str:
        raise OSError("disk full at /home/john-doe")

    inbox.enqueue = broken  # type: ignore[method-assign,assignment]
    receiver = Receiver(tokens=TOKEN, handler=print, inbox=inbox, background=True)
    with caplog.at_level(logging.ERROR, logger="plenty_events.receiver"):
        assert receiver.receive(TOKEN, body()).status == 503
    assert caplog.records[0].getMessage() == "delivery #1, event 'evt_1': could not be queued: OSError"


def test_an_event_another_worker_took_first_is_skipped(inbox: MemoryInbox) -> None:
    """When take() finds the event gone (another worker was quicker), nothing is counted."""
    Receiver(tokens=TOKEN, handler=print, inbox=inbox, background=True).receive(TOKEN, body())
    inbox.take("evt_1")  # the other worker
    inbox.clock[0] += 11  # type: ignore[attr-defined]
    inbox.take = lambda _event_id: None  # type: ignore[method-assign]
    assert Worker(inbox, print).run_pending() == Counts()


def test_a_burial_that_cannot_be_stored_is_lost(inbox: MemoryInbox) -> None:
    """A purged event whose dead state the inbox cannot store is counted lost, and no hook runs."""
    dead: list[Outcome] = []
    Receiver(tokens=TOKEN, handler=print, inbox=inbox, background=True).receive(TOKEN, body())
    inbox.purge(dt.datetime.max.replace(tzinfo=dt.UTC))
    inbox.finish = lambda *_args, **_kwargs: False  # type: ignore[method-assign]
    assert Worker(inbox, print, on_dead=dead.append).run_pending() == Counts(lost=1)
    assert dead == []


def test_a_reason_is_kept_cut_short(inbox: MemoryInbox) -> None:
    """A RetryLater or Permanent reason is stored and reported cut to 200 characters."""
    dead: list[Outcome] = []
    handler = Flaky(RetryLater(0, "r" * 1000), Permanent("p" * 1000))
    receiver = Receiver(tokens=TOKEN, handler=handler, inbox=inbox, on_dead=dead.append)
    receiver.receive(TOKEN, body())
    failed_reason = inbox.deliveries()[0].reason
    receiver.receive(TOKEN, body())
    assert failed_reason is not None
    assert len(failed_reason) <= 200
    assert failed_reason.startswith("rrr")
    assert dead[0].reason is not None
    assert len(dead[0].reason) <= 200
    assert inbox.deliveries()[0].reason == dead[0].reason
