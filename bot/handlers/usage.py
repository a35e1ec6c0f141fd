"""/usage: the tokens a user spent, per model, today and over the last 30 days."""

from __future__ import annotations

import html

from telegram import Update
from telegram.ext import ContextTypes

from bot.core.usage_report import ModelUsage
from bot.i18n import t

from .common import language, services


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


async def usage(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    lang = language(update, context)
    report = await services(context).conversations.usage(user.id)
    parts = [t(lang, "usage.title"), "", f"<b>{t(lang, 'usage.today')}</b>", *_lines(lang, report.today)]
    parts += ["", f"<b>{t(lang, 'usage.month')}</b>", *_lines(lang, report.month)]
    await message.reply_text("\n".join(parts), parse_mode="HTML")


async def stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/stats (admins): everyone's usage over the last 30 days."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    lang = language(update, context)
    svc = services(context)
    if not svc.access.is_admin(user.id):
        await message.reply_text(t(lang, "admin.only"))
        return
    rows = await svc.conversations.usage_by_user()
    lines = [
        t(lang, "stats.line", user_id=uid, requests=req, prompt=f"{pt:,}", completion=f"{ct:,}")
        for uid, req, pt, ct in rows
    ] or [t(lang, "usage.none")]
    await message.reply_text("\n".join([t(lang, "stats.title"), "", *lines]), parse_mode="HTML")
