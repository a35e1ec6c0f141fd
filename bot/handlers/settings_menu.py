"""/settings: model, format, thinking and its budget, web search, tools, spoken replies, language."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from bot.core.conversation import ConversationService
from bot.i18n import t
from bot.render import callback_data
from bot.render.settings_menu import (
    FORMAT_CYCLE,
    LANGUAGE_CYCLE,
    THINKING_CYCLE,
    next_value,
    settings_keyboard,
    thinking_value,
)
from storage import ChatKey, ChatSettings

from .common import chat_key, edit_pressed, language, text_for
from .governance import group_admins_only
from .model import show_model_picker


async def settings_command(update: Update, context: BotContext) -> None:
    message = update.effective_message
    if message is None:
        return
    chat = chat_key(update)
    current = await context.services.conversations.settings(chat)
    model = await context.services.conversations.model_for(chat)
    await message.reply_text(
        text_for(update, context, "settings.title", model=model),
        parse_mode="HTML",
        reply_markup=settings_keyboard(current, language(update, context)),
    )


async def settings_button(update: Update, context: BotContext) -> None:
    """`cfg:<setting>` moves that setting to its next value and redraws the menu."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    svc = context.services
    chat = chat_key(update)
    name = callback_data.parse_setting(query.data)
    if name is not None and not await group_admins_only(update, context):
        return
    if name == "model":
        await query.answer()
        await show_model_picker(update, context)
        return
    current = await svc.conversations.settings(chat)
    changed = await _change(svc.conversations, chat, name, current) if name else None
    if changed is None:
        await query.answer(t(language(update, context), "button.unknown"))
        return
    if name == "language":
        if changed.language:
            svc.languages[chat] = changed.language
        else:
            svc.languages.pop(chat, None)
    lang = language(update, context)
    await query.answer(t(lang, "settings.saved"))
    model = await svc.conversations.model_for(chat)
    await edit_pressed(
        update, context, text_for(update, context, "settings.title", model=model), settings_keyboard(changed, lang)
    )


async def _change(
    conversations: ConversationService, chat: ChatKey, name: str, current: ChatSettings
) -> ChatSettings | None:
    if name == "format":
        return await conversations.change_setting(chat, "api_format", next_value(FORMAT_CYCLE, current.api_format))
    if name == "thinking":
        level = next_value(THINKING_CYCLE, thinking_value(current))
        if level == "off":
            return await conversations.change_setting(chat, "thinking", 0)
        await conversations.change_setting(chat, "thinking_level", level)
        return await conversations.change_setting(chat, "thinking", 1)
    if name in ("web_search", "tools"):
        return await conversations.change_setting(chat, name, int(not getattr(current, name)))
    if name == "voice":
        return await conversations.change_setting(chat, "voice_replies", int(not current.voice_replies))
    if name == "language":
        return await conversations.change_setting(chat, "language", next_value(LANGUAGE_CYCLE, current.language))
    return None
