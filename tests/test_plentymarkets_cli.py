"""`plenty-events plentymarkets`: dry-run, check, work and erase."""

import io
import os
import re
import shlex
import signal
from pathlib import Path

import pytest

from plenty_events import _cli
from plenty_events._cli import main
from plenty_events.plentymarkets import Client, FakePlenty, TicketHandler, _client
from plenty_events.receiver import Receiver, SQLiteInbox
from plenty_events.testing import sample_event, sample_payload, to_json
from receiving import TOKEN


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    status = main(["plentymarkets", *argv], stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture
def payload_file(tmp_path):
    def write(payload, name="purchase.json"):
        path = tmp_path / name
        path.write_bytes(payload if isinstance(payload, bytes) else to_json(payload))
        return str(path)

    return write


def test_dry_run_prints_every_request_in_order_without_personal_values(payload_file, monkeypatch):
    """Each request shows method, path and body; names, e-mail, street, town, phone only as masked hints."""
    monkeypatch.delenv("PLENTY_URL", raising=False)
    status, out, _ = run("dry-run", payload_file(sample_payload()))
    assert status == 0
    lines = [line for line in out.splitlines() if not line.startswith("  ")]
    assert lines == [
        "GET /rest/accounts/contacts?email=j***",
        "POST /rest/accounts/contacts",
        "POST /rest/accounts/contacts/0/addresses?typeId=1",
        "POST /rest/accounts/contacts/0/accounts",
        "GET /rest/tickets?contactId=0&title=Service: SuperService [evt_553ea8a294e2d3a75d5086a06fb53f5a]",
        "POST /rest/tickets",
        "GET /rest/tickets/0/messages",
        "POST /rest/tickets/0",
    ]
    for personal in ("john", "Doe", "Main Street", "Kassel", "123-456", "34117", "MyStore"):
        assert personal not in out
    assert '"countryId": 1' in out
    assert '"text": "<272 characters>"' in out


def test_dry_run_uses_the_environments_settings(payload_file, monkeypatch):
    """With PLENTY_URL set, the PLENTY_* settings go into the requests."""
    for name, value in {
        "PLENTY_URL": "https://shop.example",
        "PLENTY_USERNAME": "u",
        "PLENTY_PASSWORD": "p4ss",
        "PLENTY_ID": "1234",
        "PLENTY_TICKET_TYPE_ID": "5",
        "PLENTY_TICKET_STATUS_ID": "6",
        "PLENTY_TICKET_ROLE_ID": "7",
        "PLENTY_OWNER_USER_IDS": "8",
    }.items():
        monkeypatch.setenv(name, value)
    status, out, _ = run("dry-run", payload_file(sample_payload()))
    assert status == 0
    assert '"plentyId": 1234' in out
    assert '"owners": [{"userId": 8, "roleId": 7}]' in out
    assert "p4ss" not in out


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"{", "'purchase.json': not a valid payload (1 errors)"),
        ({**sample_payload(), "type": "SERVICE.OTHER"}, "'purchase.json': not a service purchase"),
        (
            sample_payload({"$.resource.contact.email": "", "$.resource.address.email": ""}),
            "the event has no e-mail",
        ),
    ],
)
def test_dry_run_refuses_what_gives_no_requests(payload_file, payload, message, monkeypatch):
    """Invalid JSON, another event type or no e-mail exit 2 with a message that holds no personal value."""
    monkeypatch.delenv("PLENTY_URL", raising=False)
    status, out, err = run("dry-run", payload_file(payload))
    assert (status, out) == (2, "")
    assert message in err


