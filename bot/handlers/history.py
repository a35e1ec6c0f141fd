"""/history, /export, /find, their buttons and the rename question's reply. Thin: core.history does the work.

In groups, resuming, renaming and deleting change the conversation for everyone: they follow the
governance rules (the group's administrators and the bot's admins). Listing, finding and exporting are
open to every allowed member.
"""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from io import BytesIO

from telegram import ForceReply, Message, Update
from telegram.ext import ApplicationHandlerStop, filters

from bot.context import BotContext
from bot.core.export import MAX_EXPORT_BYTES
from bot.i18n import t
from bot.i18n.catalog_history import RENAME_MARK
from bot.render import callback_data
from bot.render.history import conversation_view, delete_view, deleted_text, found_view, history_view, title_of
from bot.render.telegram_io import clip
from storage import ChatKey, ConversationSummary

from .common import chat_key, command_argument, edit_pressed, language, reply
from .governance import group_admins_only


class _RenameReply(filters.MessageFilter):
    """A reply to the bot's rename question (the pending question itself is looked up by the handler)."""

    def filter(self, message: Message) -> bool:
        replied = message.reply_to_message
        return bool(
            replied is not None
            and replied.from_user is not None
            and replied.from_user.is_bot
            and (replied.text or "").startswith(RENAME_MARK)
        )


def rename_reply_filter() -> filters.BaseFilter:
    return filters.REPLY & filters.TEXT & ~filters.COMMAND & _RenameReply()


async def history_command(update: Update, context: BotContext) -> None:
    message = update.effective_message
    if message is None:
        return
    page = await context.services.history.page(chat_key(update), 0)
    text, markup = history_view(language(update, context), page)
    await message.reply_text(text, parse_mode="HTML", reply_markup=markup, do_quote=not _private(update))


async def export_command(update: Update, context: BotContext) -> None:
    chat = chat_key(update)
    current = await context.services.history.current(chat)
    if current is None:
        await reply(update, context, "export.nothing")
        return
    await _send_export(update, context, chat, current.id)


async def find_command(update: Update, context: BotContext) -> None:
    message = update.effective_message
    if message is None:
        return
    words = command_argument(message)
    if not words:
        await reply(update, context, "find.usage")
        return
    user_id = update.effective_user.id if update.effective_user else 0
    found = await context.services.history.find(chat_key(update), words, user_id)
    text, markup = found_view(language(update, context), words, found)
    await message.reply_text(text, parse_mode="HTML", reply_markup=markup, do_quote=not _private(update))


