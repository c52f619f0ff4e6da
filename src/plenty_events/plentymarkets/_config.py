"""The config of the plentymarkets handler: the settings, read from the environment and checked against the system."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from ._check import check as check_config
from ._settings import AppClient, Settings, UserLogin

if TYPE_CHECKING:
    from ._client import Client


@attrs.frozen(kw_only=True)
class PlentyConfig(Settings):
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

    def check(self, *, client: Client | None = None) -> list[str]:
        """Log in and check that the ticket type and status exist; return what is wrong (empty: all good).

        See [check][plenty_events.plentymarkets.check]; needs httpx.
        """
        return check_config(self, client=client)

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