def test_dry_run_names_an_unreadable_file_and_a_bad_variable(payload_file, tmp_path, monkeypatch):
    """A missing file, or PLENTY_URL without the other settings, exit 2 naming the file or the variable."""
    status, _, err = run("dry-run", str(tmp_path / "missing.json"))
    assert status == 2
    assert "'missing.json': cannot read it (FileNotFoundError)" in err
    monkeypatch.setenv("PLENTY_URL", "https://shop.example")
    monkeypatch.delenv("PLENTY_USERNAME", raising=False)
    status, _, err = run("dry-run", payload_file(sample_payload()))
    assert status == 2
    assert "PLENTY_USERNAME is not set" in err


@pytest.fixture
def plenty_env(monkeypatch):
    """The PLENTY_* variables of the fake system, and the CLI's client calling the fake."""
    fake = FakePlenty()
    for name, value in {
        "PLENTY_URL": fake.url,
        "PLENTY_USERNAME": fake.username,
        "PLENTY_PASSWORD": fake.password,
        "PLENTY_ID": "1000",
        "PLENTY_TICKET_TYPE_ID": "1",
        "PLENTY_TICKET_STATUS_ID": "1",
        "PLENTY_TICKET_ROLE_ID": "1",
        "PLENTY_OWNER_USER_IDS": "7",
    }.items():
        monkeypatch.setenv(name, value)
    real = _client.Client
    monkeypatch.setattr(_client, "Client", lambda config: real(config, transport=fake))
    return fake


def test_check_says_ok_for_a_good_config(plenty_env):
    """With a working login and existing type and status, check prints ok and exits 0."""
    status, out, _ = run("check")
    assert status == 0
    assert out.startswith("ok: logged in to https://plenty.fake; ticket type 1, status 1 and owner users [7] exist")
    assert plenty_env.calls == ["login", "current_user", "ticket_types", "ticket_statuses", "find_user"]


def test_check_names_each_missing_owner_user_and_one_it_cannot_check(plenty_env, monkeypatch):
    """An owner user the system does not have (404) is named; another failure says it could not be checked."""
    monkeypatch.setenv("PLENTY_OWNER_USER_IDS", "7,8,9")
    plenty_env.users.add(9)
    plenty_env.fail("find_user", 403)
    plenty_env.calls.clear()
    status, out, _ = run("check")
    assert status == 1
    assert [line for line in out.splitlines() if line.startswith("problem")] == [
        "problem: cannot check owner user 7: find_user: plentymarkets answered 403",
        "problem: owner user 8 does not exist",
    ]
    plenty_env.fail("find_user", 503)
    assert "problem: cannot check owner user 7: find_user: plentymarkets answered 503" in run("check")[1]


@pytest.mark.usefixtures("plenty_env")
def test_check_states_the_ticket_systems_end_of_maintenance(monkeypatch):
    """Fault 6: whatever the outcome, check says that the ticket system is in end of maintenance since 2023-10-13."""
    for ticket_type in ("1", "4"):
        monkeypatch.setenv("PLENTY_TICKET_TYPE_ID", ticket_type)
        out = run("check")[1]
        assert out.splitlines()[-1].startswith(
            "note: plentymarkets' ticket system is in end of maintenance since 2023-10-13"
        )


def test_check_prints_each_problem_without_secrets(plenty_env, monkeypatch):
    """A missing type and status are each printed, exit 1; the password shows nowhere."""
    monkeypatch.setenv("PLENTY_TICKET_TYPE_ID", "4")
    monkeypatch.setenv("PLENTY_TICKET_STATUS_ID", "5")
    status, out, err = run("check")
    assert status == 1
    assert out.splitlines()[:-1] == [
        "problem: ticket type 4 does not exist; the system has [1]",
        "problem: ticket status 5 does not exist; the system has [1]",
    ]
    assert plenty_env.password not in out + err


def test_check_reports_a_failed_login_and_failed_lists(plenty_env, monkeypatch):
    """Wrong credentials give one problem; a list that cannot be read is named with its reason."""
    plenty_env.fail("ticket_types", 500)
    status, out, _ = run("check")
    assert (status, out.splitlines()[0]) == (
        1,
        "problem: cannot list the ticket types: ticket_types: plentymarkets answered 500",
    )
    monkeypatch.setenv("PLENTY_PASSWORD", "wrong-pa55")
    status, out, err = run("check")
    assert (status, out.splitlines()[0]) == (1, "problem: cannot log in: login: plentymarkets answered 401")
    assert "wrong-pa55" not in out + err


