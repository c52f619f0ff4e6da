"""The idle connections a database inbox keeps open between calls, each in the process that opened it."""

from __future__ import annotations

import abc
import os
import threading
import weakref
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Generic, Protocol, Self, TypeVar

if TYPE_CHECKING:
    from collections.abc import Generator
    from types import TracebackType

#: How many idle connections an inbox keeps for reuse; more are closed when given back.
MAX_IDLE = 8


class _Connection(Protocol):
    def close(self) -> None: ...


_C = TypeVar("_C", bound=_Connection)


class IdlePool(abc.ABC, Generic[_C]):
    """The connections one inbox opened in this process.

    A call takes an idle connection, or opens one, and gives it back when it
    is done, so any thread may use any connection, one at a time. The idle
    ones stay open between calls: opening one costs a database a sync
    (SQLite's checkpoint when the last connection closes) or a session
    (PostgreSQL's login).

    Only the process that opened a connection uses or closes it: a
    connection must not be carried across `fork()`. Before a fork every
    idle connection is closed (`_close_before_fork`), so a child inherits
    no open file, socket or lock state; a pool seen in a process other than
    its own is left alone, and the inbox makes a new one.
    """

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.lock = threading.Lock()
        self.idle: list[_C] = []
        #: Set by close(), until the next call takes a connection: one that
        #: a call still running gives back then is closed, not kept idle in
        #: a pool nobody may close again.
        self.closed = False
        _POOLS.add(self)

    @abc.abstractmethod
    def open(self) -> _C:
        """Open a new connection to the inbox's database."""
        ...

    def take(self) -> _C:
        """An idle connection, or a new one."""
        with self.lock:
            self.closed = False
            if self.idle:
                return self.idle.pop()
        return self.open()

    def give(self, db: _C) -> None:
        """Keep `db` idle for the next call, or close it when the pool is full or closed."""
        with self.lock:
            if not self.closed and len(self.idle) < MAX_IDLE:
                self.idle.append(db)
                return
        db.close()

    @contextmanager
    def lend(self) -> Generator[_C, None, None]:
        """A connection for one call, given back when the call succeeds."""
        db = self.take()
        try:
            yield db
        except BaseException:
            # Not reused: it may hold an open transaction, be broken, or its server be gone.
            db.close()
            raise
        self.give(db)

    def close(self) -> None:
        """Close the idle connections; one in use now is closed when its call ends."""
        if self.pid != os.getpid():
            return  # a parent's pool, seen from a forked child: its connections are the parent's
        with self.lock:
            self.closed = True
            idle, self.idle = self.idle, []
        for db in idle:
            db.close()


#: Every pool of this process, for the fork hook; and the parents' pools a
#: forked child left alone, kept so that the collector never finalises
#: (and closes) the parent's connections in the child.
_POOLS: weakref.WeakSet[IdlePool[Any]] = weakref.WeakSet()
_INHERITED: list[IdlePool[Any]] = []


def _close_before_fork() -> None:
    # Idle connections only: one in use belongs to a call running in another
    # thread, and forking while a call runs is not supported.
    for pool in list(_POOLS):
        pool.close()


os.register_at_fork(before=_close_before_fork)

_P = TypeVar("_P", bound=IdlePool[Any])


class PooledInbox(abc.ABC, Generic[_P]):
    """An inbox over an `IdlePool` of the process it runs in, closed by a `with` block and when collected."""

    _pool: _P

    @abc.abstractmethod
    def _new_pool(self) -> _P:
        """A pool of connections to the inbox's database, none open yet."""
        ...

    @abc.abstractmethod
    def close(self) -> None:
        """Close the inbox's connections."""
        ...

    def _start_pool(self) -> _P:
        pool = self._pool = self._new_pool()
        # Closes the connections when the inbox is collected, and at exit.
        self._finalizer = weakref.finalize(self, pool.close)
        return pool

    def _current_pool(self) -> _P:
        pool = self._pool
        if pool.pid != os.getpid():
            # A forked child: the parent's connections are the parent's.
            _INHERITED.append(pool)
            pool = self._start_pool()
        return pool

    def __enter__(self) -> Self:
        """Return the inbox, for a `with` block that closes it."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Close the inbox's connections."""
        self.close()
