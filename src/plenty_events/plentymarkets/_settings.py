"""The settings of the plentymarkets handler as data: where the system is, how to log in, what a ticket gets.

The request builders and the client read these;
[PlentyConfig][plenty_events.plentymarkets.PlentyConfig] adds, above them,
what needs them in turn: checking itself against the system.
"""

from __future__ import annotations

import string
from collections.abc import Iterable
from typing import Final

import attrs

DEFAULT_TEMPLATE: Final = (
    "<p>Service purchase $event_id of $created_at</p>"
    "<p>$first_name $last_name, $company<br>$street $house_number $additional<br>"
    "$postal_code $town $country<br>$email, $phone</p>"
    "<p>Order $order_id, PayPal $paypal_transaction_id</p>$items"
)
"""The note's default template: the purchase for whoever contacts the customer."""

PLACEHOLDERS: Final = frozenset(
    {
        "event_id",
        "created_at",
        "first_name",
        "last_name",
        "email",
        "phone",
        "company",
        "street",
        "house_number",
        "additional",
        "postal_code",
        "town",
        "country",
        "order_id",
        "paypal_transaction_id",
        "items",
    }
)
"""The names a note template may use, each as `$name`; every value is HTML-escaped."""


@attrs.frozen
class UserLogin:
    """Log in as a back-end user: `POST /rest/login` with user name and password.

    The password never shows in a repr.

    Attributes:
        username: The back-end user's name.
        password: The password.

    Examples:
        >>> UserLogin("api-user", "secret-password")
        UserLogin(username='api-user', password='***')

    """

    username: str
    password: str = attrs.field(repr=lambda _: "'***'")


@attrs.frozen
class AppClient:
    """Log in as an app client with client credentials (plentymarkets' beta since 2024-02).

    A JWT valid for an hour, without taking one of the system's concurrent
    back-end sessions. The secret never shows in a repr.

    Attributes:
        client_id: The app client's id.
        client_secret: The app client's secret.
        token_url: The system's token URL, where the form
            `grant_type=client_credentials` is posted.

    Examples:
        >>> AppClient("app-1", "s3cret", "https://shop.example/rest/oauth/token")
        AppClient(client_id='app-1', client_secret='***', token_url='https://shop.example/rest/oauth/token')

    """

    client_id: str
    client_secret: str = attrs.field(repr=lambda _: "'***'")
    token_url: str


def _template(_instance: object, _attribute: object, value: str) -> None:
    # A wrong placeholder shows at start-up, not at the first purchase.
    try:
        string.Template(value).substitute(dict.fromkeys(PLACEHOLDERS, ""))
    except KeyError as exc:
        raise ValueError(f"note_template: unknown placeholder {exc.args[0]!r}; known: {sorted(PLACEHOLDERS)}") from None


def _url(_instance: object, _attribute: object, value: str) -> None:
    if not value.startswith(("https://", "http://")):
        raise ValueError("url: an http(s) URL of the plentymarkets system, such as https://shop.example")


def _strip_slash(value: str) -> str:
    return value.rstrip("/")


def _user_ids(value: Iterable[int]) -> tuple[int, ...]:
    return tuple(value)


def _owners(_instance: object, _attribute: object, value: tuple[int, ...]) -> None:
    if not value:
        raise ValueError("owner_user_ids: at least one user owns the ticket")


@attrs.frozen(kw_only=True)
class Settings:
    """The fields of [PlentyConfig][plenty_events.plentymarkets.PlentyConfig], documented there, without its methods."""

    url: str = attrs.field(validator=_url, converter=_strip_slash)
    credentials: UserLogin | AppClient
    plenty_id: int
    ticket_type_id: int
    ticket_status_id: int
    ticket_role_id: int
    owner_user_ids: tuple[int, ...] = attrs.field(converter=_user_ids, validator=_owners)
    referrer_id: int = 1
    language: str = "de"
    note_type: str = attrs.field(default="comment", validator=attrs.validators.in_(("comment", "message")))
    note_template: str = attrs.field(default=DEFAULT_TEMPLATE, validator=_template, repr=False)
    title_prefix: str = "Service: "
    timeout: float = 10.0
