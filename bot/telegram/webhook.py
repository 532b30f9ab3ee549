"""The HTTP listener: Telegram's webhook (secret checked) and `GET /healthz`, on one aiohttp server.

PTB's own `run_webhook` (tornado) cannot serve a health check beside the hook, so this follows PTB's
custom-server pattern: the Application runs without an Updater and each accepted update goes onto its
`update_queue`, where the same update processor, handlers and idempotency apply as in polling mode.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import signal
from typing import Any

from aiohttp import web
from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application

from bot.config import HEALTH_PATH, Settings
from bot.telegram.delivery import with_retries
from bot.telegram.services import Services

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram sends one update per request; Bot API updates are far below this.
MAX_BODY_BYTES = 1024 * 1024
HEALTH_TIMEOUT = 5.0
# How long a stopping listener waits for requests already being answered.
SHUTDOWN_TIMEOUT = 10.0


class ListenError(Exception):
    """The listener could not bind its address; the message says which and why."""


class HttpListener:
    """Serves the webhook path (when given a secret) and the health check."""

    def __init__(
        self,
        app: Application,  # type: ignore[type-arg]
        listen: str,
        port: int,
        *,
        hook_path: str | None = None,
        secret: str | None = None,
    ) -> None:
        self._app = app
        self._listen = listen
        self._port = port
        self._secret = (secret or "").encode()
        web_app = web.Application(client_max_size=MAX_BODY_BYTES)
        web_app.router.add_get(HEALTH_PATH, self._health)
        if hook_path is not None:
            if not secret:
                raise ValueError("a webhook needs a secret")
            web_app.router.add_post(hook_path, self._hook)
        self._runner = web.AppRunner(web_app, access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT)
        self._set_up = False

    async def start(self) -> None:
        """Bind and start answering; ListenError when the address cannot be bound."""
        await self._runner.setup()
        self._set_up = True
        try:
            await web.TCPSite(self._runner, self._listen, self._port).start()
        except OSError as exc:
            await self.stop()
            raise ListenError(f"cannot listen on {self._listen}:{self._port}: {exc.strerror or exc}") from None
        logger.info("listening on %s:%d", self._listen, self._port)

    async def stop(self) -> None:
        """Stop accepting, let requests in flight finish, free the port."""
        if self._set_up:
            self._set_up = False
            await self._runner.cleanup()

    async def _hook(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            return web.Response(status=403, text="forbidden")
        try:
            data: Any = json.loads(await request.read())
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                raise ValueError("not an update object")
            update = Update.de_json(data, self._app.bot)
        except web.HTTPRequestEntityTooLarge:
            logger.warning("webhook: refused a body over %d bytes", MAX_BODY_BYTES)
            return web.Response(status=413, text="too large")
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            # One line, no traceback: a stray client or a probe is no bug of ours.
            logger.warning("webhook: refused a body that is not a JSON update (%s)", type(exc).__name__)
            return web.Response(status=400, text="not a JSON update")
        if not self._app.running:
            return web.Response(status=503, text="stopping")
        await self._app.update_queue.put(update)
        return web.Response(status=200)

    async def _health(self, request: web.Request) -> web.Response:
        found = self._app.bot_data.get("services")
        if not isinstance(found, Services):
            return web.json_response({"status": "starting"}, status=503)
        try:
            await asyncio.wait_for(found.db.ping(), HEALTH_TIMEOUT)
        except Exception as exc:
            logger.warning("health check: the database did not answer (%s)", type(exc).__name__)
            return web.json_response({"status": "error", "database": "unavailable"}, status=503)
        return web.json_response({"status": "ok", "database": "ok", "running": self._app.running})


async def serve_webhook(
    app: Application,  # type: ignore[type-arg]
    settings: Settings,
    allowed_updates: list[str],
) -> int:
    """Run the bot in webhook mode until SIGTERM or SIGINT, drain what was acknowledged; the exit code."""
    assert settings.webhook_url is not None and settings.webhook_secret is not None
    secret = settings.webhook_secret.get_secret_value()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await app.initialize()
    try:
        if app.post_init is not None:
            await app.post_init(app)
        await app.start()
        listener = HttpListener(
            app, settings.webhook_listen, settings.webhook_port, hook_path=settings.webhook_path, secret=secret
        )
        try:
            try:
                await listener.start()
            except ListenError as exc:
                logger.error("%s", exc)
                return 1
            try:
                # Listening first: Telegram may post as soon as setWebhook returns.
                await with_retries(
                    lambda: app.bot.set_webhook(
                        settings.webhook_url or "", secret_token=secret, allowed_updates=allowed_updates
                    ),
                    "setWebhook",
                )
            except TelegramError as exc:
                logger.error("setWebhook failed, so Telegram cannot reach the bot: %s", exc)
                return 1
            logger.info("webhook mode: Telegram posts to %s", settings.webhook_url)
            await stop.wait()
            logger.info("stopping: no new updates accepted, finishing those already acknowledged")
            return 0
        finally:
            await listener.stop()
            if app.running:
                await app.stop()
            if app.post_stop is not None:
                await app.post_stop(app)
    finally:
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
