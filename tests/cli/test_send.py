"""plenty-events send: deliveries to a WSGI receiver on 127.0.0.1, the answers printed, public addresses refused."""

from __future__ import annotations

import io
import ipaddress
import json
import socket
import threading
from decimal import Decimal
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest

import plenty_events
from plenty_events.cli import main
from plenty_events.cli import send as _send
from plenty_events.receiver import _answers
from plenty_events.testing import sample_payload, to_json

TOKEN = "s3cret-token"  # noqa: S105 -- a test token


class _Quiet(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


class Receiver:
    """A WSGI receiver in a thread on 127.0.0.1 that decodes leniently, and remembers each request."""

    def __init__(self):
        """Bind to a free port of 127.0.0.1; start the thread separately."""
        self.requests = []
        self.seen = set()
        self.large = False
        self.httpd = make_server("127.0.0.1", 0, self.app, handler_class=_Quiet)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/webhooks/{TOKEN}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def app(self, environ, start_response):
        body = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
        self.requests.append((environ["PATH_INFO"], environ["CONTENT_TYPE"], environ["HTTP_USER_AGENT"], body))
        if self.large:
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"x" * (_send.MAX_ANSWER + 10)]
        try:
            event = plenty_events.decode(body)
        except plenty_events.DecodeError as exc:
            status, answer = "422 Unprocessable Content", exc.to_dict()
        else:
            repairs = [repair.code for repair in event.repairs]
            if event.id in self.seen:
                status, answer = "200 OK", {"status": "already handled", "id": event.id}
            else:
                status, answer = "202 Accepted", {"status": "accepted", "id": event.id, "repairs": repairs}
            self.seen.add(event.id)
        start_response(status, [("Content-Type", "application/json")])
        return [json.dumps(answer).encode()]


@pytest.fixture
def receiver():
    server = Receiver()
    server.thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()
    server.thread.join(timeout=10)


def send(*argv):
    """Run plenty-events send; return the exit status, the output lines."""
    out = io.StringIO()
    status = main(["send", *argv], stdout=out)
    return status, out.getvalue().splitlines()


def bodies(receiver):
    return [body for _, _, _, body in receiver.requests]


# What is sent --------------------------------------------------------------------


def test_the_sample_is_sent_by_default_and_the_answer_printed(receiver):
    """Without a source, the documented sample is posted as JSON, and the answer shows; the secret path does not."""
    status, lines = send(receiver.url)
    assert status == 0
    assert lines == [
        f"sending 1 delivery to http://127.0.0.1:{receiver.httpd.server_port}",
        "1. sample evt_553ea8a294e2d3a75d5086a06fb53f5a: 202 Accepted, 83 bytes: "
        '{"status":"accepted","id":"evt_553ea8a294e2d3a75d5086a06fb53f5a","repairs":[]}',
    ]
    ((path, content_type, agent, body),) = receiver.requests
    assert (path, content_type, body) == (f"/webhooks/{TOKEN}", "application/json", to_json(sample_payload()))
    assert agent.startswith("plenty-events/")


def test_each_line_of_a_json_lines_file_is_sent(receiver, tmp_path):
    """A JSON Lines file is sent line by line, blank lines skipped, each body as it is in the file."""
    first, second = to_json(sample_payload()), b'{"id": 1}'
    path = tmp_path / "deliveries.jsonl"
    path.write_bytes(first + b"\n\n" + second + b"\n")
    status, lines = send(receiver.url, "--file", str(path))
    assert status == 0
    assert bodies(receiver) == [first, second]
    assert lines[1].startswith(f"1. {path}:1: 202 Accepted")
    assert lines[2].startswith(f"2. {path}:3: 422 Unprocessable Content")


def test_a_json_document_is_sent_whole(receiver, tmp_path):
    """A file whose first line is not a JSON value on its own is one payload, sent byte for byte."""
    document = json.dumps(json.loads(to_json(sample_payload()), parse_float=Decimal), indent=2, default=str)
    path = tmp_path / "delivery.json"
    path.write_text(document)
    assert send(receiver.url, "--file", str(path))[0] == 0
    assert bodies(receiver) == [document.encode()]


def test_an_empty_file_is_one_empty_body(receiver, tmp_path):
    """A file of blank lines is one payload, sent as it is, for a receiver to reject."""
    path = tmp_path / "empty.json"
    path.write_bytes(b"\n \n")
    status, lines = send(receiver.url, "--file", str(path))
    assert status == 0
    assert bodies(receiver) == [b"\n \n"]
    assert lines[1].startswith(f"1. {path}:1: 422 Unprocessable Content")


