"""Privacy: masked reprs, redact(), and no personal value in any output channel."""

import io
import logging
import pickle
import traceback
from decimal import Decimal

import attrs
import pytest
from hypothesis import given

import plenty_events
from plenty_events._privacy import mask_code, mask_email, mask_gender, mask_head
from plenty_events.cli import main
from plenty_events.testing import payloads, sample_payload, to_json
from tests.helpers import with_value
from tests.strategies import near_payloads

EVENT = plenty_events.decode(sample_payload(), strict=True)


def test_redact_replaces_every_personal_field():
    """Names, emails, phone, street, house number, addition, company and PayPal id become '***'."""
    redacted = plenty_events.redact(EVENT)
    contact, address = redacted.resource.contact, redacted.resource.address
    assert (contact.first_name, contact.last_name, contact.email) == ("***", "***", "***")
    assert (address.street, address.house_number, address.phone, address.company_name) == ("***",) * 4
    assert redacted.resource.order.paypal_transaction_id == "***"
    encoded = plenty_events.encode(redacted)
    for secret in [b"John", b"Doe", b"john@account.com", b"Main Street", b"123-456-7890", b"MyStore", b"1S473067"]:
        assert secret not in encoded


def test_redact_keeps_what_analytics_needs():
    """Ids, timestamps, postal code, town, country, items and prices are kept."""
    redacted = plenty_events.redact(EVENT)
    assert redacted.id == EVENT.id
    assert redacted.created_at == EVENT.created_at
    assert redacted.resource.order.order_items == EVENT.resource.order.order_items
    assert (redacted.resource.address.postal_code, redacted.resource.address.town) == ("34117", "Kassel")
    assert redacted.resource.address.country == "DE"


def test_empty_fields_stay_empty():
    """A field that was empty stays empty, so the shape tells what was there."""
    assert plenty_events.redact(EVENT).resource.address.additional == ""


def test_a_redacted_event_passes_strict_decoding():
    """The redacted event's encoding is strictly valid."""
    redacted = plenty_events.redact(EVENT)
    assert plenty_events.decode(plenty_events.encode(redacted), strict=True) == redacted


def test_redact_keeps_repairs():
    """Repairs carry no personal values and are kept."""
    payload = sample_payload()
    payload["createdAt"] = "1510656066"
    event = plenty_events.decode(payload)
    assert plenty_events.redact(event).repairs == event.repairs
    assert attrs.has(type(plenty_events.redact(event)))


def test_kept_unknown_keys_stay_out_of_reprs_and_redacted_copies():
    """Kept values show in no repr, pickle with the event, and redact() drops them at every level."""
    body = to_json(sample_payload()).replace(b'"contact":{', b'"contact":{"nickname":"Johnny",')
    body = body.replace(b'"quantity":1', b'"quantity":1,"note":"for John Doe"')
    event = plenty_events.decode(body)
    assert event.resource.contact.extra == {"nickname": "Johnny"}
    assert "Johnny" not in repr(event)
    assert "John Doe" not in repr(event)
    assert repr(event.resource.contact.extra) == "<extra: 1 keys>"
    assert pickle.loads(pickle.dumps(event)).resource.contact.extra == {"nickname": "Johnny"}
    redacted = plenty_events.redact(event)
    assert b"Johnny" not in plenty_events.encode(redacted)
    assert b"John Doe" not in plenty_events.encode(redacted)
    assert plenty_events.decode(plenty_events.encode(redacted), strict=True) == redacted


# ---------------------------------------------------------------------------
# No channel shows more than a masked hint of a value the sender controls,
# except the values docs/privacy.md names as not personal.
# ---------------------------------------------------------------------------

#: A personal value, and the part of it that no output may show: its first
#: character may show as a masked hint ('Z***'), its second may not.
PERSONAL = "Zelda Quixote Geheimweg 77"
TELLTALE = "elda"


def assert_hidden(*outputs: object) -> None:
    """Check that no output shows more of PERSONAL than its first character."""
    for output in outputs:
        text = output.decode("utf-8", "replace") if isinstance(output, bytes) else str(output)
        assert TELLTALE not in text, text[:2000]


def everywhere() -> dict:
    """A payload that puts PERSONAL in every personal field, in key names and in unknown values."""
    payload = sample_payload()
    contact, address = payload["resource"]["contact"], payload["resource"]["address"]
    for person in (contact, address):
        person.update(firstName=PERSONAL, lastName=PERSONAL, email=f"x@{PERSONAL}")
    address.update(companyName=PERSONAL, street=PERSONAL, houseNumber=PERSONAL, additional=PERSONAL, phone=PERSONAL)
    payload["resource"]["order"]["payPalTransactionId"] = PERSONAL
    contact[PERSONAL] = PERSONAL  # a key name that is a personal value
    contact["ZeldaQuixoteGeheimweg77BerlinMitte"] = 1  # an identifier, but longer than 32 characters
    payload["createdAt"] = "1510656066"  # a repair in lenient mode, an error in strict mode
    return payload


