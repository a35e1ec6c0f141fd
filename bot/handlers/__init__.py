"""python-telegram-bot handlers, one module per feature. Thin: they call core and render."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    ChosenInlineResultHandler,
    CommandHandler,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.context import BotApplication, BotContext
from bot.render import callback_data

from . import (
    admin,
    balance,
    buttons,
    commands,
    documents,
    forget,
    history,
    image_commands,
    imagine,
    inline,
    mj_photos,
    mj_uploads,
    model,
    photos,
    recovery,
    settings_menu,
    usage,
    video,
    voice,
)
from .access import gate
from .chat import on_text
from .errors import on_error

CommandCallback = Callable[[Update, BotContext], Coroutine[Any, Any, None]]


@dataclass(frozen=True, slots=True)
class Command:
    """`/name` runs `callback`; `menu` puts it in Telegram's command menu."""

    name: str
    callback: CommandCallback
    menu: bool = True


# Every command: its handler, and whether it is in Telegram's command menu (`bot/app.py:register_commands`;
# a menu command needs a `cmd.<name>` string in both languages). The menu shows them in this order.
COMMAND_TABLE: tuple[Command, ...] = (
    Command("start", commands.start_command, menu=False),
    Command("help", commands.help_command),
    Command("new", commands.new_command),
    Command("history", history.history_command),
    Command("export", history.export_command),
    Command("find", history.find_command),
    Command("model", model.model_command),
    Command("system", commands.system_command),
    Command("stop", commands.stop_command),
    Command("retry", commands.retry_command),
    Command("imagine", imagine.imagine_command),
    Command("blend", mj_photos.blend_command),
    Command("describe", mj_photos.describe_command),
    Command("seed", imagine.seed_command),
    Command("mjedit", mj_uploads.mjedit_command),  # a photo's caption, or a reply to a photo
    Command("faceswap", mj_uploads.faceswap_command),  # belongs in the caption of photos
    Command("image", image_commands.image_command),
    Command("edit", image_commands.edit_command, menu=False),  # belongs in a photo's caption
    Command("video", video.video_command),
    Command("tts", image_commands.tts_command),
    Command("voice", image_commands.voice_command),
    Command("settings", settings_menu.settings_command),
    Command("usage", usage.usage_command),
    Command("forget", forget.forget_command),
    # for admins: not in the menu
    Command("stats", usage.stats_command, menu=False),
    Command("allow", admin.allow_command, menu=False),
    Command("deny", admin.deny_command, menu=False),
    Command("users", admin.users_command, menu=False),
    Command("limit", admin.limit_command, menu=False),
    Command("balance", balance.balance_command, menu=False),
)
COMMANDS = tuple(command.name for command in COMMAND_TABLE if command.menu)  # the menu, in order


# Edits of old messages are not new questions.
NEW_MESSAGES = filters.UpdateType.MESSAGE


def register(app: BotApplication) -> None:
    app.add_handler(TypeHandler(Update, gate), group=-2)
    # A reply to the rename question of /history is the conversation's new title (before the Midjourney one).
    app.add_handler(MessageHandler(NEW_MESSAGES & history.rename_reply_filter(), history.rename_reply), group=-1)
    # A reply to a Midjourney prompt question is that task's prompt, not a chat message.
    app.add_handler(
        MessageHandler(NEW_MESSAGES & filters.REPLY & filters.TEXT & ~filters.COMMAND, imagine.prompt_reply), group=-1
    )
    for command in COMMAND_TABLE:
        app.add_handler(CommandHandler(command.name, command.callback, filters=NEW_MESSAGES))
    app.add_handler(MessageHandler(NEW_MESSAGES & filters.COMMAND, commands.unknown_command))
    app.add_handler(MessageHandler(NEW_MESSAGES & filters.TEXT & ~filters.COMMAND, on_text))
    app.add_handler(MessageHandler(NEW_MESSAGES & (filters.PHOTO | filters.Document.IMAGE), photos.on_photo))
    app.add_handler(MessageHandler(NEW_MESSAGES & (filters.VOICE | filters.AUDIO | filters.VIDEO_NOTE), voice.on_voice))
    app.add_handler(MessageHandler(NEW_MESSAGES & filters.Document.ALL, documents.on_document))
    app.add_handler(CallbackQueryHandler(buttons.stop_button, pattern=callback_data.STOP_PATTERN))
    app.add_handler(CallbackQueryHandler(imagine.mj_button, pattern=callback_data.MJ_PATTERN))
    app.add_handler(CallbackQueryHandler(video.again_button, pattern=callback_data.VIDEO_PATTERN))
    app.add_handler(CallbackQueryHandler(settings_menu.settings_button, pattern=callback_data.SETTINGS_PATTERN))
    app.add_handler(CallbackQueryHandler(model.model_button, pattern=callback_data.MODEL_PATTERN))
    app.add_handler(CallbackQueryHandler(recovery.retry_button, pattern=callback_data.RETRY_PATTERN))
    app.add_handler(CallbackQueryHandler(history.history_button, pattern=callback_data.HISTORY_PATTERN))
    app.add_handler(CallbackQueryHandler(forget.forget_button, pattern=callback_data.FORGET_PATTERN))
    app.add_handler(CallbackQueryHandler(inline.inline_stop_button, pattern=callback_data.INLINE_STOP_PATTERN))
    app.add_handler(InlineQueryHandler(inline.on_inline_query))
    app.add_handler(ChosenInlineResultHandler(inline.on_chosen_inline_result))
    app.add_handler(CallbackQueryHandler(buttons.unknown_button))
    app.add_error_handler(on_error)
