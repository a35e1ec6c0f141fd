"""At start: finish what a crash left unanswered (see bot/core/recovery.py); the 🔄 button."""

from __future__ import annotations

import logging

from telegram import Bot, InlineKeyboardMarkup, Update
from telegram.error import TelegramError

from bot.context import BotApplication, BotContext
from bot.core.recovery import RecoveryKind, RecoveryStep, plan_recovery
from bot.i18n import t
from bot.render import callback_data
from bot.render.keyboards import retry_keyboard
from bot.render.markdown import Chunk, render_pieces
from bot.render.telegram_io import Target, TelegramText
from bot.wiring import Services
from storage import ChatKey

from .answers import AnswerPlace, answer_job, submit_answer
from .common import chat_key, edit_pressed, language

log = logging.getLogger(__name__)


async def recover_job(context: BotContext) -> None:
    """Runs once, in the background, right after start-up."""
    application = context.application
    started = context.job.data if context.job is not None and isinstance(context.job.data, float) else None
    await recover_unfinished(application, started, "after a restart")


async def recover_unfinished(application: BotApplication, started: float | None, why: str) -> int:
    """Plan and act on the recovery; with several processes, chats a live process works on are left alone."""
    svc = application.bot_data.services
    cluster = svc.cluster

    async def live(chat: ChatKey) -> bool:
        return svc.turn_queue.busy(chat) or await cluster.busy_anywhere(chat)

    steps = await plan_recovery(svc.storage, started=started, skip=live if cluster.shared else None)
    if steps:
        log.info("recovering %d unfinished answer(s) %s", len(steps), why)
    for step in steps:
        try:
            await _recover(application, svc, step)
        except TelegramError as error:  # one chat refusing must not stop the others
            log.warning("could not recover the answer in chat %s: %s", step.chat.chat_id, error)
    return len(steps)


async def _recover(application: BotApplication, svc: Services, step: RecoveryStep) -> None:
    private = step.chat.chat_id > 0
    target = Target(step.chat.chat_id, step.chat.thread_id or None, None if private else step.reply_to)
    io = TelegramText(application.bot, target)
    if step.kind in (RecoveryKind.ANSWER, RecoveryKind.ANSWER_AGAIN):
        await _delete(application.bot, step.chat.chat_id, step.previews)
        place = AnswerPlace(step.chat, target, private, step.lang, step.user_id)
        svc.turn_queue.submit(step.chat, answer_job(application, place))
        return
    assert step.answer_id is not None
    if step.kind == RecoveryKind.RESEND:
        ids = await _show(io, step, render_pieces(step.text), None)
    else:
        note = t(step.lang, "recovery.failed" if step.failed else "recovery.interrupted")
        pieces = render_pieces(f"{step.text.rstrip()}\n\n{note}" if step.text.strip() else note)
        ids = await _show(io, step, pieces, retry_keyboard(step.lang, step.answer_id))
    await svc.conversations.mark_delivered(step.answer_id, tuple(ids))


async def _show(
    io: TelegramText, step: RecoveryStep, pieces: list[Chunk], markup: InlineKeyboardMarkup | None
) -> list[int]:
    """The pieces in the chat: a preview the crash left (⏹, cursor) is edited into the first one, else sent."""
    previews = list(step.previews)
    ids: list[int] = []
    for index, (text, entities) in enumerate(pieces):
        keyboard = markup if index == len(pieces) - 1 else None
        if previews:
            message_id = previews.pop(0)
            try:
                await io.edit(message_id, text, entities, keyboard)
                ids.append(message_id)
                continue
            except TelegramError as error:
                log.info("the preview left by the crash could not be edited (%s); sending anew", error)
        ids.append(await io.send(text, entities, keyboard))
    await _delete(io.bot, io.target.chat_id, tuple(previews))
    return ids


async def _delete(bot: Bot, chat_id: int, message_ids: tuple[int, ...]) -> None:
    for message_id in message_ids:
        try:
            await bot.delete_message(chat_id, message_id)
        except TelegramError as error:
            log.info("could not delete a preview left by the crash: %s", error)


async def retry_button(update: Update, context: BotContext) -> None:
    """🔄 `retry:<answer id>`: answer that question again — only while it is the chat's last answer."""
    query, user = update.callback_query, update.effective_user
    if query is None or query.data is None or user is None:
        return
    lang = language(update, context)
    answer_id = callback_data.parse_retry(query.data)
    if answer_id is None or update.effective_chat is None:
        await query.answer(t(lang, "button.unknown"))
        return
    if not await context.services.conversations.take_back(chat_key(update), answer_id):
        await query.answer(t(lang, "retry.too_old"), show_alert=True)
        return
    await query.answer(t(lang, "retry.started"))
    submit_answer(update, context, user.id)  # the question is unanswered again: this answers it
    await edit_pressed(update, context, None, None)  # the button goes: one press, one new answer
