"""The tests of plenty_events.receiver: the receiver, its inboxes, worker and integrations."""