def broken() -> dict:
    """A mapping whose errors sit where PERSONAL is: a wrong type, a lone surrogate."""
    payload = everywhere()
    payload["resource"]["contact"]["firstName"] = [PERSONAL]
    payload["resource"]["address"]["street"] = f"{PERSONAL}\ud800"
    return payload


def broken_text() -> bytes:
    """JSON text with the errors of :func:`broken`, the lone surrogate escaped."""
    payload = broken()
    payload["resource"]["address"]["street"] = PERSONAL
    return to_json(payload).replace(f'"street":"{PERSONAL}"'.encode(), f'"street":"{PERSONAL}\\ud800"'.encode())


def duplicated() -> bytes:
    """JSON text in which the key PERSONAL occurs twice in the contact."""
    text = to_json(everywhere())
    return text.replace(b'"contact":{', f'"contact":{{"{PERSONAL}":0,'.encode(), 1)


#: Bodies that each mode rejects, by name.
REJECTED = {
    "broken mapping": broken,
    "broken text": broken_text,
    "duplicated": duplicated,
}


def cli(*argv: str, body: bytes) -> str:
    """Run the command line on ``body``; return what it printed."""
    out = io.StringIO()
    main([*argv, "-"], stdout=out, stdin=_Stdin(io.BytesIO(body)))
    return out.getvalue()


class _Stdin(io.TextIOWrapper):
    pass


def error_channels(exc: plenty_events.DecodeError, caplog: pytest.LogCaptureFixture) -> list[object]:
    """Every way a DecodeError reaches a log, an HTTP answer or another process."""
    logger = logging.getLogger("receiver")
    with caplog.at_level(logging.INFO, logger="receiver"):
        try:
            raise exc
        except plenty_events.DecodeError:
            logger.exception("rejected a delivery")
        logger.info("rejected: %s %r", exc, exc)
    return [
        str(exc),
        repr(exc),
        exc.to_dict(),
        exc.to_json(),
        "".join(traceback.format_exception(exc)),
        pickle.dumps(exc),
        caplog.text,
        *(repr(error) for error in exc.errors),
    ]


def event_channels(event: object, caplog: pytest.LogCaptureFixture) -> list[object]:
    """Every way an event and its repairs reach a log."""
    logger = logging.getLogger("receiver")
    with caplog.at_level(logging.INFO, logger="receiver"):
        logger.info("accepted %r, repaired: %s", event, "; ".join(map(str, event.repairs)))
    return [
        repr(event),
        str(event),
        repr(plenty_events.redact(event)),
        plenty_events.encode(plenty_events.redact(event)),
        "; ".join(map(str, event.repairs)),
        repr(event.repairs),
        [repair.to_dict() for repair in event.repairs],
        pickle.dumps(event.repairs),
        caplog.text,
    ]


def test_no_channel_of_a_lenient_event_shows_a_personal_value(caplog):
    """Lenient: the repr, the redacted copy, the repairs in every form and the log show no personal value."""
    event = plenty_events.decode(to_json(everywhere()))
    assert {repair.code for repair in event.repairs} == {"key_kept", "timestamp_from_string"}
    assert_hidden(*event_channels(event, caplog))


@pytest.mark.parametrize(
    ("body", "strict"), [*((name, strict) for name in REJECTED for strict in (False, True)), ("everywhere", True)]
)
def test_no_channel_of_a_decode_error_shows_a_personal_value(body, strict, caplog):
    """str, repr, to_dict, to_json, the formatted traceback, the pickle and the log of an error hide personal values."""
    data = to_json(everywhere()) if body == "everywhere" else REJECTED[body]()
    with pytest.raises(plenty_events.DecodeError) as info:
        plenty_events.decode(data, strict=strict)
    assert_hidden(*error_channels(info.value, caplog))


@pytest.mark.parametrize("strict", [False, True])
@pytest.mark.parametrize("output", ["text", "json"])
def test_the_command_line_shows_no_personal_value(strict, output):
    """The command line, in both formats and modes, on valid, broken and duplicated bodies, hides personal values."""
    mode = ["--strict"] if strict else []
    for body in (to_json(everywhere()), broken_text(), duplicated()):
        assert_hidden(cli("validate", *mode, "--format", output, body=body))


