"""Real uvicorn, gunicorn and Django runserver processes: tokens out of their logs, one Content-Length, closing."""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import os
import socket
import subprocess
import sys
import textwrap
import time
from typing import TYPE_CHECKING

import pytest

from plenty_events.receiver import SERVER_LOGGERS, TokenFilter, mask_tokens, uvicorn_log_config
from plenty_events.testing import sample_payload, to_json
from tests.receiving import PATH, TOKEN

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

GUESS = "a-guessed-token-0123456"
STARTUP = 60


@pytest.mark.parametrize(
    ("msg", "args", "shown"),
    [
        ('"%s %s"', ("POST", f"/webhooks/{TOKEN}?x=1"), '"POST /webhooks/***?x=1"'),
        ("%s: %s", ("Not Found", f"/webhooks/{GUESS}"), "Not Found: /webhooks/***"),
        (f"GET /webhooks/{TOKEN}/more", None, "GET /webhooks/***/more"),
        (ValueError(f"bad /webhooks/{TOKEN}"), None, "bad /webhooks/***"),  # a message that is not a str
        ("%(r)s %(s)s", {"r": f"POST /webhooks/{TOKEN} HTTP/1.1", "s": 202}, "POST /webhooks/*** HTTP/1.1 202"),
        ("%s %d", ("/elsewhere/" + TOKEN, 3), f"/elsewhere/{TOKEN} 3"),
    ],
)
def test_the_filter_masks_the_token_in_message_and_arguments(msg: object, args: object, shown: str) -> None:
    """The token after the prefix is masked in the message and in tuple or mapping arguments; other paths stay."""
    record = logging.makeLogRecord({"msg": msg, "args": args})
    assert TokenFilter().filter(record) is True
    assert record.getMessage() == shown


def test_the_filter_keeps_the_shape_of_the_arguments() -> None:
    """A tuple stays a tuple of as many items, so that uvicorn's access formatter still unpacks it."""
    record = logging.makeLogRecord({"msg": "%s", "args": ("127.0.0.1:5", "POST", PATH, "1.1", 202)})
    TokenFilter().filter(record)
    assert record.args == ("127.0.0.1:5", "POST", "/webhooks/***", "1.1", 202)


def test_mask_tokens_filters_the_server_loggers() -> None:
    """mask_tokens puts one filter on each server logger, which masks what is logged there."""
    token_filter = mask_tokens("/hooks/")
    try:
        for name in SERVER_LOGGERS:
            assert token_filter in logging.getLogger(name).filters
        record = logging.makeLogRecord({"msg": f"/hooks/{TOKEN}"})
        logging.getLogger("gunicorn.access").filter(record)
        assert record.getMessage() == "/hooks/***"
    finally:
        for name in SERVER_LOGGERS:
            logging.getLogger(name).removeFilter(token_filter)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server exited"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            time.sleep(0.1)
        else:
            return
    raise AssertionError("the server did not start")


