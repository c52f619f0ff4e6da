"""Masking personal data in reprs, and redacting it from events.

The payload is the personal data of EU customers. What may show in a repr or
a log: ids, type, timestamps, country, prices. What may not, in full: names,
email, phone, street, house number, company name, PayPal transaction id.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar, cast

import attrs

if TYPE_CHECKING:
    from ._model import ServicePurchaseEvent

REDACTED = "***"


def masked(value: str) -> str:
    """Keep the first character: ``"John"`` becomes ``"J***"``."""
    if not value or value == REDACTED:  # nothing to hide, or redacted already
        return value
    return f"{value[:1]}{REDACTED}"


def mask(value: str) -> str:
    """The repr of :func:`masked`: ``"John"`` shows as ``'J***'``."""
    return repr(masked(value))


def mask_email(value: str) -> str:
    """Keep the first character and the domain: ``'j***@account.com'``.

    The domain helps tell a shop's test orders from real ones, and is rarely
    the person.
    """
    local, at, domain = value.rpartition("@")
    if not at:
        return mask(value)
    return repr(f"{local[:1]}{REDACTED}@{domain}")


def mask_tail(value: str) -> str:
    """Keep the last two characters: ``"123-456-7890"`` shows as ``'***90'``.

    Enough to tell two values apart in a log, not enough to call anyone.
    """
    return repr(f"{REDACTED}{value[-2:]}" if len(value) > 4 else (REDACTED if value else ""))


def redact(event: ServicePurchaseEvent) -> ServicePurchaseEvent:
    """Return a copy of `event` with the personal fields replaced.

    Names, email addresses, phone, street, house number, address addition,
    company name and PayPal transaction id become `"***"` (an empty value
    stays empty); the unknown keys that lenient decoding kept in `extra`
    are dropped. Ids, timestamps, postal code, town, country, items and
    prices are kept, so the copy still serves analytics and debugging. Its
    encoding passes strict decoding.

    Args:
        event: The event to redact.

    Returns:
        The redacted copy; `event` itself is frozen and stays as it is.

    Examples:
        >>> import plenty_events
        >>> from plenty_events.testing import sample_payload
        >>> event = plenty_events.decode(sample_payload())
        >>> plenty_events.redact(event).resource.contact.email
        '***'
    """
    resource = event.resource
    contact = _blank(resource.contact, "first_name", "last_name", "email")
    address = _blank(
        resource.address,
        "company_name",
        "first_name",
        "last_name",
        "street",
        "house_number",
        "additional",
        "phone",
        "email",
    )
    order = _blank(resource.order, "paypal_transaction_id")
    redacted = attrs.evolve(event, resource=attrs.evolve(resource, contact=contact, address=address, order=order))
    return _without_extra(redacted)


def _without_extra(instance: _T) -> _T:
    """Return ``instance`` with the unknown keys lenient decoding kept dropped, at every level."""
    from ._model import NO_EXTRA, wire_fields  # noqa: PLC0415 -- the model imports this module

    model: type = type(instance)
    changes: dict[str, object] = {}
    for field in wire_fields(model):
        if field.model is not None:
            value: object = getattr(instance, field.name)
            if isinstance(value, tuple):
                changes[field.name] = tuple(_without_extra(item) for item in cast("tuple[object, ...]", value))
            else:
                changes[field.name] = _without_extra(value)
    changes["extra"] = NO_EXTRA  # every model of the built-in events has one
    return attrs.evolve(instance, **changes)  # type: ignore[misc]  # an instance of an attrs model


_T = TypeVar("_T")


def _blank(instance: _T, *names: str) -> _T:
    return attrs.evolve(
        instance,  # type: ignore[misc]
        **{name: REDACTED if getattr(instance, name) else "" for name in names},
    )
