"""The HTTP listener: Telegram's webhook (secret checked), `GET /healthz` and `GET /metrics`, on one aiohttp server.

PTB's own `run_webhook` (tornado) cannot serve a health check beside the hook, so this follows PTB's
custom-server pattern: the Application runs without an Updater and each accepted update goes onto its
`update_queue`, where the same update processor, handlers and idempotency apply as in polling mode.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import json
import logging
import signal
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from prometheus_client.aiohttp import make_aiohttp_handler
from telegram import Update
from telegram.error import BadRequest, Forbidden

from bot.config import HEALTH_PATH, METRICS_PATH, Settings
from bot.metrics import Metrics
from bot.telegram.observe import metrics_of
from bot.telegram.services import App, Services
from bot.telegram.startup import StopRequested, until_up

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram sends one update per request; Bot API updates are far below this.
MAX_BODY_BYTES = 1024 * 1024
HEALTH_TIMEOUT = 5.0
# How long a stopping listener waits for requests already being answered.
SHUTDOWN_TIMEOUT = 10.0


class WebhookRefused(Exception):
    """Telegram answered setWebhook with a 400 (a URL it cannot use, a bad secret)."""


class ListenError(Exception):
    """The listener could not bind its address; the message says which and why."""


class HttpListener:
    """Serves the webhook path (when given a secret), the health check and the app's metrics (Prometheus text)."""

    def __init__(
        self,
        app: App,
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
        metrics = metrics_of(app)
        if metrics is not None:
            web_app.router.add_get(METRICS_PATH, _metrics_handler(metrics))
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
        # aiohttp decodes header bytes that are not UTF-8 as lone surrogates: take them back as they came,
        # so such a header is a wrong secret (403), not an encoding error (500 and a traceback).
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "surrogateescape")
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


def _metrics_handler(metrics: Metrics) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """prometheus-client's own aiohttp handler on the app's registry, its database gauges read first."""
    render = make_aiohttp_handler(metrics.registry)

    async def handle(request: web.Request) -> web.StreamResponse:
        await metrics.refresh()
        return await render(request)

    return handle


async def serve_webhook(
    app: App,
    settings: Settings,
    allowed_updates: list[str],
) -> int:
    """Run the bot in webhook mode until SIGTERM or SIGINT, drain what was acknowledged; the exit code.

    getMe and setWebhook wait out an unreachable Bot API with backoff (startup.until_up), as polling does.
    """
    assert settings.webhook_url is not None and settings.webhook_secret is not None
    url, secret = settings.webhook_url, settings.webhook_secret.get_secret_value()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        try:
            await until_up(app.bot.initialize, "getMe", stop)
        except BaseException:
            await app.bot.shutdown()
            raise
        await app.initialize()
        try:
            if app.post_init is not None:
                await app.post_init(app)
            await app.start()
            return await _serve(
                app,
                settings,
                stop,
                functools.partial(_set_webhook, app, url, secret, allowed_updates),
            )
        finally:
            if app.running:
                await app.stop()
                # As PTB's run_polling: post_stop follows stop(), and a start that failed stopped nothing.
                if app.post_stop is not None:
                    await app.post_stop(app)
            await app.shutdown()
            if app.post_shutdown is not None:
                await app.post_shutdown(app)
    except StopRequested:
        logger.info("stopped before the Bot API answered")
        return 0
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)


async def _set_webhook(
    app: App,
    url: str,
    secret: str,
    allowed_updates: list[str],
) -> bool:
    try:
        return bool(await app.bot.set_webhook(url, secret_token=secret, allowed_updates=allowed_updates))
    except BadRequest as exc:
        # PTB's BadRequest is a NetworkError, which until_up retries; a URL Telegram refused never heals.
        raise WebhookRefused(exc.message) from None


async def _serve(
    app: App,
    settings: Settings,
    stop: asyncio.Event,
    set_webhook: Callable[[], Awaitable[bool]],
) -> int:
    assert settings.webhook_secret is not None
    listener = HttpListener(
        app,
        settings.webhook_listen,
        settings.webhook_port,
        hook_path=settings.webhook_path,
        secret=settings.webhook_secret.get_secret_value(),
    )
    try:
        try:
            await listener.start()
        except ListenError as exc:
            logger.error("%s", exc)
            return 1
        try:
            # Listening first: Telegram may post as soon as setWebhook returns.
            await until_up(set_webhook, "setWebhook", stop)
        except (WebhookRefused, Forbidden) as exc:
            logger.error("setWebhook failed, so Telegram cannot reach the bot: %s", exc)
            return 1
        logger.info("webhook mode: Telegram posts to %s", settings.webhook_url)
        await stop.wait()
        logger.info("stopping: no new updates accepted, finishing those already acknowledged")
        return 0
    finally:
        # Stops accepting first; app.stop() in the caller then drains the update queue.
        await listener.stop()
