"""The wenwen fake's face swap, edits and video routes, video fields and CDN links (tests/fakes/wenwen/mj_media.py)."""

from __future__ import annotations

import httpx
import pytest

from tests.fakes.wenwen import FakeWenwen
from tests.fakes.wenwen.mj_media import mp4_bytes
from tests.fakes.wenwen.mj_model import png_bytes

from .test_fake_mj import PNG_1PX, assert_mj_error, fetch, imagine

OTHER_PNG = PNG_1PX.replace("AAAAAE", "AAAAAF")


@pytest.fixture
def fake(fake: FakeWenwen) -> FakeWenwen:
    fake.mj_auto_advance = False
    return fake


async def _created(resp: httpx.Response) -> str:
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["code"] == 1, body
    return str(body["result"])


async def test_face_swap_is_checked_by_new_api_then_the_proxy(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    for body in ({}, {"sourceBase64": PNG_1PX}, {"sourceBase64": "", "targetBase64": PNG_1PX}):
        resp = await client.post("/mj/insight-face/swap", json=body)
        assert_mj_error(resp, "sour_base64_and_target_base64_is_required ")
    resp = await client.post("/mj/insight-face/swap", json={"sourceBase64": 1, "targetBase64": PNG_1PX})
    assert_mj_error(resp, "bind_request_body_failed ")
    resp = await client.post("/mj/insight-face/swap", json={"sourceBase64": "iVBORw0K", "targetBase64": PNG_1PX})
    assert resp.status_code == 200 and resp.json()["code"] == 4 and resp.json()["description"] == "base64格式错误"
    assert not fake.mj_tasks

    task_id = await _created(
        await client.post("/mj-fast/mj/insight-face/swap", json={"sourceBase64": PNG_1PX, "targetBase64": OTHER_PNG})
    )
    fake.mj_finish(task_id)
    task = await fetch(client, task_id)
    assert (task["action"], task["status"], task["buttons"]) == ("SWAP_FACE", "SUCCESS", [])
    assert (await client.get(task["imageUrl"])).content == png_bytes(task_id)


async def test_edits_need_a_prompt_and_an_image(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    cases = [
        ({"image": PNG_1PX}, "prompt不能为空"),
        ({"prompt": "make it blue"}, "image不能为空"),
        ({"prompt": "make it blue", "image": "not a link"}, "base64格式错误"),
    ]
    for body, description in cases:
        resp = await client.post("/mj/submit/edits", json=body)
        assert resp.json()["code"] == 4 and resp.json()["description"] == description
    fake.mj_validation_status = 400
    assert (await client.post("/mj/submit/edits", json={"image": PNG_1PX})).status_code == 400
    task_id = await _created(await client.post("/mj/submit/edits", json={"prompt": "make it blue", "image": PNG_1PX}))
    assert fake.mj_tasks[task_id]["action"] == "EDITS"


async def test_video_fields_arrive_on_success(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    for body, description in [
        ({"prompt": "p", "motion": "low"}, "image不能为空"),
        ({"prompt": "p", "image": PNG_1PX}, "motion参数错误"),
        ({"prompt": "p", "image": PNG_1PX, "motion": "fast"}, "motion参数错误"),
        ({"prompt": "p", "image": PNG_1PX, "motion": "low", "loop": "yes"}, "参数错误"),
    ]:
        assert (await client.post("/mj/submit/video", json=body)).json()["description"] == description
    task_id = await _created(
        await client.post("/mj/submit/video", json={"prompt": "waves", "image": PNG_1PX, "motion": "high"})
    )
    assert (await fetch(client, task_id))["videoUrl"] == ""
    fake.mj_finish(task_id)
    task = await fetch(client, task_id)
    assert task["action"] == "VIDEO" and task["videoUrl"].endswith(f"/{task_id}.mp4")
    assert task["videoUrls"] == [{"url": task["videoUrl"]}]
    assert (await client.get(task["videoUrl"])).content == mp4_bytes(task_id)


async def test_cdn_links_expire_but_mj_image_still_serves(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    fake.mj_forward_url = False
    task_id = await imagine(client)
    fake.mj_finish(task_id)
    link = (await fetch(client, task_id))["imageUrl"]
    assert "/mj/image/" not in link
    async with httpx.AsyncClient() as anonymous:
        assert (await anonymous.get(link)).content == png_bytes(task_id)
        fake.mj_links_expired = True
        assert (await anonymous.get(link)).status_code == 404
        assert (await anonymous.get(f"{fake.base_url}/mj/image/{task_id}")).content == png_bytes(task_id)


async def test_upscales_offer_animate_buttons_when_asked(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    fake.mj_video_buttons = True
    grid = await imagine(client)
    fake.mj_finish(grid)
    u1 = next(b["customId"] for b in (await fetch(client, grid))["buttons"] if b["label"] == "U1")
    upscale = await _created(await client.post("/mj/submit/action", json={"taskId": grid, "customId": u1}))
    fake.mj_finish(upscale)
    ids = [b["customId"] for b in (await fetch(client, upscale))["buttons"]]
    assert any(i.startswith("MJ::JOB::animate_high::1::") for i in ids)
    assert any(i.startswith("MJ::JOB::animate_low::1::") for i in ids)
    resp = await client.post("/mj/submit/action", json={"taskId": upscale, "customId": ids[-1]})
    assert resp.status_code == 400 and "unknown_action" in resp.json()["error"]["message"]
