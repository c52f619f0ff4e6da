"""The frame of the command line: commands as values, one parser, exit statuses."""

import io

import pytest

from plenty_events.cli import COMMANDS, _app, main


def _run(commands, *argv):
    out, err = io.StringIO(), io.StringIO()
    status = _app.run(commands, list(argv), stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def test_the_command_line_lists_each_command_once_in_order():
    """COMMANDS names validate, schema, inbox, send and plentymarkets, each once, as --help lists them."""
    assert [command.name for command in COMMANDS] == ["validate", "schema", "inbox", "send", "plentymarkets"]
    out = io.StringIO()
    assert main(["--help"], stdout=out) == 0
    listed = [line.split()[0] for line in out.getvalue().splitlines() if line.startswith("    ") and line[4] != " "]
    assert listed[:5] == ["validate", "schema", "inbox", "send", "plentymarkets"]


def test_a_command_is_a_value_with_its_arguments_and_run_function():
    """A Command added to the list runs with its parsed arguments; nothing registers on import."""

    def arguments(parser):
        parser.add_argument("--shout", action="store_true")

    def hello(args, streams):
        streams.stdout.write("HELLO\n" if args.shout else "hello\n")
        return 0

    hello_command = _app.Command("hello", "say hello", "Say hello.", arguments, hello)
    assert _run((*COMMANDS, hello_command), "hello", "--shout")[:2] == (0, "HELLO\n")
    assert "hello" in _run((*COMMANDS, hello_command), "--help")[1]
    assert _run(COMMANDS, "hello")[0] == _app.EXIT_USAGE


def test_a_command_may_raise_a_usage_error():
    """A UsageError from a command's run is exit 2 with its message on standard error."""

    def refuse(_args, _streams):
        raise _app.UsageError("no such inbox")

    refuse_command = _app.Command("refuse", "", "", lambda _parser: None, refuse)
    assert _run((refuse_command,), "refuse") == (2, "", "plenty-events: error: no such inbox\n")


@pytest.mark.parametrize("command", COMMANDS, ids=lambda command: command.name)
def test_every_command_has_help_that_says_what_it_does(command):
    """Each command's --help exits 0 and shows its description's first words."""
    status, out, _ = _run(COMMANDS, command.name, "--help")
    assert status == 0
    assert " ".join(command.description.split()[:3]) in " ".join(out.split())
