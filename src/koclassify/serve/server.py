"""How uvicorn runs the service: connections that stay idle, or whose request headers trickle in, are closed.

uvicorn's ``timeout_keep_alive`` closes a connection idle *between* requests; a connection that sends nothing at
all, or sends its headers a byte at a time (slowloris), would otherwise stay open for ever. The protocol below
gives every request's headers the same ``timeout_keep_alive`` seconds from the moment the connection is free for
one. It is named by import string, so ``--workers N`` (which pickles the config) works too.

Imported only by uvicorn (the ``serve`` extra).
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

IDLE_TIMEOUT = 5.0  # seconds a connection may wait idle, or take to send a request's headers
PROTOCOL = "koclassify.serve.server:BoundedH11Protocol"


def server_options(idle_timeout: float = IDLE_TIMEOUT) -> dict[str, Any]:
    """Keyword arguments for ``uvicorn.run`` / ``uvicorn.Config``."""
    return {"timeout_keep_alive": idle_timeout, "http": PROTOCOL}


class BoundedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline (``timeout_keep_alive``) on each request's headers."""

    _header_timer: Any = None

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._busy():  # the headers are in: the request is the app's (its body has its own deadline)
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm()  # the next request's headers get the same deadline

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _busy(self) -> bool:
        return self.cycle is not None and not self.cycle.response_complete

    def _arm(self) -> None:
        self._disarm()
        self._header_timer = self.loop.call_later(self.timeout_keep_alive, self._expire)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _expire(self) -> None:
        self._header_timer = None
        if not self._busy():
            self.transport.close()
