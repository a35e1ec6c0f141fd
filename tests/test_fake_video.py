"""The fake gateway's video routes are strict like new-api: validation, unknown ids, content before completion."""

from __future__ import annotations

import httpx

from tests.fakes.wenwen import FakeWenwen


async def test_openai_style_lifecycle_and_strictness(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    form = {"model": (None, "sora-2"), "prompt": (None, "a fox"), "seconds": (None, "8"), "size": (None, "720x1280")}
    submitted = (await client.post("/v1/videos", files=form)).json()
    assert submitted["status"] == "queued" and submitted["progress"] == 0
    video_id = submitted["id"]
    early = await client.get(f"/v1/videos/{video_id}/content")
    assert early.status_code == 400 and early.json()["code"] == "task_not_completed"
    statuses = [(await client.get(f"/v1/videos/{video_id}")).json()["status"] for _ in range(3)]
    assert statuses == ["in_progress", "in_progress", "completed"]
    content = await client.get(f"/v1/videos/{video_id}/content")
    assert content.headers["content-type"] == "video/mp4" and content.content == fake.video_tasks[video_id].content
    missing = await client.get("/v1/videos/video_nope")
    assert missing.status_code == 404 and missing.json() == {
        "code": "task_not_exist",
        "message": "task_not_exist",
        "data": None,
    }


async def test_openai_style_submit_validation(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    urlencoded = await client.post("/v1/videos", data={"model": "sora-2", "prompt": "x"})
    assert urlencoded.status_code == 400
    no_prompt = await client.post("/v1/videos", files={"model": (None, "sora-2"), "prompt": (None, " ")})
    assert no_prompt.status_code == 400
    unknown_model = await client.post("/v1/videos", files={"model": (None, "nope"), "prompt": (None, "x")})
    assert unknown_model.status_code == 503
    bad_size = await client.post(
        "/v1/videos", files={"model": (None, "sora-2"), "prompt": (None, "x"), "size": (None, "big")}
    )
    assert bad_size.status_code == 400
    frames = [("input_reference", (f"f{n}.png", b"\x89PNG", "image/png")) for n in range(2)]
    two_for_sora = await client.post(
        "/v1/videos", files=[("model", (None, "sora-2")), ("prompt", (None, "x")), *frames]
    )
    assert two_for_sora.status_code == 400
    two_for_veo = await client.post(
        "/v1/videos", files=[("model", (None, "veo-3.1")), ("prompt", (None, "x")), *frames]
    )
    assert two_for_veo.status_code == 200
    assert not any(t.model == "sora-2" for t in fake.video_tasks.values())


async def test_generic_style_task_enum_and_failures(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    fake.video_fail_next("upstream refused the image")
    failing = (await client.post("/v1/video/generations", json={"model": "kling-v1", "prompt": "x"})).json()
    failed = (await client.get(f"/v1/video/generations/{failing['task_id']}")).json()["data"]
    assert failed["status"] == "FAILURE" and failed["fail_reason"] == "upstream refused the image"
    ok = (await client.post("/v1/video/generations", json={"model": "kling-v1", "prompt": "y", "duration": 5})).json()
    stages = [(await client.get(f"/v1/video/generations/{ok['task_id']}")).json()["data"] for _ in range(3)]
    assert [s["status"] for s in stages] == ["IN_PROGRESS", "IN_PROGRESS", "SUCCESS"]
    assert stages[-1]["progress"] == "100%" and stages[-1]["result_url"].endswith(".mp4")
    missing = await client.get("/v1/video/generations/nope")
    assert missing.status_code == 400 and missing.json()["code"] == "task_not_exist"
    bad = await client.post("/v1/video/generations", json={"model": "kling-v1", "prompt": "x", "duration": "5"})
    assert bad.status_code == 400
