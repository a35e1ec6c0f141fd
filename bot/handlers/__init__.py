"""python-telegram-bot handlers, one module per feature. Thin: they call core and render."""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChosenInlineResultHandler,
    CommandHandler,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.render import callback_data

from . import (
    admin,
    balance,
    buttons,
    commands,
    documents,
    history,
    image_commands,
    imagine,
    inline,
    mj_photos,
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

COMMANDS = (
    "start",
    "help",
    "new",
    "history",
    "export",
    "find",
    "model",
    "system",
    "stop",
    "retry",
    "imagine",
    "blend",
    "describe",
    "seed",
    "image",
    "video",
    "tts",
    "voice",
    "settings",
    "usage",
)


# Edits of old messages are not new questions.
NEW_MESSAGES = filters.UpdateType.MESSAGE


def register(app: Application) -> None:
    app.add_handler(TypeHandler(Update, gate), group=-2)
    # A reply to the rename question of /history is the conversation's new title (before the Midjourney one).
    app.add_handler(MessageHandler(NEW_MESSAGES & history.rename_reply_filter(), history.rename_reply), group=-1)
    # A reply to a Midjourney prompt question is that task's prompt, not a chat message.
    app.add_handler(
        MessageHandler(NEW_MESSAGES & filters.REPLY & filters.TEXT & ~filters.COMMAND, imagine.prompt_reply), group=-1
    )
    command_handlers = {
        "start": commands.start,
        "help": commands.help_command,
        "new": commands.new,
        "history": history.history_command,
        "export": history.export_command,
        "find": history.find_command,
        "model": model.model_command,
        "system": commands.system,
        "stop": commands.stop,
        "retry": commands.retry,
        "imagine": imagine.imagine,
        "seed": imagine.seed,
        "describe": mj_photos.describe_command,
        "blend": mj_photos.blend_command,
        "image": image_commands.image,
        "edit": image_commands.edit_command,
        "video": video.video_command,
        "tts": image_commands.tts,
        "voice": image_commands.voice,
        "settings": settings_menu.settings_command,
        "usage": usage.usage,
        "stats": usage.stats,
        "allow": admin.allow,
        "deny": admin.deny,
        "users": admin.users,
        "limit": admin.limit,
        "balance": balance.balance,
    }
    for name, callback in command_handlers.items():
        app.add_handler(CommandHandler(name, callback, filters=NEW_MESSAGES))
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
    app.add_handler(CallbackQueryHandler(inline.inline_stop_button, pattern=callback_data.INLINE_STOP_PATTERN))
    app.add_handler(InlineQueryHandler(inline.on_inline_query))
    app.add_handler(ChosenInlineResultHandler(inline.on_chosen_inline_result))
    app.add_handler(CallbackQueryHandler(buttons.unknown_button))
    app.add_error_handler(on_error)
