"""PTB's Bot API transport on aiohttp's client: the request every Bot API call of the bot goes through.

PTB ships an httpx transport and documents `BaseRequest` for others (ptbcontrib holds the PTB team's own aiohttp
one). Against PTB's, on the throughput bench (docs/benchmarks.md): httpx's pool (httpcore over anyio) asks every
idle connection at each request whether the server closed it, two system calls apiece, where aiohttp's pool
hears of a closed connection from the event loop; aiohttp's HTTP parser is compiled; and a call's parameters go
as one JSON body instead of a url-encoded form."""

from __future__ import annotations

import json
import ssl
import urllib.parse
import urllib.request
from typing import Any

import aiohttp
import certifi
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

_DEFAULT = BaseRequest.DEFAULT_NONE
# aiohttp failures raised before a byte of the request left: nothing can have arrived (bot/telegram/delivery.py).
NOT_SENT: tuple[type[BaseException], ...] = (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError)


class AiohttpRequest(BaseRequest):
    """A pool of at most `pool_size` connections, with PTB's timeouts: each call may pass its own."""

    __slots__ = ("_connect", "_media_write", "_pool", "_pool_size", "_proxies", "_read", "_session", "_write")

    def __init__(
        self,
        pool_size: int,
        *,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        # The defaults are HTTPXRequest's, so a call behaves as it did on PTB's own transport.
        self._pool_size = pool_size
        self._read = read_timeout
        self._write = write_timeout
        self._connect = connect_timeout
        self._pool = pool_timeout
        self._media_write = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[tuple[str, str], str | None] = {}

    @property
    def read_timeout(self) -> float | None:
        """The read timeout of a call that names none (PTB adds getUpdates' long-poll timeout to it)."""
        return self._read

    async def initialize(self) -> None:
        """Open the client session (again, after a shutdown)."""
        if self._session is None or self._session.closed:
            # The CAs httpx trusts (certifi's), so a deployment that worked on PTB's own transport works on this.
            tls = ssl.create_default_context(cafile=certifi.where())
            # Not trust_env: with it aiohttp reads ~/.netrc and the proxy variables in a worker thread on every
            # call, two thread hand-offs each; _proxy reads the variables once per server instead.
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size, ssl=tls),
                timeout=aiohttp.ClientTimeout(total=None),  # each call gets its own in do_request
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        """Close the session and its connections."""
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: float | Any | None = _DEFAULT,
        write_timeout: float | Any | None = _DEFAULT,
        connect_timeout: float | Any | None = _DEFAULT,
        pool_timeout: float | Any | None = _DEFAULT,
    ) -> tuple[int, bytes]:
        """One HTTP call: its status and body, or TimedOut / NetworkError with aiohttp's error as the cause."""
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized")
        files = request_data is not None and request_data.contains_files
        timeout = _timeout(
            read=self._read if read_timeout is _DEFAULT else read_timeout,
            write=(self._media_write if files else self._write) if write_timeout is _DEFAULT else write_timeout,
            connect=self._connect if connect_timeout is _DEFAULT else connect_timeout,
            pool=self._pool if pool_timeout is _DEFAULT else pool_timeout,
        )
        data, headers = _body(request_data)
        try:
            async with self._session.request(
                method, url, data=data, headers=headers, timeout=timeout, proxy=self._proxy(url)
            ) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            # aiohttp's timeouts are TimeoutErrors: ConnectionTimeoutError (pool or connect), SocketTimeoutError
            # (read), or a plain one when the whole call ran past its bound.
            raise TimedOut(f"aiohttp.{type(exc).__name__}: {exc}" if str(exc) else None) from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc

    def _proxy(self, url: str) -> str | None:
        """The proxy the environment names for this server (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY), read once."""
        parts = urllib.parse.urlsplit(url)
        key = (parts.scheme, parts.netloc)
        if key not in self._proxies:
            found = urllib.request.getproxies_environment()
            spared = parts.hostname is None or bool(urllib.request.proxy_bypass(parts.hostname))
            self._proxies[key] = None if spared else found.get(parts.scheme) or found.get("all")
        return self._proxies[key]


def _body(request_data: RequestData | None) -> tuple[aiohttp.FormData | bytes | None, dict[str, str] | None]:
    """The parameters as JSON, which the Bot API takes for every call but uploads; multipart with a file."""
    if request_data is None:
        return None, None
    if not request_data.contains_files:
        # PTB's httpx transport sends a url-encoded form: each value JSON-encoded, then every character quoted.
        # For a question with its keyboard that took 86 µs against 10 µs for this; the Bot API reads either.
        return json.dumps(request_data.parameters).encode(), _JSON
    form = aiohttp.FormData(request_data.json_parameters)
    for name, (filename, content, mimetype) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form, None


_JSON = {"Content-Type": "application/json"}


def _timeout(
    *, read: float | None, write: float | None, connect: float | None, pool: float | None
) -> aiohttp.ClientTimeout:
    """PTB's four timeouts in aiohttp's terms."""
    # aiohttp has no write timeout: sending the body is bounded by a total of all four, which never cuts a call
    # short that each phase alone would have let through.
    parts = (read, write, connect, pool)
    total = None if any(p is None for p in parts) else sum(p for p in parts if p is not None)
    acquire = None if connect is None or pool is None else connect + pool
    return aiohttp.ClientTimeout(total=total, connect=acquire, sock_connect=connect, sock_read=read)