def test_valid_payloads_have_ids_of_their_own_and_repeat_with_their_seed(receiver):
    """--generate valid sends the sample with a fresh id each; the same seed sends the same bodies again."""
    status, lines = send(receiver.url, "--generate", "valid", "--count", "3", "--seed", "7")
    assert status == 0
    assert lines[0].endswith("(seed 7)")
    events = [plenty_events.decode(body, strict=True) for body in bodies(receiver)]
    assert len({event.id for event in events}) == 3
    assert all(line.split(": ", 1)[1].startswith("202 Accepted") for line in lines[1:])
    first = bodies(receiver)
    send(receiver.url, "--generate", "valid", "--count", "3", "--seed", "7")
    assert bodies(receiver)[3:] == first


def test_repairable_payloads_are_repaired_leniently_and_rejected_strictly(receiver):
    """--generate repairable sends bodies that lenient decoding repairs and strict decoding rejects."""
    status, lines = send(receiver.url, "--generate", "repairable", "--count", "40", "--seed", "1")
    assert status == 0
    for body, line in zip(bodies(receiver), lines[1:], strict=True):
        assert plenty_events.decode(body).repairs, line
        with pytest.raises(plenty_events.DecodeError):
            plenty_events.decode(body, strict=True)
        assert ": 202 Accepted" in line
        assert "repairable evt_" in line
    assert any("unexpectedKey" in line for line in lines)  # where no rewrite changed a value


def test_invalid_payloads_are_rejected_with_the_error_they_announce(receiver):
    """--generate invalid sends bodies each mode rejects, and the answer names the code at the path announced."""
    status, lines = send(receiver.url, "--generate", "invalid", "--count", "30", "--seed", "2")
    assert status == 0
    for body, line in zip(bodies(receiver), lines[1:], strict=True):
        code, path = line.split("expect ", 1)[1].split(":", 1)[0].split(" at ")
        for strict in (True, False):
            with pytest.raises(plenty_events.DecodeError) as caught:
                plenty_events.decode(body, strict=strict)
            assert [(error.path, error.code) for error in caught.value.errors] == [(path, code)]
        assert f'"path":"{path}","code":"{code}"' in line


def test_duplicates_share_one_id(receiver):
    """--generate duplicates sends one body --count times; the receiver sees the id again."""
    status, lines = send(receiver.url, "--generate", "duplicates", "--count", "3")
    assert status == 0
    assert len(set(bodies(receiver))) == 1
    assert len(bodies(receiver)) == 3
    assert ": 202 Accepted" in lines[1]
    assert ": 200 OK" in lines[3]
    assert "duplicate 3/3 evt_" in lines[3]


# Where it is sent ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "refused"),
    [
        ("127.0.0.1", None),
        ("127.8.9.10", None),
        ("::1", None),
        ("10.1.2.3", None),
        ("172.16.0.1", None),
        ("192.168.178.20", None),
        ("fd12:3456::1", None),
        ("::ffff:192.168.0.1", None),
        ("8.8.8.8", "a public address"),
        ("2001:4860:4860::8888", "a public address"),
        ("::ffff:8.8.8.8", "a public address"),
        ("100.64.0.1", "a public address"),  # shared address space: not private
        ("169.254.169.254", "a cloud metadata address"),
        ("169.254.170.2", "a cloud metadata address"),
        ("fd00:ec2::254", "a cloud metadata address"),  # AWS, inside the private fc00::/7
        ("fd20:ce::254", "a cloud metadata address"),  # Google Cloud
        ("100.100.100.200", "a cloud metadata address"),  # Alibaba Cloud, in the shared space
        ("192.0.0.192", "a cloud metadata address"),  # Oracle Cloud
        ("168.63.129.16", "a cloud metadata address"),  # Azure
        ("::ffff:169.254.169.254", "a cloud metadata address"),
        ("64:ff9b::a9fe:a9fe", "a cloud metadata address"),  # NAT64 of 169.254.169.254
        ("64:ff9b::808:808", "a public address"),
        ("169.254.1.2", "a link-local address"),
        ("0.1.2.3", "a reserved address"),
        ("240.0.0.1", "a reserved address"),
        ("255.255.255.255", "a reserved address"),
        # Ranges that Python releases before the is_private fix called private.
        ("2001:3::1", "a public address"),
        ("2001:20::1", "a public address"),
        ("2001:30::1", "a public address"),
        ("192.0.2.1", "a public address"),
        ("fe80::1%eth0", "a link-local address"),
        ("224.0.0.1", "a multicast address"),
        ("ff02::1", "a multicast address"),
        ("0.0.0.0", "the unspecified address"),  # noqa: S104 -- an address checked, not bound
        ("::", "the unspecified address"),
    ],
)
def test_only_loopback_and_private_addresses_are_allowed(address, refused):
    """The address check allows loopback and private addresses, and says why it refuses any other."""
    assert _send.refusal(address) == refused