def test_check_names_a_missing_variable(monkeypatch):
    """Without the PLENTY_* variables check exits 2 naming the first missing one."""
    monkeypatch.delenv("PLENTY_URL", raising=False)
    status, _, err = run("check")
    assert status == 2
    assert "PLENTY_URL is not set" in err


def test_config_check_closes_the_client_it_made(plenty_env, monkeypatch):
    """PlentyConfig.check() without a client makes one and closes it after."""
    made = []

    def making(config):
        client = Client(config, transport=plenty_env)
        made.append(client)
        return client

    monkeypatch.setattr(_client, "Client", making)
    assert plenty_env.config().check() == []
    assert made[0]._http.is_closed


def stop_after_handling(fake):
    """Make the fake ask the running process to stop once a ticket's note is added, as systemd would."""
    answer = fake._answer

    def answering(operation, *args):
        response = answer(operation, *args)
        if operation == "add_note":
            os.kill(os.getpid(), signal.SIGTERM)
        return response

    fake._answer = answering


def test_work_puts_the_inbox_events_into_plentymarkets_journalling_in_the_inbox(plenty_env, tmp_path):
    """`plentymarkets work DB` runs TicketHandler under the worker, its steps in DB, until SIGTERM."""
    db = tmp_path / "inbox.sqlite3"
    inbox = SQLiteInbox(db)
    receiver = Receiver(tokens=TOKEN, handler=print, inbox=inbox, background=True)
    assert receiver.receive(TOKEN, to_json(sample_payload())).status == 202
    stop_after_handling(plenty_env)
    status, out, err = run("work", str(db))
    assert status == 0, err
    assert re.fullmatch(r"#1 'evt_\w+' handled\nstopped\n", out)
    assert (len(plenty_env.contacts), len(plenty_env.tickets), len(plenty_env.notes)) == (1, 1, 1)
    assert list(inbox.steps(sample_event().id)) == ["contact", "address", "company", "ticket", "note"]
    inbox.close()


@pytest.mark.usefixtures("plenty_env")
def test_work_refuses_a_missing_inbox_a_bad_option_and_a_missing_variable(tmp_path, monkeypatch):
    """A missing DB, a bad --max-attempts or a missing PLENTY_* variable exit 2 with a message."""
    db = tmp_path / "inbox.sqlite3"
    assert run("work", str(db))[::2] == (2, f"plenty-events: error: no inbox at {db}\n")
    SQLiteInbox(db).close()
    status, _, err = run("work", str(db), "--max-attempts", "0")
    assert status == 2
    assert "--max-attempts takes 1 or more" in err
    (tmp_path / "newer.sqlite3").write_bytes(b"not a database, but long enough to be read as one" * 100)
    status, _, err = run("work", str(tmp_path / "newer.sqlite3"))
    assert status == 2
    assert "cannot use" in err
    monkeypatch.delenv("PLENTY_ID")
    status, _, err = run("work", str(db))
    assert status == 2
    assert "PLENTY_ID is not set" in err


@pytest.fixture
def handled_inbox(plenty_env, tmp_path):
    """An SQLite inbox holding one handled purchase of john@account.com, journalled in it."""
    db = tmp_path / "inbox.sqlite3"
    inbox = SQLiteInbox(db)
    claim = inbox.claim(inbox.record(to_json(sample_payload())), sample_event().id)
    config = plenty_env.config()
    TicketHandler(config, client=Client(config, transport=plenty_env), journal=inbox)(sample_event())
    inbox.finish(claim, None)
    inbox.close()
    return db


