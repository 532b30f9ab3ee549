"""Every update, observed: counted by type, timed by route, and logged with its update and user ids.

PTB's `process_update` runs every handler group of one update, the error handler included, in one await;
wrapping it (through ApplicationBuilder.application_class, PTB's hook for this) is the one place that sees
an update from its first handler to its last, whether it came from the poller, the webhook or a test.
A TypeHandler in a group of its own could count updates but could not time them.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from telegram import Update
from telegram.ext import Application, CommandHandler, ExtBot

from bot.logs import update_context
from bot.metrics import Metrics
from bot.telegram.callback import payload_name
from bot.telegram.services import App

logger = logging.getLogger(__name__)


class ObservedApplication(Application[ExtBot[None], Any, dict[Any, Any], dict[Any, Any], dict[Any, Any], Any]):
    """The Application with a metrics registry of its own and an observed `process_update`."""

    __slots__ = ("_commands", "metrics")

    def __init__(self, *, metrics: Metrics, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.metrics = metrics
        self._commands: frozenset[str] | None = None

    async def process_update(self, update: object) -> None:
        """Run the handlers of `update` with its ids in the log context; count and time it."""
        if not isinstance(update, Update):
            await super().process_update(update)
            return
        kind = update_type(update)
        self.metrics.on_update(kind)
        user = update.effective_user
        start = time.perf_counter()
        with update_context(update.update_id, user.id if user is not None else None):
            try:
                await super().process_update(update)
            finally:
                route = route_of(update, kind, self._known_commands())
                seconds = time.perf_counter() - start
                self.metrics.on_handled(route, seconds)
                logger.debug("%s handled by %s in %.1f ms", kind, route, seconds * 1000)

    def _known_commands(self) -> frozenset[str]:
        # Only registered commands become labels: whatever else users type must not grow the series.
        if self._commands is None:
            self._commands = frozenset(
                name
                for group in self.handlers.values()
                for handler in group
                if isinstance(handler, CommandHandler)
                for name in handler.commands
            )
        return self._commands


def update_type(update: Update) -> str:
    """The kind of update (`message`, `callback_query`, `poll_answer`…): its one field that is set."""
    for name in Update.ALL_TYPES:
        if getattr(update, name, None) is not None:
            return str(name)
    return "other"


def route_of(update: Update, kind: str, commands: frozenset[str]) -> str:
    """A bounded label for what handled the update: a command, a button payload, a text, or its type."""
    query = update.callback_query
    if query is not None:
        return f"button:{payload_name(query.data)}"
    message = update.message
    if message is None:
        return kind
    text = message.text or ""
    if text.startswith("/"):
        name = text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower() if len(text) > 1 else ""
        return f"/{name}" if name in commands else "/unknown"
    return "text" if text else "message"


def metrics_of(app: App) -> Metrics | None:
    """The registry of an Application built by build_application; None for any other."""
    return app.metrics if isinstance(app, ObservedApplication) else None