@pytest.mark.parametrize(
    ("address", "refused"),
    [
        ("8.8.8.8", None),
        ("2001:4860:4860::8888", None),
        ("fd00:ec2::254", "a cloud metadata address"),
        ("169.254.169.254", "a cloud metadata address"),
        ("fe80::1", "a link-local address"),
        ("ff02::1", "a multicast address"),
        ("::", "the unspecified address"),
    ],
)
def test_allow_public_allows_public_addresses_only(address, refused):
    """--allow-public lets public addresses through, never a metadata, link-local, multicast or unspecified one."""
    assert _send.refusal(address, allow_public=True) == refused


@pytest.mark.parametrize("address", ["2001:4860:4860::8888", "8.8.8.8", "2001:30::1"])
def test_the_address_table_does_not_ask_the_interpreter(monkeypatch, address):
    """Public stays public when the running Python's ipaddress calls every address private."""
    monkeypatch.setattr(ipaddress.IPv4Address, "is_private", property(lambda _: True))
    monkeypatch.setattr(ipaddress.IPv6Address, "is_private", property(lambda _: True))
    assert _send.refusal(address) == "a public address"


@pytest.mark.usefixtures("no_traffic")
@pytest.mark.parametrize("allow", [[], ["--allow-public"]])
def test_a_metadata_address_is_refused_even_with_allow_public(monkeypatch, capsys, allow):
    """A host resolving to the AWS IPv6 metadata address is refused, also with --allow-public; nothing is sent."""

    def getaddrinfo(_host, port, **_options):
        return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("fd00:ec2::254", port, 0, 0))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    assert send("http://receiver.example/", *allow)[0] == 2
    assert capsys.readouterr().err == (
        "plenty-events: error: refusing to send to 'receiver.example': fd00:ec2::254 is a cloud metadata address; "
        "such an address is never sent to, not even with --allow-public\n"
    )


@pytest.fixture
def no_traffic(monkeypatch):
    """Fail the test if anything tries to connect."""

    def connect(addresses, _timeout):
        raise AssertionError(f"tried to connect to {addresses}")

    monkeypatch.setattr(_send, "connect", connect)


@pytest.mark.usefixtures("no_traffic")
def test_a_public_address_is_refused_before_anything_is_sent(capsys):
    """A public address is refused with exit 2 and a message naming --allow-public; no connection is tried."""
    out = io.StringIO()
    assert main(["send", "http://8.8.8.8/webhooks/x"], stdout=out) == 2
    assert out.getvalue() == ""
    assert capsys.readouterr().err == (
        "plenty-events: error: refusing to send to '8.8.8.8': 8.8.8.8 is a public address; "
        "only loopback and private addresses are sent to without --allow-public\n"
    )


@pytest.mark.usefixtures("no_traffic")
def test_every_address_of_a_host_is_checked(monkeypatch, capsys):
    """A host with a private and a public address is refused: the connection could go to either."""

    def getaddrinfo(_host, port, **_options):
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("8.8.4.4", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    assert send("http://receiver.example/")[0] == 2
    assert "8.8.4.4 is a public address" in capsys.readouterr().err


def test_allow_public_skips_the_check(monkeypatch):
    """With --allow-public a public address is not refused (the connection is stubbed: nothing goes out)."""
    tried = []

    def connect(addresses, _timeout):
        tried.append(addresses)
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(_send, "connect", connect)
    status, lines = send("https://8.8.8.8/", "--allow-public")
    assert status == 1
    assert tried == [((socket.AF_INET, ("8.8.8.8", 443)),)]
    assert lines == [
        "sending 1 delivery to https://8.8.8.8:443",
        f"1. sample {sample_payload()['id']}: no answer: Connection refused",
    ]


@pytest.mark.usefixtures("no_traffic")
def test_localhost_resolves_to_loopback_addresses():
    """A host name is resolved, and localhost's addresses pass the check."""
    where = _send.target("http://localhost:8000/hook?x=1", allow_public=False)
    assert where.addresses
    assert (where.host, where.port, where.path) == ("localhost", 8000, "/hook?x=1")
    assert _send.target("https://[::1]", allow_public=False).origin() == "https://[::1]:443"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://127.0.0.1/", "must start with http:// or https://"),
        ("http:///path", "must start with http:// or https://"),
        ("127.0.0.1:8000", "must start with http:// or https://"),
        ("http://127.0.0.1:99999/", "port is not a port number"),
        ("http://" + "a" * 64 + ".test/", "cannot resolve"),
    ],
)
@pytest.mark.usefixtures("no_traffic")
def test_a_url_that_cannot_be_sent_to_is_a_usage_error(url, message, capsys):
    """A URL without http(s) and a host, a bad port or a host that does not resolve exits 2 with the reason."""
    assert send(url)[0] == 2
    assert message in capsys.readouterr().err


