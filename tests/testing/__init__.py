"""The tests of plenty_events.testing: samples, strategies, the WSGI client and the pytest plugin."""
