"""`/export json`: every stored row about a user as one JSON document, with no Telegram in sight."""

from __future__ import annotations

import base64
import json

from bot.domain.clock import Clock
from bot.storage.export import ExportStore

FORMAT = "flask-interview-bot/user-data"
VERSION = 1


def _plain(value: object) -> object:
    """A stored value JSON can carry: bytes as base64 text, the rest as they are."""
    return base64.b64encode(value).decode("ascii") if isinstance(value, bytes) else value


class ExportService:
    """Builds a user's full data export."""

    def __init__(self, store: ExportStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def user_json(self, user_id: int) -> str:
        """The document: what it is, when it was made, and every table's rows (times in Unix milliseconds, UTC)."""
        tables = await self._store.user_rows(user_id)
        document = {
            "format": FORMAT,
            "version": VERSION,
            "user_id": user_id,
            "exported_at": self._clock.now().isoformat(timespec="seconds"),
            "tables": {
                name: [{column: _plain(value) for column, value in row.items()} for row in rows]
                for name, rows in tables.items()
            },
        }
        return json.dumps(document, ensure_ascii=False, indent=1)
