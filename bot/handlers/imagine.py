"""/imagine, /seed, Midjourney buttons and the prompts MODAL tasks ask for."""

from __future__ import annotations

import logging

from telegram import ForceReply, Message, ReplyParameters, Update
from telegram.ext import ApplicationHandlerStop

from bot.context import BotContext
from bot.core.mj.events import MjFile, MjLimited, MjNeedsPrompt, MjOutcome, MjRefused, MjSeed, MjStarted
from bot.core.mj.service import NOT_YOURS
from bot.i18n import t
from bot.render import callback_data
from bot.render.errors import limit_text
from bot.render.mj import MjRenderer, button_label, refusal_text
from storage import MjTaskRow

from .common import chat_key, command_argument, language

log = logging.getLogger(__name__)


async def imagine_command(update: Update, context: BotContext) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    lang = language(update, context)
    prompt = command_argument(message)
    if not prompt:
        await message.reply_text(t(lang, "mj.usage"))
        return
    outcome = await context.services.mj.imagine(chat_key(update), user.id, lang, prompt, message.message_id)
    await show_outcome(context, message, lang, outcome)


async def show_outcome(
    context: BotContext, message: Message, lang: str, outcome: MjOutcome, label: str = ""
) -> None:
    """What a submit or press led to, shown where the user acted."""
    renderer = MjRenderer(context.bot)
    if isinstance(outcome, MjStarted):
        message_id = await renderer.send_progress(outcome.task)
        await context.services.mj.progress_message_sent(outcome.task, message_id)
    elif isinstance(outcome, MjNeedsPrompt):
        await ask_for_prompt(context, outcome.task, label)
    elif isinstance(outcome, MjRefused):
        await message.reply_text(refusal_text(lang, outcome), do_quote=True)
    elif isinstance(outcome, MjSeed):
        await message.reply_text(t(lang, "mj.seed", seed=outcome.seed), do_quote=True)
    elif isinstance(outcome, MjFile):
        await renderer.send_image(outcome.task, outcome.image, outcome.content_type, as_file=True)
    elif isinstance(outcome, MjLimited):
        await message.reply_text(limit_text(lang, outcome.reached), do_quote=True)


async def ask_for_prompt(context: BotContext, task: MjTaskRow, label: str = "") -> None:
    """MODAL: ask with a force-reply; the answer goes to /mj/submit/modal."""
    name = label or task.action.replace("_", " ").title()
    question = await context.bot.send_message(
        task.chat.chat_id,
        t(task.lang, "mj.ask_prompt", label=name),
        message_thread_id=task.chat.thread_id or None,
        reply_parameters=ReplyParameters(task.reply_to, allow_sending_without_reply=True) if task.reply_to else None,
        reply_markup=ForceReply(selective=True, input_field_placeholder=t(task.lang, "mj.prompt_placeholder")),
    )
    await context.services.mj.asked_for_prompt(task, question.message_id)


async def mj_button(update: Update, context: BotContext) -> None:
    """`mj:<button row id>`: the long customId stays in the database."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or query.data is None:
        return
    lang = language(update, context)
    message = query.message if isinstance(query.message, Message) else None
    svc = context.services
    button_id = callback_data.parse_mj(query.data)
    if button_id is None or message is None:
        await query.answer(t(lang, "button.unknown"))
        return
    press = await svc.mj.claim_press(button_id, user.id, svc.access.is_admin(user.id))
    if isinstance(press, MjRefused):
        await query.answer(refusal_text(lang, press)[:200], show_alert=press.kind == NOT_YOURS)
        return
    # Answered at once (queries expire in seconds); the submit may take longer.
    await query.answer(t(lang, "mj.started_action", label=button_label(press.button)))
    outcome = await svc.mj.run_press(press, message.message_id)
    await show_outcome(context, message, lang, outcome, button_label(press.button))


async def seed_command(update: Update, context: BotContext) -> None:
    message = update.effective_message
    if message is None:
        return
    lang = language(update, context)
    replied = message.reply_to_message
    svc = context.services
    task = await svc.mj.task_for_result(message.chat_id, replied.message_id) if replied else None
    if task is None:
        await message.reply_text(t(lang, "mj.seed_usage"))
        return
    await show_outcome(context, message, lang, await svc.mj.seed_for(task))


async def prompt_reply(update: Update, context: BotContext) -> None:
    """A reply to a MODAL task's question is its prompt; anything else goes on to the chat."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or message.reply_to_message is None or not message.text:
        return
    svc = context.services
    task = await svc.mj.waiting_for_prompt(message.chat_id, message.reply_to_message.message_id)
    if task is None:
        return
    lang = language(update, context)
    if task.user_id != user.id and not svc.access.is_admin(user.id):
        await message.reply_text(t(lang, "mj.not_yours"))
        raise ApplicationHandlerStop
    outcome = await svc.mj.submit_prompt(task, message.text.strip())
    await show_outcome(context, message, lang, outcome)
    raise ApplicationHandlerStop
