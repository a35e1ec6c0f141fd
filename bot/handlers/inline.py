"""Inline mode: `@bot question` in any chat offers one result; choosing it streams the answer into that message.

Nothing is paid for while the user types: the query gets one result ("Ask <model>: question") and the
answer is made only when Telegram reports the result chosen (`chosen_inline_result`, which needs inline
feedback on in BotFather). The result carries a ⏹ keyboard, so the sent message has an
`inline_message_id` the answer can be edited into. The answer runs in the turn queue like any turn (a
graceful stop reaches it), is stored in no conversation, and counts against the owner's daily limits.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncIterator

from telegram import (
    Bot,
    InlineQuery,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    Update,
)
from telegram.error import BadRequest, TelegramError

from bot.context import BotApplication, BotContext
from bot.core.events import AnswerDelta, LimitHit, ReasoningUpdate, Sources, ToolStep, TurnDone, TurnEvent, TurnFailed
from bot.core.inline import inline_question
from bot.core.turn_queue import Job
from bot.i18n import pick_language, t
from bot.render.compose import AnswerView, compose, step_label
from bot.render.errors import failure_text, limit_text
from bot.render.inline import InlineStream, InlineText, inline_stop_keyboard
from bot.render.markdown import Chunk
from bot.render.telegram_io import clip
from bot.wiring import Services
from storage import ChatKey

from .answers import _note

log = logging.getLogger(__name__)

CACHE_SECONDS = 5  # how long Telegram may reuse our answer to the same query of the same user
STRANGER_CACHE_SECONDS = 60
TITLE_CHARS = 120
ACCESS_START = "access"  # the /start parameter of the "how to get access" button
HINT_START = "inline"


def _result_id(question: str) -> str:
    """Unique per question, 42 ASCII bytes (Telegram allows 64); the question itself comes back with the choice."""
    return "ask:" + hashlib.sha256(question.encode()).hexdigest()[:38]


async def on_inline_query(update: Update, context: BotContext) -> None:
    """One "Ask <model>" result for an allowed user's question (nothing is asked of the gateway yet)."""
    query = update.inline_query
    if query is None:
        return
    lang = pick_language(query.from_user.language_code)
    question = inline_question(query.query)
    if not question:
        button = InlineQueryResultsButton(t(lang, "inline.hint_button"), start_parameter=HINT_START)
        await _answer(query, [], button=button, cache_time=CACHE_SECONDS)
        return
    svc = context.services
    model = await svc.conversations.model_for(ChatKey(query.from_user.id))
    result = InlineQueryResultArticle(
        _result_id(question),
        clip(t(lang, "inline.title", model=model, question=question), TITLE_CHARS),
        InputTextMessageContent(t(lang, "inline.pending", model=model, question=question)),
        reply_markup=inline_stop_keyboard(t(lang, "stop.button")),
        description=t(lang, "inline.description"),
    )
    await _answer(query, [result], cache_time=CACHE_SECONDS)


async def refuse_inline_query(query: InlineQuery) -> None:
    """A stranger's inline query: no results, a button that opens the bot (where /start says how to get access)."""
    lang = pick_language(query.from_user.language_code)
    button = InlineQueryResultsButton(t(lang, "inline.access_button"), start_parameter=ACCESS_START)
    await _answer(query, [], button=button, cache_time=STRANGER_CACHE_SECONDS)


async def _answer(
    query: InlineQuery,
    results: list[InlineQueryResultArticle],
    *,
    cache_time: int,
    button: InlineQueryResultsButton | None = None,
) -> None:
    try:
        await query.answer(results, cache_time=cache_time, is_personal=True, button=button)
    except BadRequest as error:  # the user typed on (a newer query replaces this one) or we were too slow
        log.info("inline query not answered: %s", error.message)