@pytest.mark.usefixtures("no_traffic")
def test_a_host_that_does_not_resolve_is_a_usage_error(monkeypatch, capsys):
    """A resolver failure exits 2 and says which host."""

    def getaddrinfo(*_arguments, **_options):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    assert send("http://receiver.example/")[0] == 2
    assert capsys.readouterr().err == (
        "plenty-events: error: cannot resolve 'receiver.example': Name or service not known\n"
    )


# Options -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--count", "2"], "--count and --seed go with --generate"),
        (["--seed", "2"], "--count and --seed go with --generate"),
        (["--generate", "valid", "--count", "0"], "from 1 to 10000"),
        (["--generate", "valid", "--count", "many"], "from 1 to 10000"),
        (["--timeout", "0"], "seconds above 0"),
        (["--timeout", "soon"], "seconds above 0"),
        (["--generate", "everything"], "invalid choice"),
        (["--file", "x", "--generate", "valid"], "not allowed with argument"),
        (["--file", "/nonexistent/deliveries.jsonl"], "cannot read /nonexistent/deliveries.jsonl"),
    ],
)
def test_bad_options_are_usage_errors(argv, message, capsys):
    """Options that do not fit exit 2 with a message, before anything is sent."""
    assert send("http://127.0.0.1:9/", *argv)[0] == 2
    assert message in capsys.readouterr().err


def test_help_explains_the_address_check(capsys):
    """The help of send says which addresses are allowed, which refused, and what --allow-public does."""
    assert main(["send", "--help"]) == 0
    text = capsys.readouterr().out
    assert "loopback" in text
    assert "link-local" in text
    assert "--allow-public" in text


# Answers and failures ------------------------------------------------------------


def test_a_refused_connection_is_reported_and_exits_1():
    """A port where nothing listens gets 'no answer' and exit 1; the other deliveries are still tried."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    status, lines = send(f"http://127.0.0.1:{port}/", "--generate", "valid", "--count", "2")
    assert status == 1
    assert [line.split(": ", 1)[1] for line in lines[1:]] == ["no answer: Connection refused"] * 2


def test_a_silent_receiver_times_out():
    """A receiver that accepts but never answers gets 'no answer within' the timeout."""
    with socket.create_server(("127.0.0.1", 0)) as silent:
        status, lines = send(f"http://127.0.0.1:{silent.getsockname()[1]}/", "--timeout", "0.2")
    assert status == 1
    assert lines[1].endswith(": no answer within 0.2 s")


def _serve_once(answer):
    """Answer one connection on 127.0.0.1 with the bytes ``answer``; return the port and the thread."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(10)

    def run():
        with server:
            connection, _ = server.accept()
            with connection:
                connection.settimeout(10)
                connection.recv(65536)
                connection.sendall(answer)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return server.getsockname()[1], thread


def test_an_answer_that_is_not_http_is_reported():
    """Bytes that are not an HTTP answer get 'no answer' with the kind of failure."""
    port, thread = _serve_once(b"hello\r\n\r\n")
    status, lines = send(f"http://127.0.0.1:{port}/")
    thread.join(timeout=10)
    assert status == 1
    assert lines[1].endswith(": no answer: BadStatusLine")


def test_https_speaks_tls(receiver):
    """An https URL starts TLS on the checked address: a plain HTTP server fails the handshake."""
    status, lines = send(receiver.url.replace("http://", "https://"))
    assert status == 1
    assert "no answer: " in lines[1]
    assert receiver.requests == []


