"""The bot's profile per language, set at start-up: command menus, description and short description.

Telegram shows a user the variant whose `language_code` matches theirs and the default one (no code) to
everyone else, so English goes in as the default and each other language under its own code.
"""

from __future__ import annotations

import logging

from telegram import Bot, BotCommand, BotCommandScopeAllGroupChats
from telegram.error import TelegramError

from bot import i18n, texts

logger = logging.getLogger(__name__)


async def publish_profile(bot: Bot) -> None:
    """setMyCommands (private and group menus), setMyDescription and setMyShortDescription, per language."""
    for lang in i18n.LANGUAGES:
        code = None if lang == i18n.DEFAULT else lang
        with i18n.use(lang):
            try:
                await bot.set_my_commands([BotCommand(c, d) for c, d in texts.COMMANDS], language_code=code)
                await bot.set_my_commands(
                    [BotCommand(c, d) for c, d in texts.GROUP_COMMANDS],
                    scope=BotCommandScopeAllGroupChats(),
                    language_code=code,
                )
                await bot.set_my_description(texts.BOT_DESCRIPTION, language_code=code)
                await bot.set_my_short_description(texts.BOT_SHORT_DESCRIPTION, language_code=code)
            except TelegramError as exc:
                logger.warning("could not register the %s profile (menu, description): %s", lang, exc)