def test_erase_anonymises_the_contact_and_deletes_the_rows(plenty_env, handled_inbox, monkeypatch):
    """`plentymarkets erase - --inbox DB` reads the e-mail from stdin, anonymises, deletes, and names the tickets."""
    monkeypatch.setattr("sys.stdin", io.StringIO("John@Account.com\n"))
    status, out, err = run("erase", "-", "--inbox", str(handled_inbox))
    assert status == 0
    (contact_id,) = [key for key, contact in plenty_env.contacts.items() if contact.get("anonymized")]
    (ticket_id,) = plenty_env.tickets
    assert out == (
        "erased 1 deliveries and their journal rows\n"
        f"anonymised contacts: [{contact_id}]\n"
        f"delete these tickets in plentymarkets, their notes name the person: [{ticket_id}]\n"
    )
    assert "john" not in (out + err).lower()
    with SQLiteInbox(handled_inbox) as inbox:
        assert inbox.deliveries() == []


def test_erase_inbox_only_calls_nothing_and_names_the_contacts(plenty_env, handled_inbox, monkeypatch):
    """With --inbox-only nothing is sent and no PLENTY_* variable is needed: the contacts are printed to anonymise."""
    monkeypatch.delenv("PLENTY_URL")
    calls = len(plenty_env.calls)
    status, out, _ = run("erase", "john@account.com", "--inbox", str(handled_inbox), "--inbox-only")
    assert status == 0
    assert "anonymise these contacts in plentymarkets: [" in out
    assert len(plenty_env.calls) == calls
    status, out, _ = run("erase", "john@account.com", "--inbox", str(handled_inbox), "--inbox-only")
    assert (status, out) == (
        0,
        "erased 0 deliveries and their journal rows\nanonymise these contacts in plentymarkets: []\n",
    )


def test_erase_that_fails_deletes_nothing_and_exits_1(plenty_env, handled_inbox):
    """A failed anonymisation exits 1, says nothing was deleted, and leaves the rows for the next run."""
    plenty_env.fail("anonymize_contact", 503)
    status, out, _ = run("erase", "john@account.com", "--inbox", str(handled_inbox))
    assert (status, out) == (
        1,
        "not erased: anonymize_contact: plentymarkets answered 503; nothing was deleted, run it again\n",
    )
    with SQLiteInbox(handled_inbox) as inbox:
        assert len(inbox.deliveries()) == 1
    status, out, _ = run("erase", "john@account.com", "--inbox", str(handled_inbox))
    assert status == 0


def test_erase_refuses_no_email_and_a_missing_inbox(plenty_env, tmp_path, monkeypatch):
    """An empty e-mail on stdin, or an inbox that does not exist, exit 2 before anything is sent."""
    monkeypatch.setattr("sys.stdin", io.StringIO("\n"))
    assert run("erase", "-", "--inbox", str(tmp_path / "x"))[::2] == (2, "plenty-events: error: no e-mail given\n")
    status, _, err = run("erase", "a@b.example", "--inbox", str(tmp_path / "x"))
    assert status == 2
    assert "no inbox at" in err
    assert plenty_env.calls == []


def test_the_setup_commands_on_the_page_parse():
    """Every plenty-events command line of the setup page (console, systemd, compose) is one the CLI accepts."""
    page = (Path(__file__).parent.parent / "docs" / "service-helper.md").read_text(encoding="utf-8")
    found = re.findall(r"(?:^|/bin/|command: |\| )(plenty-events [^\n`]+)", page, flags=re.MULTILINE)
    commands = [shlex.split(line) for line in found]
    assert len(commands) >= 7
    assert ["plenty-events", "plentymarkets", "work", "/var/lib/plenty-events/inbox.sqlite3"] in commands
    assert ["plenty-events", "plentymarkets", "work", "/data/inbox.sqlite3"] in commands
    for argv in commands:
        parsed = _cli._parser().parse_args(argv[1:])
        assert callable(parsed.run)
