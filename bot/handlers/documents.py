"""Documents (PDF, DOCX, text and code files): their text is read and they are answered as a chat turn."""

from __future__ import annotations

import logging

from telegram import Document, Update
from telegram.constants import ChatAction
from telegram.error import BadRequest

from bot.context import BotContext
from bot.core.conversation import UserTurn
from bot.core.documents import Cut, DocumentError, DocumentKind, Problem, document_kind
from bot.core.sizes import TELEGRAM_DOWNLOAD_LIMIT
from bot.i18n import t
from storage import StoredDocument

from .addressing import addressed_text, quote_of
from .chat import run_chat_turn
from .common import chat_key, language, reply
from .media_io import chat_action, telegram_image_fetcher
from .photos import on_other_file
from .voice import recording

log = logging.getLogger(__name__)

PROBLEM_KEYS = {
    Problem.SCANNED: "document.scanned",
    Problem.ENCRYPTED: "document.encrypted",
    Problem.EMPTY: "document.empty",
    Problem.NOT_TEXT: "file.unsupported",
    Problem.UNREADABLE: "document.unreadable",
}
UNNAMED = {"pdf": "document.pdf", "docx": "document.docx", "text": "file.txt"}


async def on_document(update: Update, context: BotContext) -> None:
    """A readable document is a turn (in groups only when addressed); other files get what photos says."""
    message, user = update.effective_message, update.effective_user
    document = message.document if message else None
    kind = document_kind(document.file_name, document.mime_type) if document else None
    if message is None or user is None or document is None or kind is None or recording(message) is not None:
        await on_other_file(update, context)
        return
    caption = addressed_text(message, context.bot.username, context.bot.id)
    if caption is None:
        return  # a group's file not meant for the bot
    if document.file_size and document.file_size > TELEGRAM_DOWNLOAD_LIMIT:
        await reply(update, context, "file.too_big")
        return
    lang = language(update, context)
    text = caption.strip() or t(lang, "document.default_prompt")
    stored = _stored(document, kind)
    await chat_action(update, context, ChatAction.TYPING)
    svc = context.services
    try:
        read = await svc.conversations.documents.first_read(
            chat_key(update), text, stored, telegram_image_fetcher(context.bot)
        )
    except DocumentError as error:
        log.info("document %s not read: %s", stored.file_id, error)
        await reply(update, context, PROBLEM_KEYS[error.problem], name=stored.name)
        return
    except BadRequest as error:  # no file_size given, and Telegram refuses the download
        if "too big" not in error.message.lower():
            raise
        await reply(update, context, "file.too_big")
        return
    if read.cut is not None:
        await _tell_cut(update, context, stored.name, read.cut)
    turn = UserTurn(
        chat_key(update),
        user.id,
        text,
        message.message_id,
        quote_of(message),
        lang=lang,
        documents=(stored,),
        document_tokens=read.tokens,
    )
    await run_chat_turn(update, context, turn)


def _stored(document: Document, kind: DocumentKind) -> StoredDocument:
    name = " ".join((document.file_name or "").split()) or UNNAMED[kind]
    return StoredDocument(document.file_id, name, kind)


async def _tell_cut(update: Update, context: BotContext, name: str, cut: Cut) -> None:
    if cut.pages_read is not None and cut.pages is not None:
        left = cut.pages - cut.pages_read
        await reply(update, context, "document.cut_pages", name=name, kept=cut.pages_read, total=cut.pages, left=left)
    else:
        await reply(update, context, "document.cut", name=name, kept=cut.kept_percent, left=100 - cut.kept_percent)
