"""The tests of plenty_events.cli: one module per command."""
