"""Types users rely on; checked by mypy --strict and pyright strict, never run."""

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, assert_type
from wsgiref.types import WSGIApplication

import attrs
from hypothesis.strategies import SearchStrategy

import plenty_events
import plenty_events.receiver
from plenty_events import EventType, Gender, ServicePurchaseEvent, UnknownEvent, testing


def check(body: bytes) -> None:
    """The overloads of decode, and the attribute types of the model."""
    strict = plenty_events.decode(body, strict=True)
    assert_type(strict, ServicePurchaseEvent)
    assert_type(plenty_events.decode(body), ServicePurchaseEvent | UnknownEvent)
    assert_type(plenty_events.decode(body, strict=False), ServicePurchaseEvent | UnknownEvent)
    assert_type(strict.type, EventType)
    assert_type(strict.created_at, datetime)
    assert_type(strict.resource.contact.gender, Gender | str | None)
    item = strict.resource.order.order_items[0]
    assert_type(item.price_gross, Decimal)
    assert_type(item.quantity, Decimal)
    assert_type(item.item_variation_id, int)
    assert_type(strict.repairs, tuple[plenty_events.Repair, ...])
    assert_type(plenty_events.encode(strict), bytes)
    assert_type(plenty_events.to_dict(strict), dict[str, Any])
    assert_type(plenty_events.redact(strict), ServicePurchaseEvent)
    try:
        plenty_events.decode(body, strict=True)
    except plenty_events.DecodeError as exc:
        assert_type(exc.errors, tuple[plenty_events.ErrorDetail, ...])
        assert_type(exc.errors[0].path, str)


def check_testing(event: ServicePurchaseEvent, app: WSGIApplication) -> None:
    """The types of plenty_events.testing: builders keep the type they change, strategies name what they draw."""
    assert_type(testing.sample_event({"resource.order.id": 2}), ServicePurchaseEvent)
    assert_type(testing.sample_payload({"$.resource.order.id": 2}), dict[str, Any])
    assert_type(testing.with_changes(event, {"id": "evt_2"}), ServicePurchaseEvent)
    assert_type(testing.with_changes(event.resource.order, {"id": 2}), plenty_events.Order)
    assert_type(testing.with_changes({"id": "x"}, {"$.id": "y"}), dict[str, str])
    assert_type(testing.invalid_payloads(strict=False), SearchStrategy[testing.Invalid])
    assert_type(testing.repairable_payloads(), SearchStrategy[testing.Repairable])
    assert_type(testing.unknown_events(), SearchStrategy[dict[str, Any]])
    answer = testing.WSGIClient(app).post(path="/webhooks/token")
    assert_type(answer, testing.WSGIResponse)
    assert_type(answer.status, int)
    assert_type(answer.header("Content-Type"), str | None)


def check_lines(body: bytes) -> None:
    """The overloads of decode_lines, and the types of a Line."""
    for line in plenty_events.decode_lines(body, strict=True):
        assert_type(line, plenty_events.Line[ServicePurchaseEvent])
        assert_type(line.number, int)
        assert_type(line.event, ServicePurchaseEvent | None)
        assert_type(line.error, plenty_events.DecodeError | None)
    for number, event, error in plenty_events.decode_lines(iter([body]), strict=False):
        assert_type(number, int)
        assert_type(event, ServicePurchaseEvent | UnknownEvent | None)
        assert_type(error, plenty_events.DecodeError | None)
    with Path("events.jsonl").open("rb") as file:
        assert_type(next(plenty_events.decode_lines(file)), plenty_events.Line[ServicePurchaseEvent | UnknownEvent])
    for outcome in plenty_events.decode_lines(body):
        # A test of error narrows the line, in both checkers.
        if outcome.error is None:
            assert_type(outcome, plenty_events.DecodedLine[ServicePurchaseEvent | UnknownEvent])
            assert_type(outcome.event.id, str)
        else:
            assert_type(outcome, plenty_events.RejectedLine)
            assert_type(outcome.error.errors, tuple[plenty_events.ErrorDetail, ...])
            assert_type(outcome.event, None)


