"""Video generation via new-api (docs/protocols.md, "Gateway: video"): the OpenAI/Sora style
(``POST /v1/videos`` multipart,
``GET /v1/videos/{id}``, ``GET /v1/videos/{id}/content``) and the generic style (``POST /v1/video/generations``
JSON, ``GET /v1/video/generations/{id}``), strict like a real server:

* the submit is validated (multipart with ``prompt`` and a known ``model``; ``seconds`` digits; ``size`` WxH;
  ``input_reference`` an image *file* part; two of them — first and last frame — only for ``veo*`` models);
* an unknown id is 404 (OpenAI style) / 400 ``task_not_exist`` (generic), in the task envelope;
* the content before completion is 400.

A task advances one stage per poll while ``video_auto_advance`` is true (``video_advance`` by hand).
Status spellings: ``video_spelling`` ``"code"`` (queued/in_progress/completed/failed) or ``"docs"``
(processing/succeeded); the generic style answers the task enum (NOT_START…SUCCESS/FAILURE), or the simplified
``queued|processing|succeeded`` shape with ``url`` for ``veo*`` models.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .errors import GatewayError, json_response, random_id
from .gateway import check_model, parse_json_body
from .media_multipart import MultipartForm, is_multipart, read_form
from .state import lazy_state

if TYPE_CHECKING:
    from .server import FakeWenwen

STAGES = (0, 10, 55, 100)  # progress per stage; the last is completion
_SIZE = re.compile(r"[1-9][0-9]{1,4}x[1-9][0-9]{1,4}")


@dataclass
class FakeVideo:
    id: str
    style: str  # "openai" or "generic"
    model: str
    prompt: str
    seconds: str = ""
    size: str = ""
    references: list[tuple[str, str, bytes]] = field(default_factory=list)  # (filename, content type, bytes)
    image: str = ""  # generic style: the image field
    stage: int = 0
    fail_reason: str = ""  # set: fails at its next poll
    failed: bool = False
    created_at: int = field(default_factory=lambda: int(time.time()))

    @property
    def done(self) -> bool:
        return self.stage >= len(STAGES) - 1 and not self.failed

    @property
    def content(self) -> bytes:
        """The video's bytes: an MP4 header and the id, so every task's file differs."""
        return b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + self.id.encode() + b"\x00" * 64


@dataclass
class _VideoState:
    tasks: dict[str, FakeVideo] = field(default_factory=dict)
    fail_next: list[str] = field(default_factory=list)  # reasons for the next submits, in order
    submit_errors: list[tuple[int, str]] = field(default_factory=list)


def task_error(status: int, code: str, message: str = "") -> GatewayError:
    """The task envelope ``{"code","message","data"}`` (dto/task.go)."""
    return GatewayError(json_response({"code": code, "message": message or code, "data": None}, status))


class VideoMixin:
    """The video scripting/inspection API of ``FakeWenwen`` (names start with ``video_``)."""

    video_auto_advance: bool = True
    video_spelling: str = "code"

    def _video(self) -> _VideoState:
        return lazy_state(self, "_video_state", _VideoState)

    @property
    def video_tasks(self) -> dict[str, FakeVideo]:
        return self._video().tasks

    def video_fail_next(self, reason: str) -> None:
        """The next submitted task fails upstream with ``reason`` at its first poll."""
        self._video().fail_next.append(reason)

    def video_refuse_next(self, status: int, message: str) -> None:
        """The next submit is refused (OpenAI-shaped error with ``status``)."""
        self._video().submit_errors.append((status, message))

    def video_advance(self, task_id: str, stages: int = 1) -> None:
        task = self.video_tasks[task_id]
        task.stage = min(len(STAGES) - 1, task.stage + stages)

    def video_finish(self, task_id: str) -> None:
        self.video_tasks[task_id].stage = len(STAGES) - 1


def _new_task(fake: FakeWenwen, task: FakeVideo) -> FakeVideo:
    state = fake._video()
    if state.submit_errors:
        status, message = state.submit_errors.pop(0)
        body = {"error": {"message": message, "type": "upstream_error", "code": None}}
        raise GatewayError(json_response(body, status))
    if state.fail_next:
        task.fail_reason = state.fail_next.pop(0)
    state.tasks[task.id] = task
    return task


def _openai_submit(fake: FakeWenwen, request: web.Request) -> FakeVideo:
    if not is_multipart(request):
        raise task_error(400, "invalid_request", "Content-Type must be multipart/form-data")
    try:
        form: MultipartForm = read_form(request)
    except ValueError as exc:
        raise task_error(400, "invalid_request", str(exc)) from None
    model, prompt = form.value("model"), form.value("prompt")
    if not model:
        raise task_error(400, "invalid_request", "model is required")
    check_model(fake, request, model)
    if not prompt.strip():
        raise task_error(400, "invalid_request", "prompt is required")
    seconds, size = form.value("seconds"), form.value("size")
    if seconds and not seconds.isdigit():
        raise task_error(400, "invalid_request", "seconds must be a whole number")
    if size and not _SIZE.fullmatch(size):
        raise task_error(400, "invalid_request", "size must be WIDTHxHEIGHT")
    if form.has("input_reference"):
        raise task_error(400, "invalid_request", "input_reference must be a file")
    references = form.files_named("input_reference")
    if any(not f.content_type.startswith("image/") for f in references):
        raise task_error(400, "invalid_request", "input_reference must be an image")
    if len(references) > 2 or (len(references) == 2 and not model.startswith("veo")):
        raise task_error(400, "invalid_request", f"model {model} takes one input_reference")
    task = FakeVideo(f"video_{random_id(24)}", "openai", model, prompt, seconds, size)
    task.references = [(f.filename, f.content_type, f.data) for f in references]
    return _new_task(fake, task)


def _generic_submit(fake: FakeWenwen, request: web.Request) -> FakeVideo:
    body = parse_json_body(request)
    if not isinstance(body, dict):
        raise task_error(400, "invalid_request", "body must be an object")
    model, prompt = body.get("model"), body.get("prompt")
    if not isinstance(model, str) or not model:
        raise task_error(400, "invalid_request", "model is required")
    check_model(fake, request, model)
    if not isinstance(prompt, str) or not prompt.strip():
        raise task_error(400, "invalid_request", "prompt is required")
    duration, image = body.get("duration"), body.get("image", "")
    if duration is not None and (not isinstance(duration, int) or isinstance(duration, bool)):
        raise task_error(400, "invalid_request", "duration must be an integer")
    if not isinstance(image, str) or (image and not image.startswith(("data:image/", "http://", "https://"))):
        raise task_error(400, "invalid_request", "image must be a URL or an image data URL")
    task = FakeVideo(f"{random_id(20)}", "generic", model, prompt, str(duration or ""), "")
    task.image = image
    return _new_task(fake, task)


def _poll(fake: FakeWenwen, task: FakeVideo) -> None:
    """One poll: a task set to fail fails now; otherwise it moves one stage on (auto advance)."""
    if task.fail_reason and not task.failed:
        task.failed = True
    elif fake.video_auto_advance and not task.failed:
        fake.video_advance(task.id)


def _openai_object(fake: FakeWenwen, task: FakeVideo) -> dict[str, Any]:
    docs = fake.video_spelling == "docs"
    if task.failed:
        status = "failed"
    elif task.done:
        status = "succeeded" if docs else "completed"
    elif task.stage == 0:
        status = "queued"
    else:
        status = "processing" if docs else "in_progress"
    body: dict[str, Any] = {
        "id": task.id,
        "object": "video",
        "model": task.model,
        "status": status,
        "progress": 100 if task.failed else STAGES[task.stage],
        "created_at": task.created_at,
    }
    if task.seconds:
        body["seconds"] = task.seconds
    if task.size:
        body["size"] = task.size
    if task.failed:
        body["error"] = {"message": task.fail_reason, "code": "upstream_error"}
    if task.done:
        body["completed_at"] = int(time.time())
    return body


_TASK_ENUM = ("SUBMITTED", "IN_PROGRESS", "IN_PROGRESS", "SUCCESS")


def _generic_object(fake: FakeWenwen, task: FakeVideo) -> dict[str, Any]:
    url = f"{fake.base_url}/fake-cdn/video/{task.id}.mp4" if task.done else ""
    if task.model.startswith("veo"):  # the simplified shape of the Gemini/Vertex channels
        running = "queued" if task.stage == 0 else "processing"
        status = "failed" if task.failed else "succeeded" if task.done else running
        simple: dict[str, Any] = {"task_id": task.id, "status": status, "url": url, "format": "mp4", "metadata": {}}
        if task.failed:
            simple["error"] = {"message": task.fail_reason}
        return simple
    dto = {
        "task_id": task.id,
        "platform": "kling",
        "action": "generate",
        "status": "FAILURE" if task.failed else _TASK_ENUM[task.stage],
        "fail_reason": task.fail_reason if task.failed else "",
        "result_url": url,
        "submit_time": task.created_at,
        "start_time": task.created_at if task.stage else 0,
        "finish_time": int(time.time()) if task.done or task.failed else 0,
        "progress": f"{100 if task.failed else STAGES[task.stage]}%",
    }
    return {"code": "success", "data": dto}


def register(fake: FakeWenwen, app: web.Application) -> None:
    from .server import public

    def find(request: web.Request, style: str, missing_status: int) -> FakeVideo:
        task = fake.video_tasks.get(request.match_info["id"])
        if task is None or task.style != style:
            raise task_error(missing_status, "task_not_exist")
        return task

    async def openai_submit(request: web.Request) -> web.StreamResponse:
        task = _openai_submit(fake, request)
        return json_response(_openai_object(fake, task))

    async def openai_get(request: web.Request) -> web.StreamResponse:
        task = find(request, "openai", 404)
        _poll(fake, task)
        return json_response(_openai_object(fake, task))

    async def openai_content(request: web.Request) -> web.StreamResponse:
        task = find(request, "openai", 404)
        if not task.done:
            raise task_error(400, "task_not_completed", f"video {task.id} is not completed")
        return web.Response(body=task.content, content_type="video/mp4")

    async def generic_submit(request: web.Request) -> web.StreamResponse:
        task = _generic_submit(fake, request)
        return json_response(
            {"id": task.id, "task_id": task.id, "object": "video", "model": task.model, "status": "processing"}
        )

    async def generic_get(request: web.Request) -> web.StreamResponse:
        task = find(request, "generic", 400)
        _poll(fake, task)
        return json_response(_generic_object(fake, task))

    @public
    async def cdn(request: web.Request) -> web.StreamResponse:
        task = fake.video_tasks.get(request.match_info["id"])
        if task is None or not task.done:
            return web.Response(status=404, text="not found")
        return web.Response(body=task.content, content_type="video/mp4")

    app.router.add_post("/v1/videos", openai_submit)
    app.router.add_get("/v1/videos/{id}", openai_get, allow_head=False)
    app.router.add_get("/v1/videos/{id}/content", openai_content, allow_head=False)
    app.router.add_post("/v1/video/generations", generic_submit)
    app.router.add_get("/v1/video/generations/{id}", generic_get, allow_head=False)
    app.router.add_get("/fake-cdn/video/{id}.mp4", cdn, allow_head=False)