def test_a_large_answer_is_read_only_in_part(receiver):
    """At most MAX_ANSWER bytes of an answer are read, and the summary says it was cut."""
    receiver.large = True
    status, lines = send(receiver.url)
    assert status == 0
    assert lines[1].endswith(f": 200 OK, {_send.MAX_ANSWER}+ bytes of text/plain")


def _answer(body, *, reason="OK", content_type="application/json", truncated=False):
    return _send.Answer(200, reason, content_type, body, truncated)


def test_an_answers_strings_are_masked_but_codes_and_paths():
    """In the summary an answer's ids, statuses, codes, paths and error messages show; other strings keep a hint."""
    body = {
        "errors": [{"path": "$.resource.contact.email", "code": "string_type", "message": "expected a string"}],
        "echo": {"firstName": "John", "amount": 49.5, "ok": True, "nothing": None},
        "id": "evt_1",
    }
    assert _send.summary(_answer(json.dumps(body).encode())) == (
        '200 OK, 196 bytes: {"errors":[{"path":"$.resource.contact.email","code":"string_type",'
        '"message":"expected a string"}],'
        '"echo":{"firstName":"J***","amount":49.5,"ok":true,"nothing":null},"id":"evt_1"}'
    )


def test_the_receivers_own_error_sentences_show_in_full():
    """The error sentences of plenty_events.receiver's answers show in full; another error text keeps its hint."""
    own = [
        _answers.not_found(),
        _answers.method_not_allowed(),
        _answers.length_required(),
        _answers.too_large(1_048_576),
        _answers.bad_length(),
        _answers.incomplete(),
        _answers.busy("evt_1", 3),
        _answers.failed("evt_1"),
        _answers.unavailable(),
    ]
    for response in own:
        body = json.loads(response.body)
        assert _send.summary(_answer(response.body)).endswith(json.dumps(body, separators=(",", ":")))
    assert _send.summary(_answer(b'{"error":"John Doe is not found"}')).endswith(': {"error":"J***"}')
    # Only a detail of exactly path, code and message is the library's.
    echo = {"path": "$", "code": "x", "message": "John", "name": "John"}
    assert _send.summary(_answer(json.dumps([echo]).encode())).endswith(
        '[{"path":"$","code":"x","message":"J***","name":"J***"}]'
    )


def test_a_summary_is_bounded():
    """A deep or wide answer is cut in depth, members and length; control characters never reach the terminal."""
    deep = json.dumps({"a": [[[[[[[["deep"]]]]]]]]})
    assert _send.summary(_answer(deep.encode())).endswith(': {"a":[[[[[["\\u2026"]]]]]]}')
    wide = _send.summary(_answer(json.dumps(list(range(100))).encode()))
    assert wide.endswith("[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19]")
    long = _send.summary(_answer(json.dumps([{"id": "x" * 80}] * 20).encode()))
    assert len(long) < 250
    assert _send.summary(_answer(b"[]", reason="O\x1b[2JK")) == "200 O?[2JK, 2 bytes: []"


@pytest.mark.parametrize(
    ("answer", "shown"),
    [
        (_answer(b""), "200 OK, no body"),
        (_answer(b"Ticket created", content_type="text/plain"), "200 OK, 14 bytes of text/plain"),
        (_answer(b"{", content_type=None), "200 OK, 1 bytes of no declared type"),
        (_answer(b"[" * 100_000 + b"]" * 100_000), "200 OK, 200000 bytes of application/json"),
        (_answer(b"[1]", truncated=True), "200 OK, 3+ bytes of application/json"),
        (_answer(b"{}", reason=""), "200, 2 bytes: {}"),
    ],
)
def test_a_body_that_is_not_json_shows_its_size_and_type(answer, shown):
    """An empty, non-JSON, too deep or cut body shows by its size and declared type only."""
    assert _send.summary(answer) == shown


def test_connect_tries_each_address_in_turn():
    """The connection goes to the first checked address that accepts; with none, the last error is raised."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        closed = ("127.0.0.1", probe.getsockname()[1])
    with socket.create_server(("127.0.0.1", 0)) as server:
        sock = _send.connect([(socket.AF_INET, closed), (socket.AF_INET, server.getsockname())], 5)
        with sock:
            assert sock.getpeername() == server.getsockname()
    with pytest.raises(ConnectionRefusedError):
        _send.connect([(socket.AF_INET, closed)], 5)


def test_a_failure_without_a_reason_is_named_by_its_type():
    """An OSError without strerror is reported by its type name."""
    assert _send._failure(OSError(), 1) == "no answer: OSError"
