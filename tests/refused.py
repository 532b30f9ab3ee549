"""aiohttp's error for a refused connection, for fakes that fail the way the bot's transport does."""

from __future__ import annotations

import inspect

import aiohttp
from aiohttp.client_reqrep import ConnectionKey


def refused() -> aiohttp.ClientConnectorError:
    """What bot/telegram/aiohttp_request.py sees when nothing listens: the request never left."""
    # The key's fields vary between aiohttp versions; only the address matters to the message.
    key = dict.fromkeys(inspect.signature(ConnectionKey).parameters) | {
        "host": "127.0.0.1",
        "port": 9,
        "is_ssl": False,
        "ssl": True,
    }
    return aiohttp.ClientConnectorError(ConnectionKey(**key), ConnectionRefusedError(111, "Connection refused"))
