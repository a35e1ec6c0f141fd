"""The owner's commands: /allow, /deny, /users, /limit — admins only (ADMIN_USER_IDS)."""

from __future__ import annotations

import re

from telegram import Message, Update

from bot.context import BotContext
from bot.i18n import t
from bot.wiring import Services
from storage import NO_LIMIT, DayTotals, LimitName

from .common import command_argument, language, reply

_ID = re.compile(r"-?[0-9]{1,19}")
LIMIT_NAMES: dict[str, LimitName] = {"requests": "requests", "tokens": "tokens", "images": "images"}


def _admin(update: Update, context: BotContext) -> Services | None:
    user = update.effective_user
    svc = context.services
    return svc if user is not None and svc.access.is_admin(user.id) else None


def _subject(message: Message, words: list[str]) -> tuple[int | None, list[str]]:
    """The user (or group) a command is about: a leading id, else the author of the replied-to message."""
    if words and _ID.fullmatch(words[0]):
        return int(words[0]), words[1:]
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and not replied.from_user.is_bot:
        return replied.from_user.id, words
    return None, words


async def allow_command(update: Update, context: BotContext) -> None:
    await _grant(update, context, allow=True)


async def deny_command(update: Update, context: BotContext) -> None:
    await _grant(update, context, allow=False)


async def _grant(update: Update, context: BotContext, *, allow: bool) -> None:
    message, user = update.effective_message, update.effective_user
    svc = _admin(update, context)
    if message is None or user is None:
        return
    if svc is None:
        await reply(update, context, "admin.only")
        return
    subject, _ = _subject(message, command_argument(message).split())
    if subject is None:
        await reply(update, context, "admin.allow_usage" if allow else "admin.deny_usage")
        return
    if allow:
        await svc.access.allow(subject, user.id)
        await reply(update, context, "admin.allowed_group" if subject < 0 else "admin.allowed", subject=subject)
    elif await svc.access.deny(subject, user.id):
        await reply(update, context, "admin.denied", subject=subject)
    else:
        await reply(update, context, "admin.cannot_deny_admin", subject=subject)


async def users_command(update: Update, context: BotContext) -> None:
    """Who may use the bot (from the environment or granted here), who is blocked, and today's use of each."""
    svc = _admin(update, context)
    message = update.effective_message
    if message is None:
        return
    if svc is None:
        await reply(update, context, "admin.only")
        return
    lang = language(update, context)
    listing = svc.access.listing()
    lines = [t(lang, "users.title")]
    if listing.everyone:
        lines.append(t(lang, "users.everyone"))
    sections = (
        ("users.admins", listing.admins),
        ("users.from_env", listing.from_env),
        ("users.granted", listing.granted),
        ("users.denied", listing.denied),
    )
    for key, ids in sections:
        if ids:
            lines += ["", f"<b>{t(lang, key)}</b>"]
            lines += [await _user_line(svc, lang, subject) for subject in ids[:100]]
    await message.reply_text("\n".join(lines), parse_mode="HTML")


async def _user_line(svc: Services, lang: str, subject: int) -> str:
    if subject < 0:
        return t(lang, "users.group_line", subject=subject)
    use = await svc.limits.day_use(subject)
    return t(lang, "users.line", subject=subject, usage=_use_text(lang, use.used, use.limits))


def _use_text(lang: str, used: DayTotals, limits: DayTotals) -> str:
    parts = []
    for name, spent, allowed in (
        ("requests", used.requests, limits.requests),
        ("tokens", used.tokens, limits.tokens),
        ("images", used.images, limits.images),
    ):
        cap = f"/{allowed:,}" if allowed else ""
        parts.append(t(lang, f"users.{name}", count=f"{spent:,}{cap}"))
    return ", ".join(parts)


async def limit_command(update: Update, context: BotContext) -> None:
    """`/limit <id> requests|tokens|images <n>|off`, or `/limit <id>` to see them; a reply names the user."""
    message = update.effective_message
    svc = _admin(update, context)
    if message is None:
        return
    if svc is None:
        await reply(update, context, "admin.only")
        return
    subject, rest = _subject(message, command_argument(message).split())
    if subject is None or subject < 0:
        await reply(update, context, "admin.limit_usage")
        return
    if rest:
        name = LIMIT_NAMES.get(rest[0].lower())
        value = _limit_value(rest[1]) if name and len(rest) == 2 else False
        if name is None or value is False:
            await reply(update, context, "admin.limit_usage")
            return
        await svc.limits.set_own_limit(subject, name, value)
    await _show_limits(update, context, svc, subject)


def _limit_value(word: str) -> int | bool | None:
    """A number, NO_LIMIT for "off", None for "default"; False when it is neither."""
    if word.lower() in ("off", "none", "unlimited"):
        return NO_LIMIT
    if word.lower() == "default":
        return None
    return int(word) if word.isascii() and word.isdigit() and 0 < int(word) < 10**12 else False


async def _show_limits(update: Update, context: BotContext, svc: Services, subject: int) -> None:
    lang = language(update, context)
    own = await svc.limits.own_limits(subject)
    defaults = svc.limits.defaults
    lines = [t(lang, "limit.title", subject=subject)]
    for name, value, default in (
        ("requests", own.requests, defaults.requests),
        ("tokens", own.tokens, defaults.tokens),
        ("images", own.images, defaults.images),
    ):
        if value is None:
            shown = t(lang, "limit.default", value=f"{default:,}" if default else t(lang, "limit.none"))
        else:
            shown = t(lang, "limit.none") if value == NO_LIMIT else f"{value:,}"
        lines.append(t(lang, f"users.{name}", count=shown))
    if update.effective_message is not None:
        await update.effective_message.reply_text("\n".join(lines), parse_mode="HTML")