def test_a_key_that_is_a_personal_value_shows_as_a_masked_hint():
    """A key that is not a short identifier shows in a path as its first character and '***'."""
    event = plenty_events.decode(to_json(everywhere()))
    paths = {repair.path for repair in event.repairs if repair.code == "key_kept"}
    assert paths == {'$.resource.contact["Z***"]'}


@pytest.mark.parametrize(
    ("key", "path"),
    [
        ("currency", "$.resource.order.currency"),
        ("a" * 32, f"$.resource.order.{'a' * 32}"),
        ("a" * 33, '$.resource.order["a***"]'),
        ("my key", '$.resource.order["m***"]'),
        ("é", '$.resource.order["\\u00e9***"]'),
        ("\U0001f600" * 64, '$.resource.order["\\ud83d\\ude00***"]'),
        ("", '$.resource.order[""]'),
    ],
)
def test_keys_show_in_paths_in_full_only_as_short_identifiers(key, path):
    """Identifier keys of up to 32 characters, as every wire key is, show in full; any other key as a hint."""
    payload = sample_payload()
    payload["resource"]["order"][key] = 1
    event = plenty_events.decode(payload)
    assert [repair.path for repair in event.repairs] == [path]


def test_ids_show_in_full_as_the_idempotency_key():
    """The event id shows in full in the repr and on the command line: receivers log it to match deliveries."""
    payload = sample_payload()
    payload["id"] = "x" * 200
    event = plenty_events.decode(payload, strict=True)
    assert f"id='{'x' * 200}'" in repr(event)
    assert "x" * 200 in cli("validate", body=to_json(payload))


@pytest.mark.parametrize(
    ("email", "shown"),
    [
        ("john@account.com", "'j***@account.com'"),
        ("john@mail.example-shop.co.uk", "'j***@mail.example-shop.co.uk'"),
        ("x@Zelda Quixote Geheimweg 77", "'x***@***'"),
        ("x@münchen.de", "'x***@***'"),
        ("x@" + "a" * 70 + ".de", "'x***@***'"),
        ("x@localhost", "'x***@***'"),
        ("x@.de", "'x***@***'"),
        ("x@account..com", "'x***@***'"),
        ("@account.com", "'***@account.com'"),
        ("john", "'j***'"),
        ("", "''"),
    ],
)
def test_mask_email_shows_the_domain_only_when_it_is_a_hostname(email, shown):
    """The domain shows when it is a hostname (ASCII labels, a dot, at most 64 characters); else it is masked."""
    assert mask_email(email) == shown


@pytest.mark.parametrize("output", ["text", "json"])
def test_an_unknown_type_of_plentymarkets_shape_shows_in_full(output):
    """A new type such as SERVICE.PLUGIN.REFUND shows whole in reprs, strict messages and command line output."""
    payload = sample_payload()
    payload["type"] = "SERVICE.PLUGIN.REFUND"
    assert "type='SERVICE.PLUGIN.REFUND'" in repr(plenty_events.decode(payload))
    with pytest.raises(plenty_events.DecodeError) as info:
        plenty_events.decode(payload, strict=True)
    assert info.value.errors[0].message == "unknown event type 'SERVICE.PLUGIN.REFUND'"
    assert "SERVICE.PLUGIN.REFUND" in cli("validate", "--format", output, body=to_json(payload))


def test_an_unknown_event_shows_its_type_cut_to_eight_characters():
    """Lenient: the repr of an UnknownEvent quotes at most eight characters of its type."""
    payload = sample_payload()
    payload["type"] = f"SERVICE.{PERSONAL}"
    event = plenty_events.decode(payload)
    assert isinstance(event, plenty_events.UnknownEvent)
    assert "type='SERVICE…'" in repr(event)
    assert_hidden(repr(event))


@pytest.mark.parametrize("output", ["text", "json"])
def test_the_command_line_shows_an_unknown_type_cut_to_eight_characters(output):
    """The command line quotes at most eight characters of an unknown event type."""
    payload = sample_payload()
    payload["type"] = f"SERVICE.{PERSONAL}"
    shown = cli("validate", "--format", output, body=to_json(payload))
    # JSON output is ASCII: the ellipsis is escaped there.
    assert ("SERVICE…" if output == "text" else "SERVICE\\u2026") in shown
    assert_hidden(shown)


