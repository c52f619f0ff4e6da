"""The tests of plenty_events.plentymarkets: requests, client, handler and the fake system."""