async def on_chosen_inline_result(update: Update, context: BotContext) -> None:
    """The user sent our result: answer the question into its inline message, in the turn queue."""
    chosen = update.chosen_inline_result
    if chosen is None or not chosen.result_id.startswith("ask:"):
        return
    message_id, question = chosen.inline_message_id, inline_question(chosen.query)
    if message_id is None or not question:
        log.info("chosen inline result without a message to edit or a question")
        return
    svc = context.services
    user_id, lang = chosen.from_user.id, pick_language(chosen.from_user.language_code)
    run = svc.inline_runs.start(message_id, user_id)
    if run is None:
        if svc.inline_runs.get(message_id) is None:  # the user's other inline answers are still running
            await _show_plain(context.bot, message_id, t(lang, "inline.busy"))
        return
    job = inline_job(context.application, message_id, question, user_id, lang)
    svc.turn_queue.submit(run.key, job, kind="inline")
    if not svc.turn_queue.busy(run.key):  # the queue is closed (shutting down): the job will never run
        svc.inline_runs.end(message_id)


def inline_job(application: BotApplication, message_id: str, question: str, user_id: int, lang: str) -> Job:
    """The queued work of one inline answer; the run ends with it (however it ends)."""
    svc = application.bot_data.services
    bot = application.bot

    async def job() -> None:
        run = svc.inline_runs.get(message_id)
        try:
            if run is None:
                return
            with svc.turns.running(run.key, user_id) as stop:
                events = svc.conversations.answer_once(ChatKey(user_id), user_id, question, stop)
                await render_inline(svc, bot, message_id, lang, events, run.key, stop)
        except Exception:
            log.exception("an inline answer failed")
        finally:
            svc.inline_runs.end(message_id)

    return job


async def render_inline(
    svc: Services,
    bot: Bot,
    message_id: str,
    lang: str,
    events: AsyncIterator[TurnEvent],
    key: ChatKey,
    stop: asyncio.Event,
) -> None:
    """Stream an answer's events into the inline message and leave the answer (or a clear error) there."""
    stream = InlineStream(
        InlineText(bot, message_id),
        interval=svc.settings.stream_interval_group,
        markup=inline_stop_keyboard(t(lang, "stop.button")),
        cut_note=t(lang, "inline.cut"),
    )
    stream.on_gone = stop.set  # deleted while being written: the gateway request is closed at once
    stream.start()
    view = AnswerView()
    try:
        async for event in events:
            if isinstance(event, AnswerDelta | ReasoningUpdate | ToolStep | Sources):
                _note(view, event, lang)
                stream.push(lambda: compose(view, lang, streaming=True))
            elif isinstance(event, TurnDone):
                await stream.finish(*_done(svc, view, event, lang, key))
            elif isinstance(event, TurnFailed):
                notes = [failure_text(lang, event)]
                await stream.finish(compose(AnswerView(answer=event.text), lang), notes)
            elif isinstance(event, LimitHit):
                await stream.finish(("", []), [limit_text(lang, event.reached)])
    finally:
        await stream.close()


def _done(svc: Services, view: AnswerView, event: TurnDone, lang: str, key: ChatKey) -> tuple[Chunk, list[str]]:
    view.answer = event.text
    view.reasoning = event.reasoning
    view.steps = [step_label(lang, name, detail) for name, detail in event.steps]
    view.sources = list(event.sources)
    notes: list[str] = []
    if event.partial:
        notes.append(t(lang, "interrupted.suffix" if svc.turns.was_interrupted(key) else "stopped.suffix"))
    if svc.settings.show_usage_footer and not event.partial:
        notes.append(f"— {event.model} · {event.prompt_tokens}+{event.completion_tokens} tokens")
    return compose(view, lang), notes


async def _show_plain(bot: Bot, message_id: str, text: str) -> None:
    try:
        await InlineText(bot, message_id).edit(text, [])
    except TelegramError as error:
        log.info("could not edit the inline message: %s", error)


async def inline_stop_button(update: Update, context: BotContext) -> None:
    """⏹ on an inline answer: only its owner (or an admin) stops it."""
    query = update.callback_query
    if query is None:
        return
    lang = pick_language(query.from_user.language_code)
    svc = context.services
    run = svc.inline_runs.get(query.inline_message_id or "")
    stopped = (
        False
        if run is None
        else svc.turns.stop(run.key, query.from_user.id, may_stop_any=svc.access.is_admin(query.from_user.id))
    )
    key = "stop.not_yours" if stopped is None else "stop.done" if stopped else "stop.nothing"
    await query.answer(t(lang, key), show_alert=stopped is None)
