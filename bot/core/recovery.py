"""After a crash: find the questions whose answer never reached the chat, and decide what each one gets.

Choices (for every conversation whose last message is younger than RECOVERY_WINDOW):
- the last message is the user's (their turn never started, so no request reached the gateway):
  it is answered now;
- the answer was being written and is younger than ANSWER_AGAIN_WITHIN: the user is most likely
  still waiting, so it is answered again (one more request);
- the answer was being written longer ago: the user is told it was interrupted, with what had
  been said so far and a 🔄 button — paying again for an answer nobody may want is the owner's
  money, the button leaves it to the user;
- the answer was complete (or its error known) but never shown: it is sent from the database.
Each decision is written before it is acted on, so a crash during recovery never does a thing
twice, and a conversation the user has moved past (a newer message) is never touched.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from enum import StrEnum

from storage import ChatKey, MessageStatus, Storage, Unfinished

log = logging.getLogger(__name__)

RECOVERY_WINDOW = 3600.0  # seconds: older unanswered questions are left alone
ANSWER_AGAIN_WITHIN = 120.0  # seconds: an answer cut off this recently is made again


class RecoveryKind(StrEnum):
    ANSWER = "answer"  # a question that never got a turn
    ANSWER_AGAIN = "answer_again"  # an answer cut off moments ago
    INTERRUPTED = "interrupted"  # an answer cut off a while ago: tell the user, offer 🔄
    RESEND = "resend"  # an answer stored but not shown


@dataclass(frozen=True, slots=True)
class RecoveryStep:
    kind: RecoveryKind
    chat: ChatKey
    user_id: int
    lang: str
    reply_to: int | None  # the user's message (groups reply to it)
    answer_id: int | None = None  # the stored answer row (INTERRUPTED, RESEND)
    text: str = ""  # what the answer said (RESEND), or had said when it was cut off (INTERRUPTED)
    previews: tuple[int, ...] = ()  # messages a live preview left in the chat (⏹ and a cursor)
    failed: bool = False  # RESEND of an answer that had failed: only the error is left to say


async def plan_recovery(
    storage: Storage,
    default_lang: str = "en",
    now: float | None = None,
    *,
    started: float | None = None,
    skip: Callable[[ChatKey], Awaitable[bool]] | None = None,
) -> list[RecoveryStep]:
    """What to do for each unfinished question, already recorded in the database.

    `started`: when this process began taking updates. A conversation whose last message is newer is this
    process's own live turn (a question just asked, an answer being written), never a crash's leftover.
    `skip`: chats left alone because a live process is working on them (several processes: its lease).
    """
    now = time.time() if now is None else now
    conversations = storage.conversations
    closed = await conversations.close_pending(before=now - RECOVERY_WINDOW)
    if closed:
        log.info("%d answer(s) cut off more than an hour ago were closed", closed)
    steps: list[RecoveryStep] = []
    for unfinished in await conversations.unfinished(since=now - RECOVERY_WINDOW):
        if started is not None and unfinished.last.created_at >= started:
            continue
        if skip is not None and await skip(unfinished.chat):
            continue
        step = await _decide(storage, unfinished, default_lang, now)
        if step is not None:
            steps.append(step)
    return steps


async def _decide(storage: Storage, unfinished: Unfinished, default_lang: str, now: float) -> RecoveryStep | None:
    last, question = unfinished.last, unfinished.question
    if question is None or question.user_id is None:
        return None
    answer = RecoveryStep(
        RecoveryKind.ANSWER, unfinished.chat, question.user_id, question.lang or default_lang, question.tg_message_id
    )
    if last.role == "user":
        return answer
    found = replace(answer, answer_id=last.id, text=last.content, previews=last.tg_reply_ids)
    if last.status == MessageStatus.PENDING:
        if now - last.created_at < ANSWER_AGAIN_WITHIN:
            await storage.conversations.supersede(last.id)  # the new turn answers the question again
            return replace(found, kind=RecoveryKind.ANSWER_AGAIN, answer_id=None)
        status = MessageStatus.PARTIAL if last.content.strip() else MessageStatus.FAILED
        await storage.conversations.finish_answer(last.id, last.content, status, token_estimate=last.token_estimate)
        return replace(found, kind=RecoveryKind.INTERRUPTED)
    if last.status == MessageStatus.FAILED or not last.content.strip():
        return replace(found, kind=RecoveryKind.INTERRUPTED, failed=True)
    return replace(found, kind=RecoveryKind.RESEND)
