"""Checking a config against the system before the first purchase."""

from __future__ import annotations

from typing import TYPE_CHECKING

from plenty_events.receiver import Permanent, RetryLater

from ._answers import list_entries
from ._requests import current_user, find_user, ticket_statuses, ticket_types
from ._settings import Settings

if TYPE_CHECKING:
    from ._client import Client


def check(config: Settings, *, client: Client | None = None) -> list[str]:
    """Log in and check that the config's ticket type, status and owner users exist; return what is wrong.

    An empty list: all good. Each problem names the setting and its id,
    never a secret. Each owner user is looked up (`GET /rest/users/{id}`,
    a 404 meaning it does not exist); the role is not checked: no route
    lists ticket roles.

    Args:
        config: The config to check: a
            [PlentyConfig][plenty_events.plentymarkets.PlentyConfig].
        client: The client to call with; by default a new
            [Client][plenty_events.plentymarkets.Client] of `config`, closed after.

    Examples:
        >>> from plenty_events.plentymarkets import Client, FakePlenty
        >>> fake = FakePlenty()
        >>> config = fake.config(ticket_status_id=9)
        >>> config.check(client=Client(config, transport=fake))
        ['ticket status 9 does not exist; the system has [1]']

    """
    own = client is None
    if client is None:
        from ._client import Client  # noqa: PLC0415 -- httpx is an extra, needed only here

        client = Client(config)
    try:
        try:
            client.send(current_user())
        except (Permanent, RetryLater) as exc:
            return [f"cannot log in: {exc.reason}"]
        problems: list[str] = []
        for request, key, wanted, what in (
            (ticket_types(), "typeId", config.ticket_type_id, "ticket type"),
            (ticket_statuses(), "statusId", config.ticket_status_id, "ticket status"),
        ):
            try:
                known = {entry.get(key) for entry in list_entries(request.operation, client.send(request))}
            except (Permanent, RetryLater) as exc:
                problems.append(f"cannot list the {what}s: {exc.reason}")
                continue
            if wanted not in known:
                ids = sorted(number for number in known if isinstance(number, int))
                problems.append(f"{what} {wanted} does not exist; the system has {ids}")
        for user_id in config.owner_user_ids:
            try:
                client.send(find_user(user_id))
            except (Permanent, RetryLater) as exc:
                # The client's reason for a 404, exactly: any other failure says nothing of the user.
                if exc.reason == "find_user: plentymarkets answered 404":
                    problems.append(f"owner user {user_id} does not exist")
                else:
                    problems.append(f"cannot check owner user {user_id}: {exc.reason}")
        return problems
    finally:
        if own:
            client.close()
