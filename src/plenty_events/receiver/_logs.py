"""Tokens out of the servers' logs: a logging filter, and ready configurations for uvicorn, gunicorn and Django."""

from __future__ import annotations

import logging
import re
from typing import Any

__all__ = ["SERVER_LOGGERS", "TokenFilter", "django_logging", "mask_tokens", "uvicorn_log_config"]

#: The loggers that write request paths: uvicorn's and gunicorn's access and
#: error logs, Django's `django.request` (every 4xx and 5xx) and
#: `django.server` (runserver's access log).
SERVER_LOGGERS = (
    "uvicorn.access",
    "uvicorn.error",
    "gunicorn.access",
    "gunicorn.error",
    "django.request",
    "django.server",
)


class TokenFilter(logging.Filter):
    """A logging filter that writes `/webhooks/***` wherever a record shows `/webhooks/<token>`.

    It masks the message and each text argument in place, keeping their
    shape (a tuple stays a tuple, gunicorn's mapping of atoms a mapping), so
    the server's own formatter still finds what it expects; it never drops
    a record. Everything after the prefix up to a space, quote, `?`, `/` or
    `#` is masked, also a wrong guess: a log shows no token, right or wrong.

    Args:
        prefix: The path before the token, as served.

    Examples:
        >>> import logging
        >>> from plenty_events.receiver import TokenFilter
        >>> record = logging.makeLogRecord(
        ...     {"msg": '"%s %s"', "args": ("POST", "/webhooks/s3cret-token-0123456789?x=1")}
        ... )
        >>> TokenFilter().filter(record), record.getMessage()
        (True, '"POST /webhooks/***?x=1"')

    """

    def __init__(self, prefix: str = "/webhooks/") -> None:
        """Mask what follows `prefix`."""
        super().__init__()
        self.prefix = prefix
        self._pattern = re.compile(re.escape(prefix) + r"[^\s\"'?/#]+")

    def mask(self, text: str) -> str:
        """`text` with every token after the prefix replaced by `***`."""
        return self._pattern.sub(self.prefix + "***", text)

    def _masked(self, value: object) -> object:
        return self.mask(value) if isinstance(value, str) else value

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask the record's message and arguments; keep the record."""
        # A message that is not a str (an exception, say) is shown as its str: masked as such.
        record.msg = self.mask(str(record.msg))
        if isinstance(record.args, tuple):
            record.args = tuple(self._masked(arg) for arg in record.args)
        elif record.args:
            record.args = {key: self._masked(value) for key, value in record.args.items()}
        return True


def mask_tokens(prefix: str = "/webhooks/", loggers: tuple[str, ...] = SERVER_LOGGERS) -> TokenFilter:
    """Add one [TokenFilter][plenty_events.receiver.TokenFilter] to each of `loggers`, and return it.

    A filter on a logger sees every record logged to it, whatever the
    handlers the server sets up later (uvicorn and gunicorn replace
    handlers, never a logger's filters): call it once, at import, in the
    module the server loads, or in gunicorn's configuration file.

    Examples:
        >>> import logging
        >>> from plenty_events.receiver import mask_tokens
        >>> token_filter = mask_tokens(loggers=("example.access",))
        >>> token_filter in logging.getLogger("example.access").filters
        True

    """
    token_filter = TokenFilter(prefix)
    for name in loggers:
        logging.getLogger(name).addFilter(token_filter)
    return token_filter


def _filter(prefix: str) -> dict[str, Any]:
    return {"()": f"{__name__.rpartition('.')[0]}.TokenFilter", "prefix": prefix}


def uvicorn_log_config(prefix: str = "/webhooks/") -> dict[str, Any]:
    """The default logging configuration of uvicorn, with the token masked in its access and error logs.

    Pass it as `uvicorn.run(..., log_config=uvicorn_log_config())`, or
    write it as JSON for `uvicorn --log-config log.json`: it holds only
    names and strings.

    Examples:
        >>> from plenty_events.receiver import uvicorn_log_config
        >>> uvicorn_log_config()["loggers"]["uvicorn.access"]["filters"]
        ['tokens']

    """
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"tokens": _filter(prefix)},
        "formatters": {
            "default": {"()": "uvicorn.logging.DefaultFormatter", "fmt": "%(levelprefix)s %(message)s"},
            "access": {
                "()": "uvicorn.logging.AccessFormatter",
                "fmt": '%(levelprefix)s %(client_addr)s - "%(request_line)s" %(status_code)s',
            },
        },
        "handlers": {
            "default": {"formatter": "default", "class": "logging.StreamHandler", "stream": "ext://sys.stderr"},
            "access": {"formatter": "access", "class": "logging.StreamHandler", "stream": "ext://sys.stdout"},
        },
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": "INFO", "propagate": False},
            "uvicorn.error": {"level": "INFO", "filters": ["tokens"]},
            "uvicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False, "filters": ["tokens"]},
        },
    }


def django_logging(prefix: str = "/webhooks/") -> dict[str, Any]:
    """A `LOGGING` setting for Django that masks the token in `django.request` and `django.server`.

    Django applies its own defaults first, then this: `django.request`
    keeps its handlers (it has none of its own; its records go on to
    `django`'s), and `django.server`, runserver's access log, gets its
    default handler and format back. Merge it into a `LOGGING` of your own
    by adding the filter to these two loggers.

    Examples:
        >>> from plenty_events.receiver import django_logging
        >>> sorted(django_logging()["loggers"])
        ['django.request', 'django.server']

    """
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"tokens": _filter(prefix)},
        "formatters": {
            "django.server": {
                "()": "django.utils.log.ServerFormatter",
                "format": "[{server_time}] {message}",
                "style": "{",
            },
        },
        "handlers": {
            "django.server": {"level": "INFO", "class": "logging.StreamHandler", "formatter": "django.server"},
        },
        "loggers": {
            "django.request": {"filters": ["tokens"]},
            "django.server": {
                "handlers": ["django.server"],
                "level": "INFO",
                "propagate": False,
                "filters": ["tokens"],
            },
        },
    }
