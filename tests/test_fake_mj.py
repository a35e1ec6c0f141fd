"""The wenwen fake's Midjourney routes (docs/protocols.md, the "Gateway: Midjourney" sections), over loopback."""

from __future__ import annotations

import re
import struct
import zlib
from typing import Any

import httpx
import pytest

from tests.fakes.wenwen import MJ_TIMEOUT_REASON, FakeWenwen

KEY = "sk-test-wenwen-key"
TASK_KEYS = [
    "id",
    "action",
    "customId",
    "botType",
    "prompt",
    "promptEn",
    "description",
    "state",
    "submitTime",
    "startTime",
    "finishTime",
    "imageUrl",
    "videoUrl",
    "videoUrls",
    "status",
    "progress",
    "failReason",
    "buttons",
    "maskBase64",
    "properties",
]
PNG_1PX = "data:image/png;base64," + (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
PROMPT = "a red fox in snow --ar 16:9 --v 6.1"


@pytest.fixture
def fake(fake: FakeWenwen) -> FakeWenwen:
    """Tasks advance only on ``fake.mj_advance()``."""
    fake.mj_auto_advance = False
    return fake


async def imagine(client: httpx.AsyncClient, prompt: str = PROMPT, **extra: Any) -> str:
    resp = await client.post("/mj/submit/imagine", json={"prompt": prompt, **extra})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["code"] == 1, body
    return str(body["result"])


async def fetch(client: httpx.AsyncClient, task_id: str) -> dict[str, Any]:
    resp = await client.get(f"/mj/task/{task_id}/fetch")
    assert resp.status_code == 200, resp.text
    return resp.json()


async def finished_task(fake: FakeWenwen, client: httpx.AsyncClient, prompt: str = PROMPT) -> dict[str, Any]:
    task_id = await imagine(client, prompt)
    fake.mj_finish(task_id)
    task = await fetch(client, task_id)
    assert task["status"] == "SUCCESS"
    return task


def button(task: dict[str, Any], label: str = "", emoji: str = "") -> str:
    for b in task["buttons"]:
        if (label and b["label"] == label) or (emoji and b["emoji"] == emoji):
            return str(b["customId"])
    raise AssertionError(f"no button {label or emoji} in {task['buttons']}")


def assert_openai_error(resp: httpx.Response, status: int, message: str) -> None:
    assert resp.status_code == status, resp.text
    error = resp.json()["error"]
    rid = resp.headers["X-Oneapi-Request-Id"]
    assert error["message"] == f"{message} (request id: {rid})"
    assert error["type"] == "new_api_error"


def assert_mj_error(resp: httpx.Response, description: str, status: int = 400, code: int = 4) -> None:
    assert resp.status_code == status, resp.text
    assert resp.json() == {"code": code, "description": description, "type": "upstream_error"}


# ------------------------------------------------------------------- lifecycle
async def test_imagine_lifecycle_with_mj_advance(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    resp = await client.post("/mj/submit/imagine", json={"prompt": PROMPT, "state": "tg:1:2", "notifyHook": ""})
    submit = resp.json()
    assert list(submit) == ["code", "description", "result", "properties"]
    assert submit["code"] == 1 and submit["description"] == "提交成功"
    assert isinstance(submit["result"], str) and re.fullmatch(r"\d{16,19}", submit["result"])
    assert submit["properties"] == {"discordInstanceId": "1118138338562560102"}
    task_id = submit["result"]

    first = await fetch(client, task_id)
    assert list(first) == TASK_KEYS
    assert first["id"] == task_id and first["action"] == "IMAGINE"
    assert (first["status"], first["progress"], first["startTime"], first["finishTime"]) == ("", "0%", 0, 0)
    assert first["buttons"] is None and first["properties"] is None and first["imageUrl"] == ""
    assert first["promptEn"] == "" and first["state"] == ""  # new-api inserts them empty
    assert first["prompt"] == PROMPT and first["description"] == "提交成功"
    assert (first["customId"], first["botType"], first["maskBase64"], first["videoUrl"]) == ("", "", "", "")
    assert first["videoUrls"] is None and first["submitTime"] > 10**12
    assert await fetch(client, task_id) == first  # no auto-advance in this fixture

    fake.mj_advance(task_id)
    submitted = await fetch(client, task_id)
    assert (submitted["status"], submitted["progress"], submitted["imageUrl"]) == ("SUBMITTED", "0%", "")
    assert submitted["startTime"] >= submitted["submitTime"] and submitted["state"] == "tg:1:2"
    assert submitted["properties"] == {"finalPrompt": PROMPT, "finalZhPrompt": ""}

    seen = []
    for _ in range(3):
        fake.mj_advance(task_id)
        task = await fetch(client, task_id)
        assert task["status"] == "IN_PROGRESS" and task["buttons"] is None
        assert re.fullmatch(rf"{re.escape(fake.base_url)}/mj/image/{task_id}\?rand=\d+", task["imageUrl"])
        seen.append(task["progress"])
    assert seen == ["15%", "46%", "92%"]

    fake.mj_advance(task_id)
    done = await fetch(client, task_id)
    assert (done["status"], done["progress"], done["failReason"]) == ("SUCCESS", "100%", "")
    assert done["imageUrl"] == f"{fake.base_url}/mj/image/{task_id}"
    assert done["finishTime"] >= done["startTime"] > 0
    assert done["properties"] == {"finalPrompt": PROMPT, "finalZhPrompt": ""}
    labels = [b["label"] or b["emoji"] for b in done["buttons"]]
    assert labels == ["U1", "U2", "U3", "U4", "🔄", "V1", "V2", "V3", "V4"]
    assert all(set(b) == {"customId", "emoji", "label", "type", "style"} for b in done["buttons"])
    assert all(b["type"] == 2 and b["style"] == 2 for b in done["buttons"])
    assert button(done, "U1").startswith("MJ::JOB::upsample::1::")
    assert button(done, emoji="🔄").endswith("::SOLO")
    assert min(len(b["customId"].encode()) for b in done["buttons"]) >= 58

    fake.mj_advance(task_id, steps=5)  # finished tasks do not move
    assert fake.mj_tasks[task_id]["status"] == "SUCCESS"
    assert fake.mj_tasks[task_id]["imageUrl"] == done["imageUrl"]


async def test_auto_advance_one_stage_per_poll(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    fake.mj_auto_advance = True
    task_id = await imagine(client)
    states = [(t["status"], t["progress"]) for t in [await fetch(client, task_id) for _ in range(7)]]
    assert states == [
        ("", "0%"),
        ("SUBMITTED", "0%"),
        ("IN_PROGRESS", "15%"),
        ("IN_PROGRESS", "46%"),
        ("IN_PROGRESS", "92%"),
        ("SUCCESS", "100%"),
        ("SUCCESS", "100%"),
    ]
    assert fake.mj_fetch_calls == 7 and fake.mj_tasks[task_id].polls == 7


async def test_configurable_steps_and_progress_text(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    fake.mj_steps = 2
    short = await imagine(client)
    fake.mj_advance(short)
    assert (await fetch(client, short))["status"] == "SUBMITTED"
    fake.mj_advance(short)
    assert (await fetch(client, short))["status"] == "SUCCESS"

    fake.mj_progress = ("31%", "Waiting to start")
    odd = await imagine(client)
    fake.mj_advance(odd, steps=3)
    assert (await fetch(client, odd))["progress"] == "Waiting to start"


async def test_scripted_failure_forces_progress_100(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    fake.mj_script_failure("Banned prompt detected")
    failing = await imagine(client)
    fake.mj_finish(failing)
    task = await fetch(client, failing)
    assert (task["status"], task["progress"], task["failReason"]) == ("FAILURE", "100%", "Banned prompt detected")
    assert task["buttons"] is None and task["finishTime"] > 0
    assert "?rand=" in task["imageUrl"]  # a preview existed; not SUCCESS → still cache-busted

    fake.mj_script_failure("early", at_step=2)
    early = await imagine(client)
    fake.mj_finish(early)
    task = await fetch(client, early)
    assert (task["status"], task["imageUrl"], task["failReason"]) == ("FAILURE", "", "early")

    fine = await imagine(client)  # one-shot
    fake.mj_finish(fine)
    assert (await fetch(client, fine))["status"] == "SUCCESS"

    stuck = await imagine(client)
    fake.mj_fail(stuck)
    task = await fetch(client, stuck)
    assert (task["status"], task["progress"], task["failReason"]) == ("FAILURE", "100%", MJ_TIMEOUT_REASON)


# ---------------------------------------------------------------------- action
async def test_upscale_action_exact_body_and_upscale_buttons(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    parent = await finished_task(fake, client)
    u1 = button(parent, "U1")
    resp = await client.post("/mj/submit/action", json={"taskId": parent["id"], "customId": u1})
    assert resp.status_code == 200 and resp.json()["code"] == 1
    child_id = resp.json()["result"]
    assert child_id != parent["id"]
    [recorded] = fake.mj_requests("/mj/submit/action")
    assert recorded.json == {"taskId": parent["id"], "customId": u1}
    assert recorded.extra["mj_task_id"] == child_id

    fake.mj_finish(child_id)
    child = await fetch(client, child_id)
    assert child["action"] == "UPSCALE" and child["status"] == "SUCCESS"
    assert child["prompt"] == PROMPT  # copied from the parent
    labels = [b["label"] for b in child["buttons"]]
    assert labels[:8] == [
        "Upscale (Subtle)",
        "Upscale (Creative)",
        "Vary (Subtle)",
        "Vary (Strong)",
        "Vary (Region)",
        "Zoom Out 2x",
        "Zoom Out 1.5x",
        "Custom Zoom",
    ]
    assert [b["emoji"] for b in child["buttons"][8:13]] == ["⬅️", "➡️", "⬆️", "⬇️", "❤️"]
    link = child["buttons"][-1]
    assert link["style"] == 5 and link["customId"] == ""
    long_ids = [b["customId"] for b in child["buttons"] if len(b["customId"].encode()) > 64]
    assert len(long_ids) >= 4
    assert button(child, "Upscale (Subtle)").startswith("MJ::JOB::upsample_v6_2x_subtle::1::")
    assert button(child, "Zoom Out 2x").startswith("MJ::Outpaint::50::1::")
    assert button(child, "Custom Zoom").startswith("MJ::CustomZoom::")
    assert button(child, emoji="❤️").startswith("MJ::BOOKMARK::")

    # a long customId from the upscale works as an action too
    resp = await client.post("/mj/submit/action", json={"taskId": child_id, "customId": long_ids[0]})
    assert resp.json()["code"] == 1
    assert fake.mj_tasks[resp.json()["result"]]["action"] == "UPSCALE"


@pytest.mark.parametrize(
    ("label", "action"),
    [("V2", "VARIATION"), ("🔄", "REROLL"), ("U4", "UPSCALE")],
)
async def test_grid_actions_map_to_new_api_actions(
    fake: FakeWenwen, client: httpx.AsyncClient, label: str, action: str
) -> None:
    parent = await finished_task(fake, client)
    custom_id = button(parent, emoji=label) if label == "🔄" else button(parent, label)
    resp = await client.post("/mj/submit/action", json={"taskId": parent["id"], "customId": custom_id})
    child = await fetch(client, resp.json()["result"])
    assert child["action"] == action and child["status"] == ""


async def test_upscale_row_actions(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    parent = await finished_task(fake, client)
    up = (
        await client.post("/mj/submit/action", json={"taskId": parent["id"], "customId": button(parent, "U1")})
    ).json()
    fake.mj_finish(up["result"])
    upscaled = await fetch(client, up["result"])
    expected = {
        "Vary (Subtle)": "LOW_VARIATION",
        "Vary (Strong)": "HIGH_VARIATION",
        "Zoom Out 1.5x": "ZOOM",
        "⬅️": "PAN",
    }
    for label, action in expected.items():
        custom_id = button(upscaled, label) if "(" in label or "Zoom" in label else button(upscaled, emoji=label)
        resp = await client.post("/mj/submit/action", json={"taskId": upscaled["id"], "customId": custom_id})
        assert resp.json()["code"] == 1, resp.text
        assert fake.mj_tasks[resp.json()["result"]]["action"] == action


@pytest.mark.parametrize(
    "custom_id",
    [
        "MJ::BOOKMARK::3dbbd469-36af-4a0f-8f02-df6c579e7011",
        "MJ::Job::PicReader::1",
        "MJ::Picread::Retry",
        "MJ::JOB::animate_high::1::3dbbd469-36af-4a0f-8f02-df6c579e7011::SOLO",
        "MJ::JOB::video_virtual_upscale::1::3dbbd469",
        "MJ::Job::PromptAnalyzer::1",
        "garbage",
    ],
)
async def test_unknown_action_is_openai_shaped_400(fake: FakeWenwen, client: httpx.AsyncClient, custom_id: str) -> None:
    parent = await finished_task(fake, client)
    resp = await client.post("/mj/submit/action", json={"taskId": parent["id"], "customId": custom_id})
    assert_openai_error(resp, 400, f"Invalid request, unknown_action:{custom_id}")
    assert len(fake.mj_tasks) == 1


async def test_action_errors_from_new_api(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    parent = await finished_task(fake, client)
    u1 = button(parent, "U1")
    resp = await client.post("/mj/submit/action", json={"taskId": "1712345678901234", "customId": u1})
    assert_mj_error(resp, "task_not_found ")
    assert resp.text == '{"code":4,"description":"task_not_found ","type":"upstream_error"}'

    foreign = fake.mj_create_task(foreign=True)
    resp = await client.post("/mj/submit/action", json={"taskId": foreign.id, "customId": u1})
    assert_mj_error(resp, "task_not_found ")

    running = await imagine(client)
    resp = await client.post("/mj/submit/action", json={"taskId": running, "customId": u1})
    assert_mj_error(resp, "task_status_not_success ")

    resp = await client.post("/mj/submit/action", json={"taskId": parent["id"]})
    assert_openai_error(resp, 400, "Invalid request, custom_id_is_required")
    resp = await client.post("/mj/submit/action", json={"taskId": parent["id"], "customId": "MJ::JOB::upsample::x::h"})
    assert_openai_error(resp, 400, "Invalid request, index_parse_failed")
    resp = await client.post("/mj/submit/action", json={"taskId": 12, "customId": u1})
    assert_openai_error(
        resp,
        400,
        "Invalid request, 无效的请求, json: cannot unmarshal number into Go struct field MidjourneyRequest.taskId"
        " of type string",
    )


# ----------------------------------------------------------------------- modal
async def test_custom_zoom_modal_flow_keeps_the_id(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    parent = await finished_task(fake, client)
    up = (
        await client.post("/mj/submit/action", json={"taskId": parent["id"], "customId": button(parent, "U2")})
    ).json()
    fake.mj_finish(up["result"])
    upscaled = await fetch(client, up["result"])

    resp = await client.post(
        "/mj/submit/action", json={"taskId": upscaled["id"], "customId": button(upscaled, "Custom Zoom")}
    )
    body = resp.json()
    assert resp.status_code == 200
    assert body["code"] == 21 and body["description"] == "Waiting for window confirm"
    assert body["properties"] == {"finalPrompt": PROMPT, "remix": True}
    modal_id = body["result"]

    assert (await fetch(client, modal_id))["status"] == ""
    fake.mj_advance(modal_id, steps=10)
    task = await fetch(client, modal_id)
    assert (task["status"], task["action"], task["description"]) == (
        "MODAL",
        "CUSTOM_ZOOM",
        "Waiting for window confirm",
    )
    assert task["buttons"] is None

    resp = await client.post("/mj/submit/modal", json={"taskId": modal_id, "prompt": f"{PROMPT} --zoom 1.8"})
    assert resp.json() == {
        "code": 1,
        "description": "提交成功",
        "result": modal_id,
        "properties": {"discordInstanceId": "1118138338562560102"},
    }
    assert (await fetch(client, modal_id))["status"] == "MODAL"  # until the next poll
    fake.mj_advance(modal_id)
    assert (await fetch(client, modal_id))["status"] == "SUBMITTED"
    fake.mj_finish(modal_id)
    done = await fetch(client, modal_id)
    assert (done["id"], done["status"]) == (modal_id, "SUCCESS")
    assert done["properties"]["finalPrompt"] == f"{PROMPT} --zoom 1.8"
    assert done["prompt"] == PROMPT
    assert [b["label"] for b in done["buttons"]][:4] == ["U1", "U2", "U3", "U4"]

    resp = await client.post("/mj/submit/modal", json={"taskId": modal_id, "prompt": "again"})
    assert resp.json()["code"] == 4  # no longer waiting for a modal
    resp = await client.post("/mj/submit/modal", json={"taskId": "999", "prompt": "x"})
    assert_mj_error(resp, "task_not_found ")


async def test_inpaint_is_code_21_and_takes_a_mask(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    parent = fake.mj_create_task(action="UPSCALE")
    region = button(parent.render(), "Vary (Region)")
    resp = await client.post("/mj/submit/action", json={"taskId": parent.id, "customId": region})
    assert resp.json()["code"] == 21
    task_id = resp.json()["result"]
    assert fake.mj_tasks[task_id]["action"] == "INPAINT"
    resp = await client.post("/mj/submit/modal", json={"taskId": task_id, "prompt": "a hat", "maskBase64": PNG_1PX})
    assert resp.json()["result"] == task_id
    assert fake.mj_tasks[task_id].mask_base64 == PNG_1PX
    fake.mj_finish(task_id)
    task = await fetch(client, task_id)
    assert task["status"] == "SUCCESS" and task["maskBase64"] == ""  # new-api never fills it


async def test_remix_variation_answers_code_1_but_goes_modal(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    fake.mj_remix = True
    parent = await finished_task(fake, client)
    resp = await client.post("/mj/submit/action", json={"taskId": parent["id"], "customId": button(parent, "V1")})
    body = resp.json()
    assert body["code"] == 1  # new-api rewrote 21 → 1
    assert body["description"] == "Waiting for window confirm" and body["properties"]["remix"] is True
    fake.mj_advance(body["result"], steps=3)
    assert (await fetch(client, body["result"]))["status"] == "MODAL"

    resp = await client.post("/mj/submit/action", json={"taskId": parent["id"], "customId": button(parent, "U1")})
    assert resp.json()["description"] == "提交成功"  # upscale never needs the modal
    await client.post("/mj/submit/modal", json={"taskId": body["result"], "prompt": "remixed"})
    fake.mj_finish(body["result"])
    assert (await fetch(client, body["result"]))["status"] == "SUCCESS"


async def test_modal_stale_row_quirk(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    fake.mj_modal_stale = True
    parent = fake.mj_create_task(action="UPSCALE")
    resp = await client.post(
        "/mj/submit/action", json={"taskId": parent.id, "customId": button(parent.render(), "Custom Zoom")}
    )
    modal_id = resp.json()["result"]
    fake.mj_advance(modal_id)
    await client.post("/mj/submit/modal", json={"taskId": modal_id, "prompt": "zoomed --zoom 2"})
    fake.mj_advance(modal_id, steps=2)
    assert (await fetch(client, modal_id))["status"] == "MODAL"  # the first row is not polled
    rows = (await client.post("/mj/task/list-by-condition", json={"ids": [modal_id]})).json()
    assert [(r["id"], r["action"], r["status"]) for r in rows] == [
        (modal_id, "CUSTOM_ZOOM", "MODAL"),
        (modal_id, "MODAL", "IN_PROGRESS"),
    ]
    fake.mj_finish(modal_id)
    assert (await fetch(client, modal_id))["status"] == "SUCCESS"


# ----------------------------------------------------------- blend / describe
@pytest.mark.parametrize(("count", "code"), [(1, 4), (2, 1), (5, 1), (6, 4)])
async def test_blend_image_count(fake: FakeWenwen, client: httpx.AsyncClient, count: int, code: int) -> None:
    resp = await client.post("/mj/submit/blend", json={"base64Array": [PNG_1PX] * count, "dimensions": "PORTRAIT"})
    assert resp.status_code == 200  # validation answers pass through with the proxy's status
    body = resp.json()
    assert body["code"] == code
    if code == 4:
        assert body["description"] == "base64List参数错误" and not fake.mj_tasks
    else:
        fake.mj_finish(body["result"])
        task = await fetch(client, body["result"])
        assert task["action"] == "BLEND" and task["prompt"] == ""
        assert task["properties"]["finalPrompt"].endswith("--ar 2:3")
        assert len(task["buttons"]) == 9


async def test_blend_and_imagine_validation(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    resp = await client.post("/mj/submit/blend", json={"base64Array": [PNG_1PX] * 2, "dimensions": "WIDE"})
    assert resp.json()["code"] == 4
    resp = await client.post("/mj/submit/blend", json={"base64Array": [PNG_1PX, "not-a-data-url"]})
    assert resp.json() == {"code": 4, "description": "base64格式错误", "properties": {}}
    resp = await client.post("/mj/submit/imagine", json={"prompt": "x", "base64Array": ["http://x/y.png"]})
    assert resp.json()["code"] == 4
    resp = await client.post("/mj/submit/imagine", json={"prompt": "", "base64Array": [PNG_1PX]})
    assert_mj_error(resp, "prompt_is_required ")
    resp = await client.post("/mj/submit/imagine", json={"botType": "MID_JOURNEY"})
    assert_mj_error(resp, "prompt_is_required ")
    fake.mj_validation_status = 400  # trueai answers validation errors with 400
    resp = await client.post("/mj/submit/blend", json={"base64Array": [PNG_1PX]})
    assert resp.status_code == 400 and resp.json()["code"] == 4
    task_id = await imagine(client, "with image", base64Array=[PNG_1PX])
    fake.mj_finish(task_id)
    final = (await fetch(client, task_id))["properties"]["finalPrompt"]
    assert re.fullmatch(r"<https://s\.mj\.run/\w+> with image", final)


async def test_describe_returns_four_prompts(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    resp = await client.post("/mj/submit/describe", json={"base64": PNG_1PX})
    task_id = resp.json()["result"]
    fake.mj_advance(task_id, steps=2)
    assert (await fetch(client, task_id))["properties"]["finalPrompt"] == ""
    fake.mj_finish(task_id)
    task = await fetch(client, task_id)
    assert task["action"] == "DESCRIBE" and task["status"] == "SUCCESS"
    prompts = task["properties"]["finalPrompt"].split("\n\n")
    assert [p[:3] for p in prompts] == ["1️⃣", "2️⃣", "3️⃣", "4️⃣"]
    assert all(p.endswith("--ar 5:4") for p in prompts)
    assert task["promptEn"] == task["properties"]["finalPrompt"]
    assert task["imageUrl"] == f"{fake.base_url}/mj/image/{task_id}"
    reader = button(task, "1")
    resp = await client.post("/mj/submit/action", json={"taskId": task_id, "customId": reader})
    assert_openai_error(resp, 400, f"Invalid request, unknown_action:{reader}")

    resp = await client.post("/mj/submit/describe", json={})
    assert resp.json()["description"] == "base64不能为空"


async def test_shorten(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    resp = await client.post("/mj/submit/shorten", json={"prompt": "a very long and flowery prompt about foxes"})
    task_id = resp.json()["result"]
    fake.mj_finish(task_id)
    task = await fetch(client, task_id)
    assert task["action"] == "SHORTEN" and task["imageUrl"] == ""
    assert task["properties"]["finalPrompt"].startswith("1️⃣ a very long")


# ------------------------------------------------------------------ task reads
async def test_fetch_unknown_is_task_no_found(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    resp = await client.get("/mj/task/1712345678901234/fetch")
    assert_mj_error(resp, "task_no_found ")
    foreign = fake.mj_create_task(foreign=True)
    assert_mj_error(await client.get(f"/mj/task/{foreign.id}/fetch"), "task_no_found ")


async def test_list_by_condition_fifty_ids_in_one_call(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    fake.mj_auto_advance = True
    ids = [await imagine(client, f"prompt {i}") for i in range(45)]
    foreign = fake.mj_create_task(foreign=True)
    query = [*ids, *(f"99999999999999{i}" for i in range(4)), foreign.id]
    assert len(query) == 50
    resp = await client.post("/mj/task/list-by-condition", json={"ids": query})
    assert resp.status_code == 200
    tasks = resp.json()
    assert [t["id"] for t in tasks] == ids
    assert all(list(t) == TASK_KEYS and t["status"] == "" for t in tasks)
    assert fake.mj_list_calls == 1
    again = (await client.post("/mj/task/list-by-condition", json={"ids": query})).json()
    assert {t["status"] for t in again} == {"SUBMITTED"}  # each listed task advanced one stage
    assert fake.mj_list_calls == 2

    empty = await client.post("/mj/task/list-by-condition", json={"ids": ["1", "2"]})
    assert empty.status_code == 200 and empty.text == "[]"
    bad = await client.post("/mj/task/list-by-condition", content=b"not json")
    assert_mj_error(bad, "do_request_failed ")


async def test_image_seed(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    task_id = await imagine(client)
    resp = await client.get(f"/mj/task/{task_id}/image-seed")
    assert resp.status_code == 400 and resp.json()["description"] == "关联任务状态错误"
    fake.mj_finish(task_id)
    body = (await client.get(f"/mj/task/{task_id}/image-seed")).json()
    assert body["code"] == 1 and body["description"] == "成功" and body["result"].isdigit()
    assert_mj_error(await client.get("/mj/task/42/image-seed"), "task_no_found ")


# ------------------------------------------------------------------------ image
def png_chunks(data: bytes) -> list[tuple[bytes, int]]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        payload = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + payload) & 0xFFFFFFFF
        chunks.append((kind, length))
        pos += 12 + length
    return chunks


async def test_image_needs_no_auth(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    first = await finished_task(fake, client)
    second = await finished_task(fake, client, "another")
    async with httpx.AsyncClient(base_url=fake.base_url) as anonymous:
        resp = await anonymous.get(first["imageUrl"])
        other = await anonymous.get(f"/mj/image/{second['id']}")
        missing = await anonymous.get("/mj/image/123")
        not_yet = fake.mj_create_task(finished=False)
        pending = await anonymous.get(f"/mj/image/{not_yet.id}")
    assert resp.status_code == 200 and resp.headers["content-type"] == "image/png"
    assert [k for k, _ in png_chunks(resp.content)] == [b"IHDR", b"IDAT", b"IEND"]
    assert other.content != resp.content
    assert missing.status_code == 400 and missing.json() == {"error": "midjourney_task_not_found"}
    assert pending.status_code == 500


async def test_large_image_option(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    fake.mj_image_size = 11 * 1024 * 1024
    task = await finished_task(fake, client)
    resp = await client.get(f"/mj/image/{task['id']}")
    assert len(resp.content) >= 11 * 1024 * 1024
    kinds = [k for k, _ in png_chunks(resp.content)]
    assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND" and b"prVt" in kinds


# ------------------------------------------------------------------ auth, modes
@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "未提供令牌"),
        ({"Authorization": "Bearer sk-wrong"}, "无效的令牌"),
        ({"mj-api-secret": "sk-no"}, "无效的令牌"),
    ],
)
async def test_auth_failures_are_openai_shaped(fake: FakeWenwen, headers: dict[str, str], message: str) -> None:
    async with httpx.AsyncClient(base_url=fake.base_url, headers=headers) as c:
        for resp in (
            await c.post("/mj/submit/imagine", json={"prompt": "x"}),
            await c.get("/mj/task/1/fetch"),
            await c.post("/mj/task/list-by-condition", json={"ids": []}),
        ):
            assert_openai_error(resp, 401, message)
    assert not fake.mj_tasks


@pytest.mark.parametrize(
    "headers",
    [
        {"mj-api-secret": KEY},
        {"Authorization": "Bearer midjourney-proxy", "mj-api-secret": KEY},
        {"Authorization": KEY},
    ],
)
async def test_mj_api_secret_and_mode_prefixes(fake: FakeWenwen, headers: dict[str, str]) -> None:
    async with httpx.AsyncClient(base_url=fake.base_url, headers=headers) as c:
        resp = await c.post("/mj-fast/mj/submit/imagine", json={"prompt": "fast fox"})
        assert resp.json()["code"] == 1
        task_id = resp.json()["result"]
        assert (await c.get(f"/mj-relax/mj/task/{task_id}/fetch")).json()["id"] == task_id
        assert (await c.post("/mj-turbo/mj/task/list-by-condition", json={"ids": [task_id]})).json()[0]["id"] == task_id
        assert (await c.post("/fast/mj/submit/imagine", json={"prompt": "x"})).status_code == 404
    assert [r.path for r in fake.mj_requests("/mj/submit/imagine")] == ["/mj-fast/mj/submit/imagine"]


async def test_no_mj_channel_is_503(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    fake.models = [m for m in fake.models if m["id"] != "mj_imagine"]
    resp = await client.post("/mj/submit/imagine", json={"prompt": "x"})
    assert_openai_error(resp, 503, "当前分组 default 下对于模型 mj_imagine 无可用渠道")


# -------------------------------------------------------------- scripted codes
async def test_banned_prompt_script(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    fake.mj_script_submit(24)
    resp = await client.post("/mj/submit/imagine", json={"prompt": "nude body"})
    assert resp.status_code == 200
    assert resp.json() == {
        "code": 24,
        "description": "可能包含敏感词",
        "properties": {"promptEn": "nude body", "bannedWord": "nude"},
    }
    assert not fake.mj_tasks
    assert (await client.post("/mj/submit/imagine", json={"prompt": "a fox"})).json()["code"] == 1


async def test_queue_and_other_scripted_codes(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    fake.mj_script_submit(22)
    fake.mj_script_submit(23)
    fake.mj_script_submit(4, "参数错误: --ar 1:0")
    fake.mj_script_error(429, "当前分组负载已饱和，请稍后再试，或升级账户以提升服务质量。", code=30)
    fake.mj_script_error(503, "当前分组 default 下对于模型 mj_imagine 无可用渠道", openai=True)

    queued = (await client.post("/mj/submit/imagine", json={"prompt": "q"})).json()
    assert queued["code"] == 1 and queued["description"] == "排队中，前面还有1个任务"
    assert queued["properties"]["numberOfQueues"] == 1
    assert fake.mj_tasks[queued["result"]]["description"] == "排队中，前面还有1个任务"

    full = await client.post("/mj/submit/imagine", json={"prompt": "q"})
    assert full.status_code == 200 and full.json()["code"] == 23
    assert full.json()["description"] == "队列已满，请稍后尝试"
    invalid = (await client.post("/mj/submit/imagine", json={"prompt": "q"})).json()
    assert invalid == {"code": 4, "description": "参数错误: --ar 1:0", "properties": {}}
    limited = await client.post("/mj/submit/imagine", json={"prompt": "q"})
    assert_mj_error(limited, "当前分组负载已饱和，请稍后再试，或升级账户以提升服务质量。 ", status=429, code=30)
    no_channel = await client.post("/mj/submit/imagine", json={"prompt": "q"})
    assert_openai_error(no_channel, 503, "当前分组 default 下对于模型 mj_imagine 无可用渠道")
    assert len(fake.mj_tasks) == 1


async def test_upscale_already_exists_is_finished_at_once(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    parent = await finished_task(fake, client)
    fake.mj_script_submit(21, "任务已存在", {"status": "SUCCESS", "imageUrl": "https://cdn.example/x.png"})
    resp = await client.post("/mj/submit/action", json={"taskId": parent["id"], "customId": button(parent, "U3")})
    assert resp.json()["code"] == 1  # rewritten
    task = await fetch(client, resp.json()["result"])
    assert (task["status"], task["progress"], task["buttons"], task["properties"]) == ("SUCCESS", "100%", None, None)
    assert task["imageUrl"] == f"{fake.base_url}/mj/image/{task['id']}"
