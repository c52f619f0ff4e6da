"""The settings of the plentymarkets handler: where the system is, how to log in, what a ticket gets."""

from __future__ import annotations

import os
import string
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final

import attrs

if TYPE_CHECKING:
    from ._client import Client

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
class PlentyConfig:
    """Where the partner's plentymarkets system is, how to log in, and what each purchase becomes there.

    Attributes:
        url: The system's base URL, such as `https://shop.example`; the REST
            routes are under `/rest`.
        credentials: A back-end [UserLogin][plenty_events.plentymarkets.UserLogin]
            or an [AppClient][plenty_events.plentymarkets.AppClient].
        plenty_id: The client (`plentyId`) the ticket belongs to. Not the
            store id, which the Service Helper sent here.
        ticket_type_id: The ticket type.
        ticket_status_id: The status of a new ticket.
        ticket_role_id: The role of the owners.
        owner_user_ids: The users who own each ticket, at least one.
        referrer_id: The contact's referrer; 1 is the client (store) itself.
        language: The contact's language, such as `"de"` or `"en"`.
        note_type: `"comment"` (internal, the default) or `"message"`
            (visible for the customer).
        note_template: The note's text, a `string.Template` whose `$names`
            are among [PLACEHOLDERS][plenty_events.plentymarkets.PLACEHOLDERS];
            every value is HTML-escaped.
        title_prefix: The ticket title before the item's name.
        timeout: Seconds each HTTP call may take.

    Examples:
        >>> from plenty_events.plentymarkets import PlentyConfig, UserLogin
        >>> config = PlentyConfig(
        ...     url="https://shop.example",
        ...     credentials=UserLogin("api", "pw"),
        ...     plenty_id=1000,
        ...     ticket_type_id=1,
        ...     ticket_status_id=1,
        ...     ticket_role_id=1,
        ...     owner_user_ids=(7,),
        ... )
        >>> config.note_type, "pw" in repr(config)
        ('comment', False)

    """

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

    def check(self, *, client: Client | None = None) -> list[str]:
        """Log in and check that the ticket type and status exist; return what is wrong (empty: all good).

        See [check][plenty_events.plentymarkets.check]; needs httpx.
        """
        from ._check import check  # noqa: PLC0415 -- the config itself needs no HTTP client

        return check(self, client=client)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> PlentyConfig:
        """Read the configuration from environment variables (`PLENTY_*`).

        The names are listed on the "Replacing the Service Helper" page.
        With `PLENTY_CLIENT_ID` set, the app client logs in; otherwise
        `PLENTY_USERNAME` and `PLENTY_PASSWORD`.

        Args:
            environ: The variables; `os.environ` by default.

        Raises:
            ValueError: A variable is missing or not of its type; the message
                names the variable, never its value.

        Examples:
            >>> env = {
            ...     "PLENTY_URL": "https://shop.example",
            ...     "PLENTY_USERNAME": "api",
            ...     "PLENTY_PASSWORD": "pw",
            ...     "PLENTY_ID": "1000",
            ...     "PLENTY_TICKET_TYPE_ID": "2",
            ...     "PLENTY_TICKET_STATUS_ID": "3",
            ...     "PLENTY_TICKET_ROLE_ID": "4",
            ...     "PLENTY_OWNER_USER_IDS": "7,8",
            ... }
            >>> PlentyConfig.from_env(env).owner_user_ids
            (7, 8)

        """
        env = os.environ if environ is None else environ

        def text(name: str) -> str:
            value = env.get(name, "")
            if not value:
                raise ValueError(f"{name} is not set")
            return value

        def number(name: str) -> int:
            try:
                return int(text(name))
            except ValueError as exc:
                if str(exc).endswith("is not set"):
                    raise
                raise ValueError(f"{name} is not an integer") from None

        url = text("PLENTY_URL")
        credentials: UserLogin | AppClient
        if env.get("PLENTY_CLIENT_ID"):
            credentials = AppClient(text("PLENTY_CLIENT_ID"), text("PLENTY_CLIENT_SECRET"), text("PLENTY_TOKEN_URL"))
        else:
            credentials = UserLogin(text("PLENTY_USERNAME"), text("PLENTY_PASSWORD"))
        owners = text("PLENTY_OWNER_USER_IDS")
        try:
            owner_ids = tuple(int(part) for part in owners.split(","))
        except ValueError:
            raise ValueError("PLENTY_OWNER_USER_IDS is not a comma-separated list of integers") from None
        optional: dict[str, Any] = {}
        for name, key, kind in (
            ("PLENTY_REFERRER_ID", "referrer_id", int),
            ("PLENTY_LANGUAGE", "language", str),
            ("PLENTY_NOTE_TYPE", "note_type", str),
            ("PLENTY_NOTE_TEMPLATE", "note_template", str),
            ("PLENTY_TITLE_PREFIX", "title_prefix", str),
            ("PLENTY_TIMEOUT", "timeout", float),
        ):
            if env.get(name):
                try:
                    optional[key] = kind(env[name])
                except ValueError:
                    raise ValueError(f"{name} is not a {kind.__name__}") from None
        config = cls(
            url=url,
            credentials=credentials,
            plenty_id=number("PLENTY_ID"),
            ticket_type_id=number("PLENTY_TICKET_TYPE_ID"),
            ticket_status_id=number("PLENTY_TICKET_STATUS_ID"),
            ticket_role_id=number("PLENTY_TICKET_ROLE_ID"),
            owner_user_ids=owner_ids,
        )
        return attrs.evolve(config, **optional)
