"""The type of a callback routing table: payload class to the handler that takes it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from telegram import CallbackQuery
from telegram.ext import ContextTypes

from bot.telegram.callback import CallbackData

# Handlers take their own payload subclass; Any keeps one table for all of them.
Routes = dict[type[CallbackData], Callable[[CallbackQuery, ContextTypes.DEFAULT_TYPE, Any], Awaitable[None]]]
