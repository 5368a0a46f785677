"""How uvicorn runs the service: connections that stay idle, or whose request headers trickle in, are closed.

uvicorn's ``timeout_keep_alive`` closes a connection idle *between* requests; a connection that sends nothing at
all, or sends its headers a byte at a time (slowloris), would otherwise stay open for ever. The protocols below
give every request's headers the same ``timeout_keep_alive`` seconds from the moment the connection is free for
one. They are named by import string, so ``--workers N`` (which pickles the config) works too.

The service runs on uvicorn's ``httptools`` protocol (a C parser, installed with uvicorn's standard extras) when
it is there: per request it costs a fraction of the pure-Python ``h11`` parser's CPU, which on a small machine is
CPU the model and the other requests do not get (issue 22: latency at concurrency 16). Without it, ``h11``.

Imported only by uvicorn (the ``serve`` extra).
"""

from __future__ import annotations

import importlib.util
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

IDLE_TIMEOUT = 5.0  # seconds a connection may wait idle, or take to send a request's headers
H11 = "koclassify.serve.server:BoundedH11Protocol"
HTTPTOOLS = "koclassify.serve.server:BoundedHttpToolsProtocol"


def protocol() -> str:
    """The import string of the protocol class: httptools' when it is installed, else h11's."""
    return HTTPTOOLS if importlib.util.find_spec("httptools") is not None else H11


def server_options(idle_timeout: float = IDLE_TIMEOUT, http: str | None = None) -> dict[str, Any]:
    """Keyword arguments for ``uvicorn.run`` / ``uvicorn.Config`` (``http``: a protocol's import string)."""
    return {"timeout_keep_alive": idle_timeout, "http": http or protocol()}


class HeaderDeadline:
    """A deadline (``timeout_keep_alive``) on each request's headers, for either of uvicorn's HTTP protocols (both
    have ``loop``, ``transport``, ``cycle`` and the hooks below)."""

    _header_timer: Any = None
    loop: Any
    transport: Any
    cycle: Any
    timeout_keep_alive: Any

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)  # type: ignore[misc]
        if self._busy():  # the headers are in: the request is the app's (its body has its own deadline)
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()  # type: ignore[misc]
        if not self.transport.is_closing():
            self._arm()  # the next request's headers get the same deadline

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)  # type: ignore[misc]

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


class BoundedH11Protocol(HeaderDeadline, H11Protocol):
    """uvicorn's h11 protocol with a deadline on each request's headers."""


if importlib.util.find_spec("httptools") is not None:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class BoundedHttpToolsProtocol(HeaderDeadline, HttpToolsProtocol):
        """uvicorn's httptools protocol with a deadline on each request's headers."""
