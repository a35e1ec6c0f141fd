"""Midjourney via new-api (docs/protocols.md, "Gateway: Midjourney endpoints"): ``/mj/submit/*``, ``/mj/task/*`` and the
auth-free ``GET /mj/image/{id}``, also under ``/mj-fast``, ``/mj-relax`` and ``/mj-turbo``.

Three layers are reproduced in order for a submit:

1. the distributor (OpenAI-shaped 400s): body decoded into ``dto.MidjourneyRequest``, the
   action customId mapped (``unknown_action:<customId>``), the ``mj_*`` model looked up (503);
2. new-api's relay (MJ envelope ``{"code":4,"description":"<desc> ","type":"upstream_error"}``):
   ``prompt_is_required``, ``task_not_found``, ``task_status_not_success``;
3. the upstream midjourney-proxy, whose answer is passed through (``text/plain`` — new-api sets no
   Content-Type) with ``"code":22`` → 1 and ``"code":21`` → 1 except for INPAINT/CUSTOM_ZOOM.

Task state advances one stage per poll of the task (fetch or list-by-condition) while
``fake.mj_auto_advance`` is true, and on ``fake.mj_advance()``; see mj_model.py. Test-facing API
lives on :class:`MidjourneyMixin`, a base class of ``FakeWenwen``.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from aiohttp import web

from .errors import GatewayError, ServerStopping, abort_openai, compact_json, json_response
from .gateway import check_model, go_type, unmarshal_error
from .mj_media import image_url as task_image_url
from .mj_media import register as register_media
from .mj_media import swap_relay_error, upstream_error, video_url
from .mj_model import (
    BLEND_RATIOS,
    DEFAULT_FAIL_REASON,
    DISCORD_INSTANCE_ID,
    FOREIGN_OWNER,
    INITIAL,
    MJ_TIMEOUT_REASON,
    MODAL,
    MODAL_ALWAYS,
    REMIX_ACTIONS,
    SELF_OWNER,
    SUBMIT_OK,
    WAITING_MODAL,
    ActionParseError,
    MjTask,
    Stage,
    cover_plus_action,
    describe_text,
    empty_row,
    is_data_url,
    model_name,
    new_task_id,
    png_bytes,
    running_stages,
    short_link,
    shorten_text,
)
from .recording import BODY_KEY, RECORDED_KEY, RecordedRequest
from .state import lazy_state

if TYPE_CHECKING:
    from .server import FakeWenwen

MODE_PREFIXES = ("", "/mj-fast", "/mj-relax", "/mj-turbo")
_STRING_FIELDS = ("prompt", "customId", "botType", "notifyHook", "action", "state", "taskId", "content", "maskBase64")
_DEFAULT_DESCRIPTIONS = {
    1: SUBMIT_OK,
    3: "无可用的账号实例",
    4: "参数错误",
    9: "系统异常",
    21: "任务已存在",
    22: "排队中，前面还有1个任务",
    23: "队列已满，请稍后尝试",
    24: "可能包含敏感词",
}
_SUBMIT_ACTIONS = {
    "imagine": "IMAGINE",
    "blend": "BLEND",
    "describe": "DESCRIBE",
    "shorten": "SHORTEN",
    "modal": "MODAL",
    "edits": "EDITS",
    "video": "VIDEO",
    "swap": "SWAP_FACE",
}


@dataclass
class _Script:
    """One scripted upstream answer (or new-api error) for the next /mj/submit/* request."""

    code: int = 1
    description: str | None = None
    properties: dict[str, Any] | None = None
    status: int = 200
    result: str | None = None
    delay: float = 0.0
    hold: asyncio.Event | None = None
    error: Callable[[web.Request], GatewayError] | None = None


@dataclass
class _MjState:
    tasks: dict[str, MjTask] = field(default_factory=dict)
    scripts: deque[_Script] = field(default_factory=deque)
    failures: deque[tuple[str, int | None]] = field(default_factory=deque)
    list_calls: int = 0
    fetch_calls: int = 0


def normalize_mj_path(path: str) -> str:
    """``getMjRequestPath``: ``/mj-fast/mj/submit/imagine`` → ``/mj/submit/imagine``."""
    if "/mj-" in path and "/mj/" in path:
        return "/mj/" + path.split("/mj/", 1)[1]
    return path


class MidjourneyMixin:
    """The Midjourney scripting/inspection API of ``FakeWenwen`` (all names start with ``mj_``)."""

    mj_auto_advance: bool = True  # one stage per poll (fetch / list-by-condition) of that task
    mj_steps: int = 5  # transitions from "" to SUCCESS: SUBMITTED, 3×IN_PROGRESS, SUCCESS
    mj_progress: Sequence[str] | None = None  # IN_PROGRESS texts, e.g. ("31%", "Waiting…"); overrides mj_steps
    mj_remix: bool = False  # VARIATION/LOW/HIGH_VARIATION/REROLL/PAN go MODAL (answered as code 1)
    mj_image_size: int | None = None  # pad GET /mj/image PNGs to at least this many bytes
    mj_modal_stale: bool = False  # reproduce new-api's duplicate-row quirk after /submit/modal
    mj_validation_status: int = 200  # HTTP status of upstream code-4 validation answers (trueai: 400)
    mj_forward_url: bool = True  # imageUrl is new-api's /mj/image/{id}; False: the upstream CDN's (mj_media.py)
    mj_links_expired: bool = False  # the CDN links answer 404 (GET /mj/image/{id} still works)
    mj_video_buttons: bool = False  # UPSCALE results also offer the V7 Animate (video) buttons

    def _mj(self) -> _MjState:
        return lazy_state(self, "_mj_state", _MjState)

    # ------------------------------------------------------------ inspection
    @property
    def mj_tasks(self) -> dict[str, MjTask]:
        """id → task (the stored new-api row; ``imageUrl`` without ``?rand``), foreign ones included."""
        return self._mj().tasks

    @property
    def mj_list_calls(self) -> int:
        """How many ``POST /mj/task/list-by-condition`` requests reached the handler."""
        return self._mj().list_calls

    @property
    def mj_fetch_calls(self) -> int:
        """How many ``GET /mj/task/{id}/fetch`` requests reached the handler."""
        return self._mj().fetch_calls

    def mj_requests(self, path: str) -> list[RecordedRequest]:
        """Recorded requests to an MJ route, mode prefix ignored: ``mj_requests("/mj/submit/action")``."""
        requests = cast(list[RecordedRequest], cast(Any, self).requests)
        return [r for r in requests if normalize_mj_path(r.path) == path]

    # ------------------------------------------------------------- scripting
    def mj_script_submit(
        self,
        code: int = 1,
        description: str | None = None,
        properties: dict[str, Any] | None = None,
        *,
        status: int = 200,
        result: str | None = None,
        delay: float = 0.0,
        hold: asyncio.Event | None = None,
    ) -> None:
        """The upstream's answer to the next /mj/submit/* request that passes new-api's checks
        (FIFO). 1 and 22 (→ rewritten to 1, description kept) create the task; 21 with
        ``properties={"status":"SUCCESS","imageUrl":…}`` creates an already finished task (buttons
        null), other 21s a MODAL one; any other code (3, 4, 9, 23, 24…) is passed through with
        ``status`` and creates nothing. ``delay``/``hold`` postpone the answer."""
        self._mj().scripts.append(_Script(code, description, properties, status, result, delay, hold))

    def mj_script_error(self, status: int, description: str, *, code: int = 4, openai: bool = False) -> None:
        """The next /mj/submit/* request fails inside new-api: MJ envelope
        ``{"code":code,"description":"<description> ","type":"upstream_error"}`` with ``status``,
        or (``openai=True``) an OpenAI-shaped ``{"error":{…"(request id: …)"}}``."""

        def make(request: web.Request) -> GatewayError:
            if openai:
                return abort_openai(request, status, description)
            return mj_error(description, code=code, status=status)

        self._mj().scripts.append(_Script(error=make))

    def mj_script_failure(self, fail_reason: str = DEFAULT_FAIL_REASON, *, at_step: int | None = None) -> None:
        """The next task submitted (imagine/action/blend/describe/shorten, or a modal) ends in
        FAILURE with this reason and progress "100%": at its terminal stage, or after ``at_step``
        transitions from "" (1 = straight from "" to FAILURE)."""
        self._mj().failures.append((fail_reason, at_step))

    # -------------------------------------------------------------- the clock
    def _mj_select(self, task_id: str | None) -> list[MjTask]:
        tasks = self._mj().tasks
        if task_id is None:
            return list(tasks.values())
        if task_id not in tasks:
            raise KeyError(f"unknown MJ task {task_id!r}")
        return [tasks[task_id]]

    def mj_advance(self, task_id: str | None = None, steps: int = 1) -> None:
        """Move one task (or every task) ``steps`` stages forward, as new-api's poller would.
        MODAL tasks stay MODAL until /mj/submit/modal; finished ones do not move."""
        for task in self._mj_select(task_id):
            task.advance(steps)
        cast(Any, self)._notify()

    def mj_finish(self, task_id: str | None = None) -> None:
        """Advance one task (or all) to its last stage (SUCCESS/FAILURE, or MODAL if pending)."""
        for task in self._mj_select(task_id):
            task.advance(len(task.schedule))
        cast(Any, self)._notify()

    def mj_fail(self, task_id: str, fail_reason: str = MJ_TIMEOUT_REASON) -> None:
        """Fail an unfinished task now (FAILURE, "100%", failReason) — e.g. the 1 h timeout."""
        self._mj_select(task_id)[0].fail_now(fail_reason)
        cast(Any, self)._notify()

    def mj_create_task(
        self,
        prompt: str = "a red fox in snow --ar 16:9 --v 6.1",
        *,
        action: str = "IMAGINE",
        finished: bool = True,
        foreign: bool = False,
        state: str = "",
    ) -> MjTask:
        """Insert a task directly (no request): SUCCESS with buttons when ``finished``; owned by
        another user when ``foreign`` (invisible to fetch/list/action, still served by /mj/image)."""
        fake = cast("FakeWenwen", self)
        task = _make_task(
            fake,
            action=action,
            prompt=prompt,
            prompt_en=prompt,
            description=SUBMIT_OK,
            state=state,
            owner=FOREIGN_OWNER if foreign else SELF_OWNER,
        )
        if finished:
            task.advance(len(task.schedule))
        return task

    # ------------------------------------------------------------ internals
    def _mj_running(self) -> list[Stage]:
        fail = self._mj().failures.popleft() if self._mj().failures else None
        return running_stages(self.mj_steps, self.mj_progress, fail)


# ----------------------------------------------------------------- responses
def mj_error(description: str, *, result: str = "", code: int = 4, status: int = 400) -> GatewayError:
    """An error written by ``controller.RelayMidjourney`` (gin.H → keys sorted)."""
    body = {"code": code, "description": f"{description} {result}", "type": "upstream_error"}
    return GatewayError(json_response(body, status))


def upstream_response(payload: dict[str, Any], status: int = 200, rewrite: Sequence[int] = ()) -> web.Response:
    """The proxy's SubmitResultVO copied byte-for-byte, after new-api's textual code rewrites."""
    text = compact_json(payload)
    for code in rewrite:
        text = text.replace(f'"code":{code}', '"code":1')
    return web.Response(text=text, status=status, content_type="text/plain", charset="utf-8")


def submit_result(code: int, description: str, result: str | None, properties: dict[str, Any]) -> dict[str, Any]:
    payload: dict[str, Any] = {"code": code, "description": description}
    if result is not None:
        payload["result"] = result
    payload["properties"] = properties
    return payload


def _make_task(
    fake: FakeWenwen,
    *,
    action: str,
    prompt: str,
    prompt_en: str,
    description: str,
    state: str,
    owner: str = SELF_OWNER,
    modal: bool = False,
    parent_id: str | None = None,
    custom_id: str = "",
) -> MjTask:
    tasks = fake._mj().tasks
    task_id = new_task_id(tasks)
    result_text = ""
    if action == "DESCRIBE":
        result_text = describe_text(task_id)
    elif action == "SHORTEN":
        result_text = shorten_text(prompt)
    schedule = [INITIAL, MODAL] if modal else [INITIAL, *fake._mj_running()]
    task = MjTask(
        task_id=task_id,
        action=action,
        prompt=prompt,
        prompt_en=prompt_en,
        description=description,
        state=state,
        image_url="" if action == "SHORTEN" else task_image_url(fake, task_id),
        schedule=schedule,
        owner=owner,
        parent_id=parent_id,
        custom_id=custom_id,
        result_text=result_text,
    )
    if action == "VIDEO":
        task.video_url = video_url(fake, task_id)
    task.animate = action == "UPSCALE" and fake.mj_video_buttons
    tasks[task_id] = task
    fake._notify()
    return task


# ------------------------------------------------------------- distributor
def _go_json_error(body: bytes) -> str:
    text = body.decode("utf-8", "replace").strip()
    if not text:
        return "unexpected end of JSON input"
    return f"invalid character {text[0]!r} looking for beginning of value"


def decode_mj_request(request: web.Request) -> dict[str, Any]:
    """``common.UnmarshalBodyReusable(c, &dto.MidjourneyRequest{})`` in the distributor."""

    def fail(detail: str) -> GatewayError:
        return abort_openai(request, 400, f"Invalid request, 无效的请求, {detail}")

    raw = request[BODY_KEY]
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        raise fail(_go_json_error(raw)) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise fail(f"json: cannot unmarshal {go_type(data)} into Go value of type dto.MidjourneyRequest")
    for key in _STRING_FIELDS:
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            raise fail(unmarshal_error(f"MidjourneyRequest.{key}", value, "string"))
    index = data.get("index")
    if index is not None and (isinstance(index, bool) or not isinstance(index, int)):
        raise fail(unmarshal_error("MidjourneyRequest.index", index, "int"))
    images = data.get("base64Array")
    if images is not None:
        if not isinstance(images, list):
            raise fail(unmarshal_error("MidjourneyRequest.base64Array", images, "[]string"))
        for item in images:
            if not isinstance(item, str):
                raise fail(unmarshal_error("MidjourneyRequest.base64Array", item, "string"))
    return data


def _text(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    return value if isinstance(value, str) else ""


# ------------------------------------------------------------------ routes
def register(fake: FakeWenwen, app: web.Application) -> None:
    from .server import public  # server.py imports this module

    state = fake._mj()

    def visible(task_id: str) -> MjTask | None:
        task = state.tasks.get(task_id)
        return task if task is not None and task.owner == SELF_OWNER else None

    def validation(description: str) -> web.Response:
        return upstream_response(submit_result(4, description, None, {}), fake.mj_validation_status)

    async def run_script(request: web.Request) -> _Script | None:
        if not state.scripts:
            return None
        script = state.scripts.popleft()
        await fake.sleep(script.delay)
        if script.hold is not None:
            await fake.wait_event(script.hold)
        if script.error is not None:
            raise script.error(request)
        return script

    def created(
        request: web.Request,
        task: MjTask,
        script: _Script | None,
        *,
        code: int = 1,
        description: str = SUBMIT_OK,
        properties: dict[str, Any] | None = None,
        rewrite: Sequence[int] = (22,),
        status: int = 200,
    ) -> web.Response:
        request[RECORDED_KEY].extra["mj_task_id"] = task.id
        props = properties if properties is not None else {"discordInstanceId": DISCORD_INSTANCE_ID}
        if script is not None and script.code == 22:
            code = 22
            props = script.properties or {"numberOfQueues": 1, "discordInstanceId": DISCORD_INSTANCE_ID}
        payload = submit_result(code, description, task.id, props)
        return upstream_response(payload, script.status if script is not None else status, rewrite)

    def passthrough(script: _Script, prompt: str) -> web.Response:
        description = script.description or _DEFAULT_DESCRIPTIONS.get(script.code, "提交失败")
        props = script.properties
        if props is None:
            if script.code == 24:
                words = prompt.split()
                props = {"promptEn": prompt, "bannedWord": words[0] if words else ""}
            elif script.code in (22, 23):
                props = {"discordInstanceId": DISCORD_INSTANCE_ID}
            else:
                props = {}
        return upstream_response(submit_result(script.code, description, script.result, props), script.status)

    def description_of(script: _Script | None) -> str:
        if script is None or script.code == 1:
            return (script.description if script is not None else None) or SUBMIT_OK
        return script.description or _DEFAULT_DESCRIPTIONS.get(script.code, SUBMIT_OK)

    # --------------------------------------------------------------- submits
    async def submit(request: web.Request, kind: str) -> web.StreamResponse:
        body = decode_mj_request(request)  # distributor
        if kind == "action":
            try:
                action, _index = cover_plus_action(_text(body, "customId"), _text(body, "action"))
            except ActionParseError as exc:
                raise abort_openai(request, 400, f"Invalid request, {exc.description}") from None
        else:
            action = _SUBMIT_ACTIONS[kind]
        check_model(fake, request, model_name(action))

        # new-api relay
        prompt = _text(body, "prompt")
        if kind == "imagine" and prompt == "":
            raise mj_error("prompt_is_required")
        if kind == "swap" and (relay_error := swap_relay_error(body)) is not None:
            raise mj_error(relay_error)
        parent: MjTask | None = None
        task_id = _text(body, "taskId")
        if kind in ("action", "modal") and task_id:
            parent = visible(task_id)
            if parent is None:
                raise mj_error("task_not_found")
            if kind == "action" and parent["status"] != "SUCCESS":
                raise mj_error("task_status_not_success")

        # upstream midjourney-proxy
        try:
            script = await run_script(request)
        except ServerStopping:
            return web.Response(status=503)
        if script is not None and script.code not in (1, 21, 22):
            return passthrough(script, prompt or (parent.prompt_en if parent else ""))
        if kind == "modal":
            return modal(request, body, parent, script)
        if kind == "action":
            return action_submit(request, body, action, parent, script)
        return new_submit(request, body, kind, action, script)

    def new_submit(
        request: web.Request, body: dict[str, Any], kind: str, action: str, script: _Script | None
    ) -> web.Response:
        prompt = _text(body, "prompt")
        images = body.get("base64Array") or []
        if kind == "imagine":
            if not all(is_data_url(i) for i in images):
                return validation("base64格式错误")
            prompt_en = " ".join([*(short_link(i) for i in images), prompt])
        elif kind == "blend":
            if len(images) < 2 or len(images) > 5:
                return validation("base64List参数错误")
            dimensions = body.get("dimensions", "SQUARE")
            if dimensions not in BLEND_RATIOS:
                return validation("dimensions参数错误")
            if not all(is_data_url(i) for i in images):
                return validation("base64格式错误")
            prompt_en = " ".join([*(short_link(i) for i in images), f"--ar {BLEND_RATIOS[str(dimensions)]}"])
        elif kind in ("edits", "video", "swap"):
            if (invalid := upstream_error(kind, body)) is not None:
                return validation(invalid)
            prompt_en = prompt
        elif kind == "describe":
            image, link = body.get("base64"), body.get("link")
            if not image and not (isinstance(link, str) and link.strip()):
                return validation("base64不能为空")
            if image and not is_data_url(image):
                return validation("base64格式错误")
            prompt_en = ""
        else:  # shorten
            if not prompt.strip():
                return validation("prompt不能为空")
            prompt_en = prompt
        description = description_of(script)
        task = _make_task(
            fake, action=action, prompt=prompt, prompt_en=prompt_en, description=description, state=_text(body, "state")
        )
        return created(request, task, script, description=description)

    def action_submit(
        request: web.Request, body: dict[str, Any], action: str, parent: MjTask | None, script: _Script | None
    ) -> web.Response:
        if parent is None:  # no taskId: new-api forwards it unchecked
            return validation("参数错误")
        custom_id = _text(body, "customId")
        remix = fake.mj_remix or body.get("enableRemix") is True
        modal_needed = action in MODAL_ALWAYS or (remix and action in REMIX_ACTIONS)
        exists = script is not None and script.code == 21
        props = (script.properties or {}) if script is not None else {}
        finished_at_once = exists and props.get("status") == "SUCCESS" and isinstance(props.get("imageUrl"), str)
        modal_needed = modal_needed or (exists and not finished_at_once)
        description = WAITING_MODAL if modal_needed else description_of(script)
        if exists and script is not None and script.description:
            description = script.description
        task = _make_task(
            fake,
            action=action,
            prompt=str(parent["prompt"]),
            prompt_en=parent.prompt_en,
            description=description,
            state=_text(body, "state"),
            modal=modal_needed,
            parent_id=parent.id,
            custom_id=custom_id,
        )
        rewrite = (22,) if action in MODAL_ALWAYS else (21, 22)
        if finished_at_once:
            task.succeed_at_once()
            status = script.status if script is not None else 200
            return created(
                request, task, None, code=21, description=description, properties=props, rewrite=rewrite, status=status
            )
        if modal_needed:
            props = {"finalPrompt": parent.prompt_en, "remix": True}
            return created(request, task, script, code=21, description=description, properties=props, rewrite=rewrite)
        return created(request, task, script, description=description)

    def modal(request: web.Request, body: dict[str, Any], task: MjTask | None, script: _Script | None) -> web.Response:
        if task is None:  # no taskId
            return validation("参数错误")
        if not task.modal_pending:
            return validation("关联任务状态错误")
        prompt = _text(body, "prompt") or task.prompt_en
        task.mask_base64 = _text(body, "maskBase64")
        task.modal_prompt = prompt
        description = description_of(script)
        second_row = None
        if fake.mj_modal_stale:
            second_row = empty_row(task.id, "MODAL", str(task["prompt"]), description, task["submitTime"])
        task.confirm_modal(prompt, fake._mj_running(), second_row)
        fake._notify()
        return created(request, task, script, description=description)

    # ------------------------------------------------------------ task reads
    async def fetch(request: web.Request) -> web.StreamResponse:
        state.fetch_calls += 1
        task = visible(request.match_info["id"])
        if task is None:
            raise mj_error("task_no_found")
        body = task.render()
        task.polls += 1
        if fake.mj_auto_advance:
            task.advance(1)
        return json_response(body)

    async def list_by_condition(request: web.Request) -> web.StreamResponse:
        state.list_calls += 1
        try:
            data = json.loads(request[BODY_KEY])
        except (UnicodeDecodeError, ValueError):
            raise mj_error("do_request_failed") from None
        ids = data.get("ids") if isinstance(data, dict) else None
        if (data is not None and not isinstance(data, dict)) or (
            ids is not None and (not isinstance(ids, list) or not all(isinstance(i, str) for i in ids))
        ):
            raise mj_error("do_request_failed")
        wanted = set(ids or [])
        answered = [t for t in state.tasks.values() if t.id in wanted and t.owner == SELF_OWNER]
        out: list[dict[str, Any]] = []
        for task in answered:
            out.append(task.render())
            if task.modal_row is not None:
                out.append(task.render(task.modal_row))
        for task in answered:
            task.polls += 1
            if fake.mj_auto_advance:
                task.advance(1)
        return json_response(out)

    async def image_seed(request: web.Request) -> web.StreamResponse:
        task = visible(request.match_info["id"])
        if task is None:
            raise mj_error("task_no_found")
        if task.latest_row()["status"] != "SUCCESS":
            body = {"code": 4, "description": "关联任务状态错误", "properties": {}, "result": ""}
            return json_response(body, 400)
        seed = str(int(task.hash.replace("-", "")[:8], 16))
        return json_response({"code": 1, "description": "成功", "properties": {}, "result": seed})

    async def image(request: web.Request) -> web.StreamResponse:
        task = state.tasks.get(request.match_info["id"])
        if task is None:
            return json_response({"error": "midjourney_task_not_found"}, 400)
        if not task["imageUrl"]:
            return json_response({"error": "http_get_image_failed"}, 500)
        return web.Response(body=png_bytes(task.id, fake.mj_image_size), content_type="image/png")

    public(image)

    def submit_handler(kind: str) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handler(request: web.Request) -> web.StreamResponse:
            return await submit(request, kind)

        return handler

    for prefix in MODE_PREFIXES:
        base = f"{prefix}/mj"
        for kind in ("imagine", "action", "modal", "blend", "describe", "shorten", "edits", "video"):
            app.router.add_post(f"{base}/submit/{kind}", submit_handler(kind))
        app.router.add_post(f"{base}/insight-face/swap", submit_handler("swap"))
        app.router.add_get(f"{base}/task/{{id}}/fetch", fetch, allow_head=False)
        app.router.add_get(f"{base}/task/{{id}}/image-seed", image_seed, allow_head=False)
        app.router.add_post(f"{base}/task/list-by-condition", list_by_condition)
        app.router.add_get(f"{base}/image/{{id}}", image, allow_head=False)
    register_media(fake, app)
