"""The services the handlers use, attached to the Application once at start-up."""

from __future__ import annotations

from typing import Any, TypeAlias

from telegram.ext import Application, ContextTypes, ExtBot, JobQueue

from bot.services.wiring import Services

# The Application with default context types (as ApplicationBuilder builds it and handlers see it).
App: TypeAlias = Application[ExtBot[None], Any, dict[Any, Any], dict[Any, Any], dict[Any, Any], Any]
# Its job queue.
Jobs: TypeAlias = JobQueue[Any]

_KEY = "services"

__all__ = ["App", "Jobs", "Services", "attach", "services", "services_of"]


def attach(bot_data: dict[object, object], services: Services) -> None:
    """Store the services where handlers find them."""
    bot_data[_KEY] = services


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    """The services of the running Application, from a handler's context."""
    return services_of(context.application)


def services_of(app: App) -> Services:
    """The services attached to an Application in post_init."""
    found = app.bot_data.get(_KEY)
    assert isinstance(found, Services), "services are attached in post_init"
    return found
