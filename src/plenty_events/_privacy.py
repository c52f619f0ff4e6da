"""Masks: how a personal value shows in a repr, a message or a log line, and what ``redact`` makes of it.

A leaf module: the model declares each personal field with one of the
``Mask`` values below (``plenty_events.field(..., personal=...)``),
and the repr, ``redact`` and the tests read the declaration.

The payload is the personal data of EU customers. What may show in a repr or
a log: ids, type (cut to eight characters where it has no model),
timestamps, a valid country code, a documented gender, prices. What may not,
in full: names, email, phone, street, house number, company name, PayPal
transaction id, and whatever lenient mode kept as it came (an unknown gender
or country code).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Final, final

from ._codegen import lazy_pattern
from ._errors import shorten

REDACTED = "***"

#: A domain that shows after the ``@``: a hostname of ASCII labels (letters,
#: digits, inner hyphens) with at least one dot, at most this long. Anything
#: else after an ``@`` may be a name or an address, and is masked.
MAX_DOMAIN_LENGTH: Final = 64
_LABEL: Final = "[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_HOSTNAME: Final = lazy_pattern(rf"{_LABEL}(?:\.{_LABEL})+\Z")

#: How many characters of an unknown event type may show, when it does not
#: have the shape of a plentymarkets type.
TYPE_HINT_LENGTH: Final = 8

#: The shape of a plentymarkets event type, which shows in full: dot-separated
#: segments of capitals, digits and underscores, the first starting with a
#: capital, at least two segments (``SERVICE.PLUGIN.REFUND``), at most
#: MAX_TYPE_LENGTH characters. Nothing in lower case, no space, no ``@``:
#: a name or an email address sent as a type keeps its hint.
MAX_TYPE_LENGTH: Final = 64
_EVENT_TYPE: Final = lazy_pattern(r"[A-Z][A-Z0-9_]*(?:\.[A-Z0-9_]+)+\Z")

#: A value this short shows in full where a code is expected (``'de'``,
#: ``'DEU'``, ``'--'``): it says what was wrong, and cannot name a person.
CODE_LENGTH: Final = 3


def masked(value: str) -> str:
    """Keep the first character: ``"John"`` becomes ``"J***"``."""
    if not value or value == REDACTED:  # nothing to hide, or redacted already
        return value
    return f"{value[:1]}{REDACTED}"


def mask(value: str) -> str:
    """The repr of ``masked``: ``"John"`` shows as ``'J***'``."""
    return repr(masked(value))


def mask_email(value: str) -> str:
    """Keep the first character, and the domain when it is a hostname: ``'j***@account.com'``.

    The domain helps tell a shop's test orders from real ones, and is rarely
    the person. What follows the last ``@`` shows only when it looks like a
    hostname (ASCII letters, digits, hyphens and dots, at most 64
    characters); anything else there is masked: ``'x***@***'``.
    """
    local, at, domain = value.rpartition("@")
    if not at:
        return mask(value)
    if len(domain) > MAX_DOMAIN_LENGTH or not _HOSTNAME.match(domain):
        domain = REDACTED
    return repr(f"{local[:1]}{REDACTED}@{domain}")


def mask_tail(value: str) -> str:
    """Keep the last two characters: ``"123-456-7890"`` shows as ``'***90'``.

    Enough to tell two values apart in a log, not enough to call anyone.
    """
    return repr(f"{REDACTED}{value[-2:]}" if len(value) > 4 else (REDACTED if value else ""))


def type_hint(value: str) -> str:
    """An event type as output may show it: whole when it has a plentymarkets type's shape, else cut.

    ``SERVICE.PLUGIN.REFUND`` shows as it is, so that a drift report says
    which new types arrive. Any other text is cut to eight characters
    (``"Zelda Q…"``): they tell a ``SERVICE.`` type from a stray value, and
    cannot carry a whole name.
    """
    if len(value) <= MAX_TYPE_LENGTH and _EVENT_TYPE.match(value):
        return value
    return shorten(value, TYPE_HINT_LENGTH)


def mask_head(value: str) -> str:
    """The repr of ``type_hint``: ``'SERVICE…'``."""
    return repr(type_hint(value))


def mask_code(value: str) -> str:
    """Show a value short enough to be a code, mask a longer one: ``'de'``, but ``'G***'``.

    For a country code that is not valid: ``'de'`` or ``'DEU'`` say what was
    wrong, ``'Germany'`` or a customer's town shows as a hint only.
    """
    return repr(value) if len(value) <= CODE_LENGTH else mask(value)


def mask_gender(value: object) -> str:
    """Show a documented gender (a ``Gender``) or ``None``; mask a value kept as it came."""
    # A Gender is a StrEnum member; lenient mode keeps an unknown value as a plain str.
    return mask(value) if type(value) is str else repr(value)


def _blank_text(value: object) -> object:
    return REDACTED if value else value


def _blank_invalid_country(value: object) -> object:
    from . import countries  # noqa: PLC0415 -- its table is read on first use only

    return value if type(value) is not str or countries.is_valid(value) else REDACTED


def _blank_kept_gender(value: object) -> object:
    # A Gender is a StrEnum member; lenient mode keeps an unknown value as a plain str.
    return REDACTED if type(value) is str else value


def _keep(value: object) -> object:
    return value


@final
class Mask:
    """How a personal field shows in a repr, and what [redact][plenty_events.redact] leaves of it.

    Passed as `plenty_events.field(..., personal=Mask.EMAIL)`; `personal=True`
    means `Mask.NAME`. The masks: `NAME` (the first character), `EMAIL` (the
    first character and a hostname domain), `TAIL` (the last two characters),
    `CODE` (a value short enough to be a code shows), `GENDER` (a documented
    gender shows) and `HINT` (an event type's shape shows).

    Attributes:
        name: The mask's name, for its repr.
        show: The field's repr: a masked hint of the value.
        blank: What `redact` puts in the value's place.

    Examples:
        >>> from plenty_events import Mask
        >>> Mask.EMAIL.show("john@account.com"), Mask.TAIL.show("123-456-7890")
        ("'j***@account.com'", "'***90'")
        >>> Mask.NAME.blank("John")
        '***'

    """

    __slots__ = ("blank", "name", "show")

    NAME: ClassVar[Mask]
    """The first character shows (``'J***'``); ``redact`` blanks any non-empty value."""
    EMAIL: ClassVar[Mask]
    """The first character and a hostname domain show (``'j***@account.com'``); ``redact`` blanks it."""
    TAIL: ClassVar[Mask]
    """The last two characters show (``'***90'``); ``redact`` blanks it."""
    CODE: ClassVar[Mask]
    """A code shows, a longer value is masked; ``redact`` blanks a code that is not a valid country."""
    GENDER: ClassVar[Mask]
    """A documented gender shows; a value kept as it came is masked, and blanked by ``redact``."""
    HINT: ClassVar[Mask]
    """Eight characters show (``'SERVICE…'``); ``redact`` keeps it: a hint cannot carry a name."""

    def __init__(self, name: str, show: Callable[[Any], str], blank: Callable[[object], object]) -> None:
        self.name = name
        self.show = show
        self.blank = blank

    def __repr__(self) -> str:
        return f"<mask {self.name}>"


Mask.NAME = Mask("name", mask, _blank_text)  # the class's constants, set once here
Mask.EMAIL = Mask("email", mask_email, _blank_text)
Mask.TAIL = Mask("tail", mask_tail, _blank_text)
Mask.CODE = Mask("code", mask_code, _blank_invalid_country)
Mask.GENDER = Mask("gender", mask_gender, _blank_kept_gender)
Mask.HINT = Mask("hint", mask_head, _keep)