async def history_button(update: Update, context: BotContext) -> None:
    """`hist:<action>:<number>`: a page of the list, or resume/rename/export/delete one conversation."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    lang = language(update, context)
    press = callback_data.parse_history(query.data)
    if press is None or not isinstance(query.message, Message):
        await query.answer(t(lang, "button.unknown"))
        return
    chat = chat_key(update)
    if press.action == "page":
        await query.answer()
        text, markup = history_view(lang, await context.services.history.page(chat, press.number))
        await edit_pressed(update, context, text, markup)
        return
    if press.action != "export" and not await group_admins_only(update, context):
        return
    summary = await context.services.history.get(chat, press.number)
    if summary is None:  # deleted meanwhile, or an id from another chat or topic
        await query.answer(t(lang, "history.gone"), show_alert=True)
        return
    await _ACTIONS[press.action](update, context, chat, summary)


async def _open(
    update: Update, context: BotContext, chat: ChatKey, summary: ConversationSummary
) -> None:
    query, lang = update.callback_query, language(update, context)
    assert query is not None
    resumed = await context.services.history.resume(chat, summary.id)
    if resumed is None:
        await query.answer(t(lang, "history.gone"), show_alert=True)
        return
    await query.answer(t(lang, "history.opened_toast"))
    text, markup = conversation_view(lang, resumed)
    await edit_pressed(update, context, text, markup)


async def _rename(
    update: Update, context: BotContext, chat: ChatKey, summary: ConversationSummary
) -> None:
    """Ask for the new name with a force-reply; the reply (to that question) becomes the title."""
    query, user, lang = update.callback_query, update.effective_user, language(update, context)
    assert query is not None and user is not None
    await query.answer()
    text = t(lang, "history.rename_prompt", title=html.escape(clip(title_of(lang, summary), 80)))
    if not _private(update):  # selective: the question's reply field opens for the mentioned presser only
        text += f' <a href="tg://user?id={user.id}">{html.escape(clip(user.first_name, 40))}</a>'
    question = await context.bot.send_message(
        chat.chat_id,
        text,
        parse_mode="HTML",
        message_thread_id=chat.thread_id or None,
        reply_markup=ForceReply(selective=True, input_field_placeholder=t(lang, "history.rename_placeholder")),
    )
    context.services.history.renames.put(chat, question.message_id, summary.id, user.id)


async def _export(
    update: Update, context: BotContext, chat: ChatKey, summary: ConversationSummary
) -> None:
    assert update.callback_query is not None
    await update.callback_query.answer()
    await _send_export(update, context, chat, summary.id)


async def _delete(
    update: Update, context: BotContext, chat: ChatKey, summary: ConversationSummary
) -> None:
    """The confirm step: nothing is deleted until "yes"."""
    assert update.callback_query is not None
    await update.callback_query.answer()
    text, markup = delete_view(language(update, context), summary)
    await edit_pressed(update, context, text, markup)


async def _confirm_delete(
    update: Update, context: BotContext, chat: ChatKey, summary: ConversationSummary
) -> None:
    query, lang, svc = update.callback_query, language(update, context), context.services
    assert query is not None
    if summary.active and svc.turn_queue.busy(chat):  # its answer is being written: it would lose its rows
        await query.answer(t(lang, "history.busy"), show_alert=True)
        return
    if not await svc.history.delete(chat, summary.id):
        await query.answer(t(lang, "history.gone"), show_alert=True)
        return
    await query.answer()
    await edit_pressed(update, context, deleted_text(lang, summary))


_Action = Callable[[Update, BotContext, ChatKey, ConversationSummary], Awaitable[None]]
_ACTIONS: dict[str, _Action] = {
    "open": _open,
    "rename": _rename,
    "export": _export,
    "delete": _delete,
    "confirm": _confirm_delete,
}


async def rename_reply(update: Update, context: BotContext) -> None:
    """The answer to a rename question becomes the conversation's title."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or message.reply_to_message is None:
        return
    renames = context.services.history.renames
    asked = renames.get(message.chat_id, message.reply_to_message.message_id)
    if asked is None:
        await reply(update, context, "history.rename_expired")
        raise ApplicationHandlerStop
    if asked.user_id != user.id:
        await reply(update, context, "history.rename_not_yours")
        raise ApplicationHandlerStop
    title = await context.services.history.rename(asked.chat, asked.conversation_id, message.text or "")
    if title is None:
        await reply(update, context, "history.rename_empty")
    else:
        renames.drop(message.chat_id, message.reply_to_message.message_id)
        await reply(update, context, "history.renamed", title=title)
    raise ApplicationHandlerStop


async def _send_export(update: Update, context: BotContext, chat: ChatKey, conversation_id: int) -> None:
    lang = language(update, context)
    names = {"user": t(lang, "export.user"), "assistant": t(lang, "export.assistant")}
    cut = t(lang, "export.cut", mb=MAX_EXPORT_BYTES // 1_000_000)
    built = await context.services.history.export(chat, conversation_id, names, cut, t(lang, "history.untitled"))
    if built is None:
        await reply(update, context, "history.gone")
        return
    await context.bot.send_document(
        chat.chat_id,
        document=BytesIO(built.content),
        filename=built.name,
        caption=t(lang, "export.caption", title=html.escape(clip(built.title, 200))),
        parse_mode="HTML",
        message_thread_id=chat.thread_id or None,
    )


def _private(update: Update) -> bool:
    return update.effective_chat is not None and update.effective_chat.type == "private"


EMBEDDING_INTERVAL = 30.0  # seconds between background embedding rounds (EMBEDDING_MODEL)
EMBEDDING_BATCHES = 4  # batches a round at most: a large backlog is worked off over a few minutes


async def embedding_job(context: BotContext) -> None:
    """Embed the messages that are new since the last round (search by meaning)."""
    meaning = context.services.history.meaning
    if meaning is None:
        return
    for _ in range(EMBEDDING_BATCHES):
        if not await meaning.index_batch():
            return
