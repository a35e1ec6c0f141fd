"""A bare PTB echo bot: the baseline of "CPU per message" in `benchmarks/busy_hour.py --bot echo`.

    TELEGRAM_BOT_TOKEN=123:abc TELEGRAM_API_URL=http://127.0.0.1:8081 python benchmarks/echo_bot.py

`ApplicationBuilder` with PTB's defaults, except concurrent updates (the wenwen bot handles chats
concurrently too), and one `MessageHandler` that answers each text message with one `send_message`
of the same text. No rate limiter, no storage, no gateway: what any PTB bot pays per message.
"""

from __future__ import annotations

import os

from telegram import Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes, MessageHandler, filters


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is not None and message.text:
        await context.bot.send_message(message.chat_id, message.text)


def build(token: str, api_url: str) -> Application:  # type: ignore[type-arg]
    app = (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{api_url}/bot")
        .base_file_url(f"{api_url}/file/bot")
        .concurrent_updates(True)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))
    return app


def main() -> None:
    app = build(os.environ["TELEGRAM_BOT_TOKEN"], os.environ["TELEGRAM_API_URL"].rstrip("/"))
    app.run_polling(allowed_updates=[Update.MESSAGE])


if __name__ == "__main__":
    main()