def test_strict_mode_quotes_an_unknown_type_cut_to_eight_characters():
    """Strict: the event_type message quotes at most eight characters of the type, as docs/errors.md says."""
    payload = sample_payload()
    payload["type"] = f"SERVICE.{PERSONAL}"
    with pytest.raises(plenty_events.DecodeError) as info:
        plenty_events.decode(payload, strict=True)
    assert info.value.errors[0].message == "unknown event type 'SERVICE…'"


def test_strict_mode_quotes_a_bad_country_as_a_masked_hint():
    """Strict: the country_code message quotes a long value only as a masked hint."""
    payload = sample_payload()
    payload["resource"]["address"]["country"] = PERSONAL
    with pytest.raises(plenty_events.DecodeError) as info:
        plenty_events.decode(payload, strict=True)
    assert_hidden(info.value)
    assert "'Z***'" in info.value.errors[0].message


@pytest.mark.parametrize("code", ["de", "DEU", "XK", "--", ""])
def test_strict_mode_quotes_a_short_country_code_in_full(code):
    """Strict: a value that is short enough to be a code is quoted, to show what was wrong with it."""
    payload = sample_payload()
    payload["resource"]["address"]["country"] = code
    with pytest.raises(plenty_events.DecodeError) as info:
        plenty_events.decode(payload, strict=True)
    assert repr(code) in info.value.errors[0].message


def kept_as_they_came() -> plenty_events.ServicePurchaseEvent:
    """Lenient: an event that keeps an unknown gender and an unknown country, both personal."""
    payload = sample_payload()
    payload["resource"]["contact"]["gender"] = PERSONAL
    payload["resource"]["address"]["country"] = PERSONAL
    event = plenty_events.decode(payload)
    assert {repair.code for repair in event.repairs} == {"gender_unknown", "country_unknown"}
    return event


def test_values_kept_as_they_came_are_masked_in_the_repr():
    """Lenient: an unknown gender and an unknown country show in the repr as masked hints."""
    shown = repr(kept_as_they_came())
    assert_hidden(shown)
    assert "gender='Z***'" in shown
    assert "country='Z***'" in shown


def test_values_kept_as_they_came_are_redacted():
    """Lenient: redact() replaces an unknown gender and an unknown country, so its repr hides them."""
    redacted = plenty_events.redact(kept_as_they_came())
    assert (redacted.resource.contact.gender, redacted.resource.address.country) == ("***", "***")
    assert_hidden(repr(redacted), plenty_events.encode(redacted))


def test_known_gender_and_country_are_kept_by_redact():
    """A documented gender, a valid country, and no gender, are kept: they serve analytics."""
    payload = sample_payload()
    payload["resource"]["contact"]["gender"] = ""
    redacted = plenty_events.redact(plenty_events.decode(payload, strict=True))
    assert (redacted.resource.contact.gender, redacted.resource.address.country) == (None, "DE")
    assert plenty_events.redact(EVENT).resource.contact.gender is plenty_events.Gender.MALE


def unknown_event() -> plenty_events.UnknownEvent:
    """Lenient: an event of a type without a model, whose raw resource holds personal values."""
    payload = sample_payload()
    payload["type"] = "SERVICE.PLUGIN.REFUND"
    payload["resource"]["contact"]["tags"] = [PERSONAL, "", 7, None, True, {"note": PERSONAL}]
    event = plenty_events.decode(payload)
    assert isinstance(event, plenty_events.UnknownEvent)
    return event


def test_redact_accepts_an_unknown_event_and_replaces_every_string_of_its_resource():
    """redact() replaces each non-empty string in an UnknownEvent's raw resource; keys, numbers and the shape stay."""
    event = unknown_event()
    redacted = plenty_events.redact(event)
    assert isinstance(redacted, plenty_events.UnknownEvent)
    assert (redacted.id, redacted.type, redacted.created_at) == (event.id, event.type, event.created_at)
    contact = redacted.resource["contact"]
    assert contact["tags"] == ["***", "", 7, None, True, {"note": "***"}]
    assert (contact["id"], contact["firstName"], contact["gender"]) == (1337, "***", "***")
    assert redacted.resource["order"]["orderItems"][0]["priceNet"] == Decimal("41.1765")
    assert_hidden(repr(redacted), plenty_events.encode(redacted))
    assert plenty_events.decode(plenty_events.encode(redacted)) == redacted


