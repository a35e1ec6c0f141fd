"""Starting Midjourney work: imagine, blend, describe, button presses, prompts for MODAL tasks."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.wenwen import WenwenError
from bot.wenwen.mj import MidjourneyClient, MjSubmitError
from storage import ChatKey, MjButtonRow, MjStatus, MjTaskRepository, MjTaskRow
from storage.mj import mj_task, new_payload

from ..tasks.engine import TaskEngine
from ..tasks.events import TaskLimited, TaskRefused, TaskWaiting
from .buttons import DESCRIBE_PREFIX, FILE, SEED, action_of, parse_describe_prompts, video_motion
from .events import MjFile, MjLimited, MjNeedsPrompt, MjOutcome, MjRefused, MjSeed, MjStarted
from .kind import MjSubmit
from .media import image_data_url, result_image

log = logging.getLogger("bot.mj")

UNKNOWN_BUTTON = "unknown_button"
NOT_YOURS = "not_yours"
ALREADY_PRESSED = "already_pressed"
NOT_WAITING = "not_waiting"
UNREADABLE_IMAGE = "unreadable_image"  # the task's image could not be made into an input for the next step
BLEND_DIMENSIONS = {"portrait": "PORTRAIT", "square": "SQUARE", "landscape": "LANDSCAPE"}


@dataclass(frozen=True, slots=True)
class MjPress:
    """A press that passed the checks and holds its button (double taps start nothing)."""

    button: MjButtonRow
    parent: MjTaskRow
    user_id: int


class MidjourneyService:
    def __init__(self, client: MidjourneyClient, tasks: MjTaskRepository, engine: TaskEngine) -> None:
        self._client = client
        self._tasks = tasks
        self._engine = engine  # Midjourney's task engine (`MjPoller.engine`): the same rows, the same life cycle

    async def _start(
        self,
        chat: ChatKey,
        user_id: int,
        lang: str,
        action: str,
        prompt: str,
        submit: MjSubmit,
        *,
        parent_id: int | None = None,
        reply_to: int | None = None,
    ) -> MjOutcome:
        """Charge, row, then one submit (the task engine's `start`): after a crash the row shows the call may have
        gone out."""
        outcome = await self._engine.start(
            chat, user_id, lang, new_payload(action, prompt), reply_to=reply_to, parent_id=parent_id, inputs=submit
        )
        if isinstance(outcome, TaskLimited):
            return MjLimited(outcome.reached)
        if isinstance(outcome, TaskRefused):
            banned = outcome.error.banned_word if isinstance(outcome.error, MjSubmitError) else None
            log.info("mj %s refused: %s", action, outcome.error or outcome.message)
            return MjRefused(outcome.kind, outcome.message, banned, outcome.request_id)
        task = mj_task(outcome.task)
        return MjNeedsPrompt(task) if isinstance(outcome, TaskWaiting) else MjStarted(task)

    async def imagine(
        self,
        chat: ChatKey,
        user_id: int,
        lang: str,
        prompt: str,
        reply_to: int | None,
        images: list[str] | None = None,
    ) -> MjOutcome:
        """`images` (data URLs) are image prompts: sent as `base64Array` with the prompt."""
        return await self._start(
            chat,
            user_id,
            lang,
            "IMAGINE",
            prompt,
            lambda state: self._client.imagine(prompt, state=state, images=images),
            reply_to=reply_to,
        )

    async def edits(
        self, chat: ChatKey, user_id: int, lang: str, prompt: str, image: str, reply_to: int | None
    ) -> MjOutcome:
        return await self._start(
            chat,
            user_id,
            lang,
            "EDITS",
            prompt,
            lambda state: self._client.edits(prompt, image, state=state),
            reply_to=reply_to,
        )

    async def swap_face(
        self, chat: ChatKey, user_id: int, lang: str, face: str, target: str, reply_to: int | None
    ) -> MjOutcome:
        """The face in `face` onto the person in `target` (data URLs)."""
        return await self._start(
            chat,
            user_id,
            lang,
            "SWAP_FACE",
            "/faceswap",
            lambda state: self._client.swap_face(face, target, state=state),
            reply_to=reply_to,
        )

    async def _video(self, parent: MjTaskRow, user_id: int, motion: str, reply_to: int | None) -> MjOutcome:
        """A video of a finished task's image (`/mj/submit/video`; new-api refuses the Animate buttons as actions)."""
        try:
            data, _ = await result_image(self._client, parent)
        except WenwenError as error:
            return MjRefused(error.kind, error.message, None, error.request_id)
        image = await image_data_url(data)
        if image is None:
            return MjRefused(UNREADABLE_IMAGE)
        prompt = parent.final_prompt or parent.prompt
        return await self._start(
            parent.chat,
            user_id,
            parent.lang,
            "VIDEO",
            prompt,
            lambda state: self._client.video(prompt, image, motion, state=state),
            parent_id=parent.id,
            reply_to=reply_to,
        )

    async def blend(
        self, chat: ChatKey, user_id: int, lang: str, images: list[str], dimensions: str, reply_to: int | None
    ) -> MjOutcome:
        wire = BLEND_DIMENSIONS.get(dimensions.lower(), "SQUARE")
        return await self._start(
            chat,
            user_id,
            lang,
            "BLEND",
            f"/blend {len(images)} images ({wire.lower()})",
            lambda state: self._client.blend(images, wire, state=state),
            reply_to=reply_to,
        )

    async def describe(self, chat: ChatKey, user_id: int, lang: str, image: str, reply_to: int | None) -> MjOutcome:
        return await self._start(
            chat,
            user_id,
            lang,
            "DESCRIBE",
            "/describe",
            lambda state: self._client.describe(image, state=state),
            reply_to=reply_to,
        )

    async def claim_press(self, button_id: int, user_id: int, is_admin: bool) -> MjPress | MjRefused:
        """The quick checks of a press (no gateway call), so the press can be answered at once."""
        button = await self._tasks.button(button_id)
        parent = await self._tasks.get(button.task_row) if button else None
        if button is None or parent is None or parent.task_id is None:
            return MjRefused(UNKNOWN_BUTTON)
        if parent.user_id != user_id and not is_admin:
            return MjRefused(NOT_YOURS)
        if button.custom_id not in (SEED, FILE) and not await self._tasks.claim_button(button.id):
            return MjRefused(ALREADY_PRESSED)
        return MjPress(button, parent, user_id)

    async def run_press(self, press: MjPress, reply_to: int | None) -> MjOutcome:
        """Start what a claimed press asks for; the long customId never left the database."""
        button, parent = press.button, press.parent
        if button.custom_id == SEED:
            return await self._seed(parent)
        if button.custom_id == FILE:
            return await self._file(parent)
        motion = video_motion(button.custom_id)
        if motion is not None:
            outcome = await self._video(parent, press.user_id, motion, reply_to)
        elif button.custom_id.startswith(DESCRIBE_PREFIX):
            prompts = parse_describe_prompts(parent.final_prompt)
            index = int(button.custom_id.removeprefix(DESCRIBE_PREFIX))
            outcome = (
                await self.imagine(parent.chat, press.user_id, parent.lang, prompts[index], reply_to)
                if index < len(prompts)
                else MjRefused(UNKNOWN_BUTTON)
            )
        else:
            task_id, custom_id = parent.task_id or "", button.custom_id
            outcome = await self._start(
                parent.chat,
                press.user_id,
                parent.lang,
                action_of(custom_id),
                parent.final_prompt or parent.prompt,
                lambda state: self._client.action(task_id, custom_id, state=state),
                parent_id=parent.id,
                reply_to=reply_to,
            )
        if isinstance(outcome, MjRefused | MjLimited):
            await self._tasks.release_button(button.id)  # nothing started: the user may press again
        return outcome

    async def _seed(self, task: MjTaskRow) -> MjOutcome:
        try:
            return MjSeed(await self._client.image_seed(task.task_id or ""))
        except WenwenError as error:
            return MjRefused(error.kind, error.message, None, error.request_id)

    async def _file(self, task: MjTaskRow) -> MjOutcome:
        try:
            image, content_type = await result_image(self._client, task)
        except WenwenError as error:
            return MjRefused(error.kind, error.message, None, error.request_id)
        return MjFile(task, image, content_type)

    async def seed_for(self, task: MjTaskRow | None) -> MjOutcome:
        if task is None or task.task_id is None:
            return MjRefused(UNKNOWN_BUTTON)
        return await self._seed(task)

    async def task_for_result(self, chat_id: int, message_id: int) -> MjTaskRow | None:
        return await self._tasks.by_result_message(chat_id, message_id)

    async def waiting_for_prompt(self, chat_id: int, message_id: int) -> MjTaskRow | None:
        """The MODAL task whose prompt question `message_id` is, if any."""
        return await self._tasks.by_modal_message(chat_id, message_id)

    async def asked_for_prompt(self, task: MjTaskRow, message_id: int) -> None:
        await self._tasks.update(task.id, modal_message_id=message_id)

    async def submit_prompt(self, task: MjTaskRow, prompt: str) -> MjOutcome:
        """The user's answer to a MODAL task: `/mj/submit/modal` with the same task id."""
        if not await self._tasks.claim(task.id, (MjStatus.MODAL,), MjStatus.SUBMITTING):
            return MjRefused(NOT_WAITING)
        try:
            submitted = await self._client.modal(task.task_id or "", prompt)
        except WenwenError as error:
            await self._tasks.update(task.id, status=MjStatus.MODAL)  # the question stays open
            return MjRefused(error.kind, error.message, None, error.request_id)
        await self._tasks.update(task.id, status=MjStatus.SUBMITTED, task_id=submitted.task_id, prompt=prompt)
        updated = await self._tasks.get(task.id)
        assert updated is not None
        return MjStarted(updated)

    async def progress_message_sent(self, task: MjTaskRow, message_id: int, is_photo: bool = False) -> None:
        await self._tasks.update(task.id, progress_message_id=message_id, progress_is_photo=int(is_photo))
