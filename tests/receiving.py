"""What the receiver's tests share: the token and its URL, the sample body, a recording handler, a request stream."""

from __future__ import annotations

import io
from typing import Any

from plenty_events.testing import sample_payload, to_json

TOKEN = "s3cret-Token_0123456789abcdef"  # noqa: S105 -- a test token
PATH = f"/webhooks/{TOKEN}"
BODY = to_json(sample_payload())

#: The sample with ``town`` made null, and the 422 body every integration answers it with.
BROKEN_BODY = BODY.replace(b'"town":"Kassel"', b'"town":null')
BROKEN_ANSWER = {
    "errors": [{"path": "$.resource.address.town", "code": "string_type", "message": "expected a string, got null"}]
}


class Handler:
    """Records events; raises for the id it is told to fail."""

    def __init__(self) -> None:
        """Record nothing yet."""
        self.events: list[Any] = []
        self.fail_id = ""

    def __call__(self, event: Any) -> None:
        if event.id == self.fail_id:
            raise RuntimeError(event.id)
        self.events.append(event)


class Stream(io.BytesIO):
    """A request body stream that can time out like a socket, and counts what was read."""

    def __init__(self, data: bytes, *, stall: bool = False) -> None:
        """Hold ``data``; with ``stall``, time out after it instead of ending."""
        super().__init__(data)
        self.stall = stall
        self.taken = 0

    def read(self, size: int | None = -1) -> bytes:
        """Read like BytesIO, or raise TimeoutError where a stalled client's data ends."""
        chunk = super().read(size)
        self.taken += len(chunk)
        if not chunk and self.stall:
            raise TimeoutError
        return chunk

    def readinto(self, buffer: Any) -> int:
        """Read into ``buffer`` through :meth:`read`, so that a stall and the count hold here too."""
        chunk = self.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)
