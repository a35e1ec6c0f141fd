"""/start, /help, /new, /system, /stop, /retry."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext

from .answers import submit_answer
from .common import chat_key, command_argument, command_name, reply
from .governance import group_admins_only, is_group_admin

MAX_SYSTEM_PROMPT = 4000


async def start_command(update: Update, context: BotContext) -> None:
    user = update.effective_user
    model = await context.services.conversations.model_for(chat_key(update))
    await reply(update, context, "start", name=user.first_name if user else "", model=model)


async def help_command(update: Update, context: BotContext) -> None:
    await reply(update, context, "help")


async def new_command(update: Update, context: BotContext) -> None:
    if not await group_admins_only(update, context):
        return
    svc = context.services
    chat = chat_key(update)
    await svc.conversations.new_conversation(chat)
    await reply(update, context, "new.done", model=await svc.conversations.model_for(chat))


async def system_command(update: Update, context: BotContext) -> None:
    svc = context.services
    chat = chat_key(update)
    message = update.effective_message
    argument = command_argument(message) if message else ""
    if not argument:
        prompt = await svc.conversations.system_prompt(chat)
        if prompt:
            await reply(update, context, "system.current", prompt=prompt, echo_limit=MAX_SYSTEM_PROMPT)
        else:
            await reply(update, context, "system.none")
    elif not await group_admins_only(update, context):
        return
    elif argument.lower() in ("clear", "reset", "off", "清除", "删除"):
        await svc.conversations.set_system_prompt(chat, None)
        await reply(update, context, "system.cleared")
    elif len(argument) > MAX_SYSTEM_PROMPT:
        await reply(update, context, "system.too_long", length=len(argument), limit=MAX_SYSTEM_PROMPT)
    else:
        await svc.conversations.set_system_prompt(chat, argument)
        await reply(update, context, "system.set")


async def stop_command(update: Update, context: BotContext) -> None:
    """Stops the presser's own answer; a group admin may stop anyone's."""
    user = update.effective_user
    if user is None:
        return
    chat, may_stop_any = chat_key(update), await is_group_admin(update, context)
    stopped = context.services.turns.stop(chat, user.id, may_stop_any=may_stop_any)
    if stopped is False:  # not here: another process may be writing it (it reads the request within a second)
        stopped = await context.services.cluster.stop_elsewhere(chat, user.id, may_stop_any=may_stop_any)
    if stopped is None:
        await reply(update, context, "stop.not_yours")
    elif not stopped:
        await reply(update, context, "stop.nothing")


async def retry_command(update: Update, context: BotContext) -> None:
    svc = context.services
    chat = chat_key(update)
    user = update.effective_user
    if user is None:
        return
    if not await svc.conversations.has_history(chat):
        await reply(update, context, "retry.nothing")
        return
    submit_answer(update, context, user.id, retry=True)


async def unknown_command(update: Update, context: BotContext) -> None:
    """A command the bot does not have: point at /help (in groups only when it is addressed to this bot)."""
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None or not message.text:
        return
    command, target = command_name(message)
    if target and target.lower() != (context.bot.username or "").lower():
        return  # another bot's command
    replied = message.reply_to_message
    to_us = bool(target) or (
        replied is not None and replied.from_user is not None and replied.from_user.id == context.bot.id
    )
    if chat.type != "private" and not to_us:
        return
    await reply(update, context, "command.unknown", command=command[:64])
