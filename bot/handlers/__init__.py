"""python-telegram-bot handlers, one module per feature. Thin: they call core and render."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, TypeHandler, filters

from . import buttons, commands, model
from .access import gate
from .chat import on_text
from .errors import on_error

COMMANDS = ("start", "help", "new", "model", "system", "stop", "retry")


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(TypeHandler(Update, gate), group=-1)
    app.add_handler(CommandHandler("start", commands.start))
    app.add_handler(CommandHandler("help", commands.help_command))
    app.add_handler(CommandHandler("new", commands.new))
    app.add_handler(CommandHandler("model", model.model_command))
    app.add_handler(CommandHandler("system", commands.system))
    app.add_handler(CommandHandler("stop", commands.stop))
    app.add_handler(CommandHandler("retry", commands.retry))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, on_text))
    app.add_handler(CallbackQueryHandler(buttons.stop_button, pattern=r"^stop$"))
    app.add_handler(CallbackQueryHandler(model.model_button, pattern=r"^models?:"))
    app.add_handler(CallbackQueryHandler(buttons.unknown_button))
    app.add_error_handler(on_error)