def request(port: int, method: str, path: str, body: bytes | None = None) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=STARTUP)
    try:
        connection.request(method, path, body=body, headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


@contextlib.contextmanager
def serving(folder: Path, command: list[str], port: int, env: dict[str, str] | None = None) -> Iterator[Path]:
    """Run the server until the block ends; yield the file it writes its output to."""
    output = folder / "server.log"
    with (
        output.open("wb") as log,
        subprocess.Popen(
            command, cwd=folder, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
        ) as process,
    ):
        try:
            wait_for(port, process)
            yield output
        finally:
            process.terminate()
            process.wait(STARTUP)


def served_log(folder: Path, command: list[str], port: int, env: dict[str, str] | None = None) -> str:
    """Run the server, send a delivery, a wrong token and a GET, stop it; return all it wrote."""
    with serving(folder, command, port, env) as output:
        assert request(port, "POST", PATH, to_json(sample_payload())) == 202
        assert request(port, "POST", f"/webhooks/{GUESS}", b"{}") == 404
        assert request(port, "GET", PATH) == 405
        time.sleep(0.5)  # the access lines are written after the answers
    return output.read_text()


def assert_masked(text: str) -> None:
    assert TOKEN not in text
    assert GUESS not in text
    assert "/webhooks/***" in text


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder with the apps the servers load: asgi_app, FastAPI, wsgi_app, Flask, and a Django project."""
    (tmp_path / "shop.py").write_text(
        textwrap.dedent(
            f"""
            from fastapi import FastAPI
            from flask import Flask

            from plenty_events.receiver import Receiver
            from plenty_events.receiver.fastapi import router
            from plenty_events.receiver.flask import blueprint

            receiver = Receiver(tokens={TOKEN!r}, handler=lambda event: None)
            asgi = receiver.asgi_app()
            wsgi = receiver.wsgi_app()
            fastapi = FastAPI()
            fastapi.include_router(router(receiver), prefix="/webhooks")
            flask = Flask("shop")
            flask.register_blueprint(blueprint(receiver))
            """
        )
    )
    (tmp_path / "shop_settings.py").write_text(
        textwrap.dedent(
            """
            from plenty_events.receiver import django_logging

            SECRET_KEY = "a-key-for-tests-only"
            DEBUG = False
            ALLOWED_HOSTS = ["127.0.0.1"]
            ROOT_URLCONF = "shop_urls"
            USE_TZ = True
            LOGGING = django_logging()
            # As a project that logs django.request (every 4xx and 5xx) to the console does.
            LOGGING["handlers"]["console"] = {"class": "logging.StreamHandler"}
            LOGGING["loggers"]["django.request"]["handlers"] = ["console"]
            """
        )
    )
    (tmp_path / "shop_urls.py").write_text(
        textwrap.dedent(
            f"""
            from plenty_events.receiver import Receiver
            from plenty_events.receiver.django import urlpattern

            urlpatterns = [urlpattern(Receiver(tokens={TOKEN!r}, handler=lambda event: None))]
            """
        )
    )
    (tmp_path / "shop_urls_wsgi.py").write_text(
        "import os\n\nos.environ['DJANGO_SETTINGS_MODULE'] = 'shop_settings'\n"
        "from django.core.wsgi import get_wsgi_application\n\napplication = get_wsgi_application()\n"
    )
    (tmp_path / "gunicorn.conf.py").write_text("from plenty_events.receiver import mask_tokens\n\nmask_tokens()\n")
    (tmp_path / "log.json").write_text(json.dumps(uvicorn_log_config()))
    return tmp_path


@pytest.mark.parametrize("app", ["shop:asgi", "shop:fastapi"])
def test_uvicorn_logs_no_token(folder: Path, app: str) -> None:
    """A real uvicorn with --log-config from uvicorn_log_config writes /webhooks/*** in its access log."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "--log-config", "log.json", "--port", str(port), app]
    text = served_log(folder, command, port)
    assert '"POST /webhooks/*** HTTP/1.1" 202' in text
    assert '"POST /webhooks/*** HTTP/1.1" 404' in text
    assert_masked(text)


@pytest.mark.parametrize("app", ["shop:wsgi", "shop:flask", "shop_urls_wsgi:application"])
def test_gunicorn_logs_no_token(folder: Path, app: str) -> None:
    """A real gunicorn with mask_tokens() in its configuration file writes /webhooks/*** in its access log."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--access-logfile", "-"]
    text = served_log(folder, [*command, "--bind", f"127.0.0.1:{port}", app], port)
    assert '"POST /webhooks/*** HTTP/1.1" 202' in text
    assert '"POST /webhooks/*** HTTP/1.1" 404' in text
    assert_masked(text)


def test_django_runserver_logs_no_token(folder: Path) -> None:
    """Django's runserver with LOGGING = django_logging() writes /webhooks/*** in django.server and django.request."""
    port = free_port()
    command = [sys.executable, "-m", "django", "runserver", f"127.0.0.1:{port}", "--noreload"]
    text = served_log(folder, command, port, {"DJANGO_SETTINGS_MODULE": "shop_settings", "PYTHONPATH": str(folder)})
    assert '"POST /webhooks/*** HTTP/1.1" 202' in text
    assert "Not Found: /webhooks/***" in text  # django.request
    assert '"POST /webhooks/*** HTTP/1.1" 404' in text
    assert_masked(text)


def raw(port: int, data: bytes) -> bytes:
    """Send raw bytes, half-close, and return everything the server sends until it closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=STARTUP) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        with contextlib.suppress(ConnectionResetError):
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks)


#: A chunked body that reads as a request of its own, if a server took the unread body for the next request.
SMUGGLED = f"GET {PATH} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
CHUNKED = (
    f"POST {PATH} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
    + f"{len(SMUGGLED):x}\r\n".encode()
    + SMUGGLED
    + b"\r\n0\r\n\r\n"
)
TWO_LENGTHS = f"POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 20\r\n\r\n{{}}".encode()

SERVERS = {
    "uvicorn asgi_app": ["-m", "uvicorn", "--log-config", "log.json", "--port", "{port}", "shop:asgi"],
    "uvicorn FastAPI": ["-m", "uvicorn", "--log-config", "log.json", "--port", "{port}", "shop:fastapi"],
    "gunicorn wsgi_app": ["-m", "gunicorn", "-c", "gunicorn.conf.py", "--bind", "127.0.0.1:{port}", "shop:wsgi"],
    "gunicorn Flask": ["-m", "gunicorn", "-c", "gunicorn.conf.py", "--bind", "127.0.0.1:{port}", "shop:flask"],
    "gunicorn Django": [
        "-m",
        "gunicorn",
        "-c",
        "gunicorn.conf.py",
        "--bind",
        "127.0.0.1:{port}",
        "shop_urls_wsgi:application",
    ],
}


@pytest.mark.parametrize("server", sorted(SERVERS))
def test_the_servers_refuse_two_content_lengths_and_never_read_an_unread_body_as_a_request(
    folder: Path, server: str
) -> None:
    """Two different Content-Lengths are 400; after a 411 the chunked body is never answered as a request."""
    port = free_port()
    command = [sys.executable, *(part.format(port=port) for part in SERVERS[server])]
    with serving(folder, command, port):
        two = raw(port, TWO_LENGTHS)
        early = raw(port, CHUNKED)
    assert two.startswith(b"HTTP/1.1 400 ")
    assert early.startswith(b"HTTP/1.1 411 ")
    assert early.count(b"HTTP/1.1 ") == 1  # no 405 for the GET inside the body
    if server.startswith("uvicorn"):
        assert b"\r\nconnection: close\r\n" in early.lower()
