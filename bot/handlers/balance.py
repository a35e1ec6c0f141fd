"""/balance (admins): what is left on the wenwen key; and the background check that warns admins once."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from telegram import Update
from telegram.error import TelegramError

from bot.context import BotApplication, BotContext
from bot.core.balance import BalanceNotOffered, KeyBalance
from bot.core.errors import WenwenError
from bot.i18n import t
from bot.render.errors import failure_text
from storage import ChatKey

from .common import language, reply

log = logging.getLogger(__name__)
CHECK_INTERVAL = 3600.0  # the low-balance check runs at most hourly


async def balance_command(update: Update, context: BotContext) -> None:
    user, message = update.effective_user, update.effective_message
    svc = context.services
    if user is None or message is None:
        return
    if not svc.access.is_admin(user.id):
        await reply(update, context, "admin.only")
        return
    lang = language(update, context)
    try:
        found = await svc.balance.current()
    except BalanceNotOffered:
        await reply(update, context, "balance.not_offered")
        return
    except WenwenError as error:
        await message.reply_text(failure_text(lang, error))
        return
    await message.reply_text(balance_text(lang, found), parse_mode="HTML")


def balance_text(lang: str, found: KeyBalance) -> str:
    lines = [t(lang, "balance.title")]
    if found.unlimited:
        lines.append(t(lang, "balance.unlimited"))
    elif found.available is not None:
        lines.append(
            t(
                lang,
                "balance.quota",
                available=_number(found.available),
                granted=_number(found.granted),
                used=_number(found.used),
            )
        )
    if found.usd_limit is not None or found.usd_used is not None:
        lines.append(
            t(
                lang,
                "balance.usd",
                left=_usd(found.usd_available),
                limit=_usd(found.usd_limit),
                used=_usd(found.usd_used),
            )
        )
    if found.expires_at:
        when = datetime.fromtimestamp(found.expires_at, UTC).strftime("%Y-%m-%d %H:%M UTC")
        lines.append(t(lang, "balance.expires", when=when))
    return "\n".join(lines)


def _number(value: int | None) -> str:
    return "?" if value is None else f"{value:,}"


def _usd(value: float | None) -> str:
    return "?" if value is None else f"${value:,.2f}"


async def low_balance_job(context: BotContext) -> None:
    await check_balance(context.application)


async def check_balance(application: BotApplication) -> None:
    """Every admin hears once, privately, when the key's balance drops below LOW_BALANCE_USD."""
    svc = application.bot_data.services
    try:
        low = await svc.balance.check_low()
    except WenwenError as error:
        log.info("the key's balance could not be checked: %s", error)
        return
    if low is None:
        return
    log.warning("the key's balance is low: $%.2f left (LOW_BALANCE_USD=%.2f)", low.left_usd, low.threshold_usd)
    for admin in svc.access.listing().admins:
        lang = svc.languages.get(ChatKey(admin), "en")  # an admin's private chat language, if one was chosen
        try:
            await application.bot.send_message(
                admin, t(lang, "balance.low", left=f"${low.left_usd:,.2f}", threshold=f"${low.threshold_usd:,.2f}")
            )
        except TelegramError as error:  # an admin who never started the bot cannot be written to
            log.info("could not tell admin %s about the low balance: %s", admin, error)