def test_redact_refuses_what_decode_does_not_return():
    """redact() of anything but an event that decode() returns is a TypeError."""
    with pytest.raises(TypeError, match="dict"):
        plenty_events.redact({"id": "x"})


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("resource", "contact", "gender"), "company"),
        (("resource", "address", "country"), "ZZ"),
        (("createdAt",), -5),
        (("resource", "contact", "updatedAt"), -62135596800),
        (("resource", "order", "orderItems", 0, "priceNet"), Decimal("41.17654")),
        (("resource", "order", "orderItems", 0, "quantity"), Decimal("0.3333333333333333333333333333333")),
    ],
)
def test_a_redacted_lenient_event_passes_lenient_decoding(path, value):
    """A lenient event that strict mode would refuse redacts to an encoding that lenient mode decodes to it."""
    payload = sample_payload()
    with_value(payload, path, value)
    redacted = plenty_events.redact(plenty_events.decode(payload))
    assert plenty_events.decode(plenty_events.encode(redacted)) == redacted


@given(payloads(max_items=3))
def test_a_redacted_strict_event_passes_strict_decoding(payload):
    """For any strictly valid payload, the redacted event's encoding decodes strictly to the redacted event."""
    redacted = plenty_events.redact(plenty_events.decode(payload, strict=True))
    assert plenty_events.decode(plenty_events.encode(redacted), strict=True) == redacted


@given(near_payloads())
def test_a_redacted_event_passes_the_mode_that_decoded_it(payload):
    """For any payload near the contract, each mode's event redacts to an encoding that this mode decodes to it."""
    for strict in (False, True):
        try:
            event = plenty_events.decode(payload, strict=strict)
        except plenty_events.DecodeError:
            continue
        redacted = plenty_events.redact(event)
        assert plenty_events.decode(plenty_events.encode(redacted), strict=strict) == redacted
        assert_hidden(repr(redacted))


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("SERVICE.PLUGIN.REFUND", "'SERVICE.PLUGIN.REFUND'"),
        ("ORDER_2.CREATED", "'ORDER_2.CREATED'"),
        ("A." + "B" * 62, "'A." + "B" * 62 + "'"),
        ("A." + "B" * 63, "'A.BBBBB…'"),
        ("SERVICE.", "'SERVICE.'"),
        ("SERVICE.PLUGIN.", "'SERVICE…'"),
        ("SERVICE", "'SERVICE'"),
        ("SERVICE.PLUGIN.REFUND\n", "'SERVICE…'"),
        ("Service.Plugin", "'Service…'"),
        ("JOHN DOE.X", "'JOHN DO…'"),
        ("1SERVICE.A", "'1SERVIC…'"),
        ("SERVICE..REFUND", "'SERVICE…'"),
        (PERSONAL, "'Zelda Q…'"),
        ("", "''"),
    ],
)
def test_mask_head_shows_a_plentymarkets_type_and_cuts_anything_else(value, shown):
    """A type of plentymarkets' shape shows whole (capitals, digits, '_', dots, at most 64); else eight characters."""
    assert mask_head(value) == shown


@pytest.mark.parametrize(("value", "shown"), [("de", "'de'"), ("DEU", "'DEU'"), ("", "''"), (PERSONAL, "'Z***'")])
def test_mask_code_shows_only_what_is_short_enough_to_be_a_code(value, shown):
    """A value of up to three characters shows in full; a longer one as its first character and '***'."""
    assert mask_code(value) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [(plenty_events.Gender.MALE, "<Gender.MALE: 'male'>"), (None, "None"), (PERSONAL, "'Z***'"), ("male", "'m***'")],
)
def test_mask_gender_shows_documented_genders_only(value, shown):
    """A Gender member and None show as they are; a string kept as it came is masked, whatever it holds."""
    assert mask_gender(value) == shown


def test_every_personal_field_is_declared_with_a_mask_that_redact_applies():
    """The model's declarations are the one list of personal fields: each masked one is blanked by redact()."""
    from plenty_events._model import wire_fields  # noqa: PLC0415

    declared = {
        (model.__name__, field.name): field.personal
        for model in (plenty_events.Contact, plenty_events.Address, plenty_events.Order)
        for field in wire_fields(model)
        if field.personal is not None
    }
    assert declared[("Address", "street")] is plenty_events.Mask.NAME
    assert declared[("Contact", "email")] is plenty_events.Mask.EMAIL
    assert ("Address", "postal_code") not in declared
    assert repr(plenty_events.Mask.TAIL) == "<mask tail>"
    # A hint shows a type's shape whole and other text cut to eight characters; redact() keeps it.
    assert plenty_events.Mask.HINT.blank("SERVICE.PLUGIN.REFUND") == "SERVICE.PLUGIN.REFUND"
    assert plenty_events.Mask.HINT.show("SERVICE.PLUGIN.REFUND") == "'SERVICE.PLUGIN.REFUND'"
    assert plenty_events.Mask.HINT.show("Zelda Quinn") == "'Zelda Q…'"
