"""/usage: the tokens a user spent, per model, today and over the last 30 days."""

from __future__ import annotations

import html
from io import BytesIO

from telegram import Update

from bot.context import BotContext
from bot.core.usage_report import ModelUsage
from bot.i18n import t
from bot.render.charts import DayUsage, UserUsage, usage_chart_async
from bot.wiring import Services

from .common import language


def _lines(lang: str, rows: list[ModelUsage]) -> list[str]:
    if not rows:
        return [t(lang, "usage.none")]
    return [
        t(
            lang,
            "usage.line",
            model=html.escape(row.model),
            requests=row.requests,
            prompt=f"{row.prompt_tokens:,}",
            completion=f"{row.completion_tokens:,}",
        )
        for row in rows
    ]


async def _limit_lines(svc: Services, lang: str, user_id: int) -> list[str]:
    """Today's use against each daily limit that applies to the user (nothing when none does)."""
    use = await svc.limits.day_use(user_id)
    shown = [
        t(lang, f"usage.limit_{name}", used=f"{spent:,}", allowed=f"{allowed:,}")
        for name, spent, allowed in (
            ("requests", use.used.requests, use.limits.requests),
            ("tokens", use.used.tokens, use.limits.tokens),
            ("images", use.used.images, use.limits.images),
        )
        if allowed
    ]
    if not shown:
        return []
    return [
        "",
        f"<b>{t(lang, 'usage.limits')}</b>",
        *shown,
        t(lang, "usage.resets", reset=f"{use.resets_at:%H:%M} UTC"),
    ]


async def usage_command(update: Update, context: BotContext) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    lang = language(update, context)
    svc = context.services
    report = await svc.conversations.usage(user.id)
    parts = [t(lang, "usage.title"), *await _limit_lines(svc, lang, user.id)]
    parts += ["", f"<b>{t(lang, 'usage.today')}</b>", *_lines(lang, report.today)]
    parts += ["", f"<b>{t(lang, 'usage.month')}</b>", *_lines(lang, report.month)]
    await message.reply_text("\n".join(parts), parse_mode="HTML")


async def stats_command(update: Update, context: BotContext) -> None:
    """/stats (admins): everyone's usage over the last 30 days."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    lang = language(update, context)
    svc = context.services
    if not svc.access.is_admin(user.id):
        await message.reply_text(t(lang, "admin.only"))
        return
    rows = await svc.conversations.usage_by_user()
    lines = [
        t(lang, "stats.line", user_id=uid, requests=req, prompt=f"{pt:,}", completion=f"{ct:,}")
        for uid, req, pt, ct in rows
    ] or [t(lang, "usage.none")]
    await message.reply_text("\n".join([t(lang, "stats.title"), "", *lines]), parse_mode="HTML")
    days = [
        DayUsage(day, totals.requests, totals.tokens, totals.images)
        for day, totals in await svc.conversations.usage_by_day()
    ]
    top = [UserUsage(str(uid), req, pt + ct) for uid, req, pt, ct in rows[:10]]
    labels = {name: t(lang, f"chart.{name}") for name in ("requests", "tokens", "images", "top_users", "empty")}
    chart = await usage_chart_async(days, top, t(lang, "chart.title"), labels)
    await message.reply_photo(BytesIO(chart))