def check_receiver(inbox: plenty_events.receiver.SQLiteInbox) -> None:
    """Receiver's overloads: a strict receiver takes a handler typed for purchases; sync, async and routed handlers."""
    from plenty_events.receiver import Backoff, Counts, Outcome, Receiver, Router, Worker  # noqa: PLC0415

    def purchase(event: ServicePurchaseEvent) -> None:
        assert_type(event.id, str)

    async def any_event(event: ServicePurchaseEvent | UnknownEvent) -> None:
        assert_type(event.id, str)

    token = "a-token-of-16-characters"  # noqa: S105 -- a type check, never run
    Receiver(tokens=token, handler=purchase, strict=True)
    Receiver(tokens={"offer": token}, handler=any_event, inbox=inbox, background=True)
    Receiver(tokens=[token], handler=any_event, strict=False)
    Receiver(tokens=token, handler=purchase, strict=False)  # type: ignore[arg-type]  # pyright: ignore[reportCallIssue,reportArgumentType]
    router = Router()

    @router.on(ServicePurchaseEvent)
    def routed(event: ServicePurchaseEvent) -> int:
        return len(event.id)

    assert_type(routed, Callable[[ServicePurchaseEvent], int])
    Receiver(tokens=token, handler=router)
    decoder = plenty_events.Decoder({"SERVICE.PLUGIN.REFUND": RefundEvent})

    def refund_or_other(event: RefundEvent | ServicePurchaseEvent | UnknownEvent) -> None: ...

    Receiver(tokens=token, handler=refund_or_other, decoder=decoder)

    def alert(outcome: Outcome) -> None:
        assert_type(outcome.kind, Literal["received", "rejected", "handled", "failed", "dead"])

    worker = Worker(inbox, purchase, backoff=Backoff(first=0), on_dead=alert)
    assert_type(worker.run_pending(), Counts)


@attrs.frozen
class Refund:
    order_id: int


@attrs.frozen
class RefundEvent:
    id: str
    type: str
    created_at: datetime
    resource: Refund


def check_decoder(body: bytes) -> None:
    """Decoder infers its model from the mapping, in both checkers."""
    decoder = plenty_events.Decoder({"SERVICE.PLUGIN.REFUND": RefundEvent})
    assert_type(decoder, plenty_events.Decoder[RefundEvent])
    assert_type(decoder.decode(body, strict=True), RefundEvent | ServicePurchaseEvent)
    assert_type(decoder.decode(body), RefundEvent | ServicePurchaseEvent | UnknownEvent)


def check_postgres_inbox(dsn: str) -> None:
    """PostgresInbox is an Inbox, made from a DSN, for receivers and workers."""
    from plenty_events.receiver import Inbox, PostgresInbox, Receiver, Worker  # noqa: PLC0415

    inbox: Inbox = PostgresInbox(dsn, lease=30)
    Receiver(tokens="a-token-of-16-characters", handler=print, inbox=inbox, background=True)
    Worker(inbox, print)
    with PostgresInbox(dsn) as shared:
        assert_type(shared.record(b"{}"), int)
        assert_type(shared.steps("evt_1"), dict[str, str])


def check_plentymarkets(event: ServicePurchaseEvent) -> None:
    """A PlentyConfig goes wherever the handler's layers take a config, and reads back with its fields' types."""
    from plenty_events import plentymarkets  # noqa: PLC0415

    config = plentymarkets.PlentyConfig(
        url="https://shop.example",
        credentials=plentymarkets.UserLogin("api", "pw"),
        plenty_id=1000,
        ticket_type_id=1,
        ticket_status_id=1,
        ticket_role_id=1,
        owner_user_ids=[7, 8],
    )
    assert_type(config.check(), list[str])
    client = plentymarkets.Client(config)
    assert_type(plentymarkets.check(config, client=client), list[str])
    assert_type(client.config.owner_user_ids, tuple[int, ...])
    assert_type(plentymarkets.TicketHandler(config, client=client).config, plentymarkets.PlentyConfig)
    assert_type(plentymarkets.plan(event, config), tuple[plentymarkets.Request, ...])
    assert_type(plentymarkets.create_contact(event, config), plentymarkets.Request)
    assert_type(plentymarkets.note_text(event, config), str)
