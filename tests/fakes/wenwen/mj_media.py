"""The Midjourney submits that carry images or make videos: ``/mj/submit/edits``, ``/mj/submit/video``,
``/mj/insight-face/swap`` (docs/protocols.md, "Gateway: Midjourney endpoints"), and the upstream CDN the task
links point at when new-api's
``MjForwardUrlEnabled`` is off (``fake.mj_forward_url = False``; ``fake.mj_links_expired`` makes them 404 like an
expired Discord link, while ``GET /mj/image/{id}`` still serves the image).

Checks, in the order new-api and midjourney-proxy make them:

- swap face, new-api's relay: both ``sourceBase64`` and ``targetBase64`` non-empty strings
  (``sour_base64_and_target_base64_is_required``; a non-string is ``bind_request_body_failed``);
- upstream (code 4 in the proxy's envelope): data URLs (``base64格式错误``); edits need ``prompt``
  (``prompt不能为空``) and ``image``, a URL or data URL (``image不能为空`` / ``base64格式错误``); video needs ``image``
  the same way and ``motion`` ``low`` or ``high`` (``motion参数错误``), ``loop`` a boolean if given.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from .mj_model import is_data_url, png_bytes

if TYPE_CHECKING:
    from .server import FakeWenwen

MOTIONS = ("low", "high")
CDN_PATH = "/fake-cdn/mj"


def mp4_bytes(task_id: str) -> bytes:
    """Deterministic bytes that start like an MP4 file (``ftyp`` box), distinct per task."""
    return b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + f"mj-video:{task_id}".encode() + b"\x00" * 64


def image_url(fake: FakeWenwen, task_id: str) -> str:
    """The task's ``imageUrl``: new-api's forward URL by default, else the upstream CDN's."""
    if getattr(fake, "mj_forward_url", True):
        return f"{fake.base_url}/mj/image/{task_id}"
    return f"{fake.base_url}{CDN_PATH}/{task_id}.png"


def video_url(fake: FakeWenwen, task_id: str) -> str:
    return f"{fake.base_url}{CDN_PATH}/video/{task_id}.mp4"


def _is_link(value: Any) -> bool:
    return isinstance(value, str) and (is_data_url(value) or value.startswith(("http://", "https://")))


def swap_relay_error(body: dict[str, Any]) -> str | None:
    """new-api's own check of a face swap (MJ envelope, HTTP 400), or None."""
    source, target = body.get("sourceBase64"), body.get("targetBase64")
    if any(value is not None and not isinstance(value, str) for value in (source, target)):
        return "bind_request_body_failed"
    if not source or not target:
        return "sour_base64_and_target_base64_is_required"
    return None


def upstream_error(kind: str, body: dict[str, Any]) -> str | None:
    """The proxy's code-4 description for an invalid edits/video/swap body, or None."""
    if kind == "swap":
        if not (is_data_url(body.get("sourceBase64")) and is_data_url(body.get("targetBase64"))):
            return "base64格式错误"
        return None
    image = body.get("image")
    if kind == "edits" and not str(body.get("prompt") or "").strip():
        return "prompt不能为空"
    if not image:
        return "image不能为空"
    if not _is_link(image):
        return "base64格式错误"
    if kind == "video":
        if body.get("motion") not in MOTIONS:
            return "motion参数错误"
        if "loop" in body and not isinstance(body["loop"], bool):
            return "参数错误"
    return None


def register(fake: FakeWenwen, app: web.Application) -> None:
    from .server import public

    def served(task_id: str) -> bool:
        return task_id in fake.mj_tasks and not getattr(fake, "mj_links_expired", False)

    @public
    async def cdn_image(request: web.Request) -> web.StreamResponse:
        task_id = request.match_info["id"]
        if not served(task_id) or not fake.mj_tasks[task_id]["imageUrl"]:
            return web.Response(status=404, text="This content is no longer available.")
        return web.Response(body=png_bytes(task_id, fake.mj_image_size), content_type="image/png")

    @public
    async def cdn_video(request: web.Request) -> web.StreamResponse:
        task_id = request.match_info["id"]
        if not served(task_id) or not fake.mj_tasks[task_id]["videoUrl"]:
            return web.Response(status=404, text="This content is no longer available.")
        return web.Response(body=mp4_bytes(task_id), content_type="video/mp4")

    app.router.add_get(f"{CDN_PATH}/video/{{id}}.mp4", cdn_video, allow_head=False)
    app.router.add_get(f"{CDN_PATH}/{{id}}.png", cdn_image, allow_head=False)

