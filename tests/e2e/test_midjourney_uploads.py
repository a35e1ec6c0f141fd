"""Midjourney with the user's photos and beyond images: face swap, image prompts, /mjedit, MJ video, expired links."""

from __future__ import annotations

import base64

from tests.fakes.telegram_api import FakeTelegram, StoredMessage
from tests.fakes.wenwen import FakeWenwen
from tests.fakes.wenwen.mj_media import mp4_bytes
from tests.fakes.wenwen.mj_model import png_bytes
from tests.harness import ALICE
from tests.images import jpeg

from .mj_helpers import FAST_MJ, buttons, submits, texts, wait_results


def data_url(image: bytes) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(image).decode()


def task_of(ww: FakeWenwen, path: str) -> str:
    [request] = ww.mj_requests(path)
    return str(request.extra["mj_task_id"])


async def wait_photo(tg: FakeTelegram, content: bytes) -> StoredMessage:
    """The bot's photo whose bytes are `content` (a result without buttons)."""
    await tg.wait_for(lambda: any(m.file == content for m in tg.chat_messages(ALICE)), timeout=20)
    return next(m for m in tg.chat_messages(ALICE) if m.file == content)


async def test_faceswap_album_sends_the_face_then_the_target(tg: FakeTelegram, ww: FakeWenwen, make_bot) -> None:
    await make_bot(**FAST_MJ)
    face, target = jpeg(31), jpeg(32)
    tg.send_media(ALICE, "photo", face, caption="/faceswap", media_group_id="fs1", user_id=ALICE)
    tg.send_media(ALICE, "photo", target, media_group_id="fs1", user_id=ALICE)
    await tg.wait_for(lambda: bool(ww.mj_requests("/mj/insight-face/swap")), timeout=15)
    [body] = [r.json for r in ww.mj_requests("/mj/insight-face/swap")]
    assert body is not None
    assert (body["sourceBase64"], body["targetBase64"]) == (data_url(face), data_url(target))
    task_id = task_of(ww, "/mj/insight-face/swap")
    result = await wait_photo(tg, png_bytes(task_id))
    assert result.kind == "photo" and "/faceswap" in (result.text or "")
    assert ww.mj_tasks[task_id]["action"] == "SWAP_FACE"


async def test_faceswap_as_a_face_photo_replying_to_the_target(tg: FakeTelegram, ww: FakeWenwen, make_bot) -> None:
    await make_bot(**FAST_MJ)
    face, target = jpeg(41), jpeg(42)
    target_message = tg.send_media(ALICE, "photo", target, caption="my holiday", user_id=ALICE)
    tg.send_media(ALICE, "photo", face, caption="/faceswap", user_id=ALICE, reply_to_message_id=target_message)
    await tg.wait_for(lambda: bool(ww.mj_requests("/mj/insight-face/swap")), timeout=15)
    [request] = ww.mj_requests("/mj/insight-face/swap")
    assert request.json is not None
    assert (request.json["sourceBase64"], request.json["targetBase64"]) == (data_url(face), data_url(target))
    await wait_photo(tg, png_bytes(task_of(ww, "/mj/insight-face/swap")))


async def test_a_refused_faceswap_gives_the_gateways_reason(tg: FakeTelegram, ww: FakeWenwen, make_bot) -> None:
    await make_bot(**FAST_MJ)
    ww.mj_script_submit(code=4, description="未检测到人脸")
    tg.send_media(ALICE, "photo", jpeg(51), caption="/faceswap", media_group_id="fs2", user_id=ALICE)
    tg.send_media(ALICE, "photo", jpeg(52), media_group_id="fs2", user_id=ALICE)
    await tg.wait_for(lambda: any("未检测到人脸" in t for t in texts(tg, ALICE)), timeout=15)
    assert not ww.mj_tasks


async def test_an_album_captioned_imagine_sends_image_prompts(tg: FakeTelegram, ww: FakeWenwen, make_bot) -> None:
    await make_bot(**FAST_MJ)
    images = [jpeg(61), jpeg(62)]
    tg.send_media(ALICE, "photo", images[0], caption="/imagine a castle --v 6.1", media_group_id="ip", user_id=ALICE)
    tg.send_media(ALICE, "photo", images[1], media_group_id="ip", user_id=ALICE)
    [grid] = await wait_results(tg, ALICE, 1, within=20)
    [request] = submits(ww, "imagine")
    assert request["prompt"] == "a castle --v 6.1"
    assert request["base64Array"] == [data_url(i) for i in images]
    assert grid.file == png_bytes(task_of(ww, "/mj/submit/imagine")) and "U1" in buttons(grid)


async def test_a_photo_captioned_mjedit_goes_to_edits(tg: FakeTelegram, ww: FakeWenwen, make_bot) -> None:
    await make_bot(**FAST_MJ)
    image = jpeg(71)
    tg.send_media(ALICE, "photo", image, caption="/mjedit make the sky stormy", user_id=ALICE)
    [result] = await wait_results(tg, ALICE, 1, within=20)
    [request] = submits(ww, "edits")
    assert (request["prompt"], request["image"]) == ("make the sky stormy", data_url(image))
    task_id = task_of(ww, "/mj/submit/edits")
    assert result.file == png_bytes(task_id) and ww.mj_tasks[task_id]["action"] == "EDITS"
    assert not submits(ww, "imagine")


async def test_an_upscales_animate_button_makes_a_video(tg: FakeTelegram, ww: FakeWenwen, make_bot) -> None:
    await make_bot(**FAST_MJ)
    ww.mj_video_buttons = True
    tg.send_text(ALICE, "/imagine waves on a beach", user_id=ALICE)
    [grid] = await wait_results(tg, ALICE, 1)
    tg.press_button(ALICE, grid.message_id, buttons(grid)["U1"], user_id=ALICE)
    upscale = (await wait_results(tg, ALICE, 2))[-1]
    upscale_id = task_of(ww, "/mj/submit/action")
    animate = next(data for label, data in buttons(upscale).items() if "Animate (High motion)" in label)

    tg.press_button(ALICE, upscale.message_id, animate, user_id=ALICE)
    await tg.wait_for(lambda: any(m.kind == "video" for m in tg.chat_messages(ALICE)), timeout=20)
    [request] = submits(ww, "video")
    assert request["motion"] == "high" and request["prompt"] == "waves on a beach"
    assert request["image"] == "data:image/png;base64," + base64.b64encode(png_bytes(upscale_id)).decode()
    video_id = task_of(ww, "/mj/submit/video")
    video = next(m for m in tg.chat_messages(ALICE) if m.kind == "video")
    assert video.file == mp4_bytes(video_id)
    assert video.reply_to == upscale.message_id and "waves on a beach" in (video.text or "")
    assert [c.params.get("supports_streaming") for c in tg.calls_of("sendVideo")] in (["true"], [True])
    assert len(submits(ww, "action")) == 1  # the Animate press is not an action new-api would refuse


async def test_an_expired_image_link_is_fetched_through_mj_image(tg: FakeTelegram, ww: FakeWenwen, make_bot) -> None:
    await make_bot(**FAST_MJ)
    ww.mj_forward_url = False
    ww.mj_links_expired = True
    tg.send_text(ALICE, "/imagine a lighthouse", user_id=ALICE)
    [result] = await wait_results(tg, ALICE, 1)
    task_id = task_of(ww, "/mj/submit/imagine")
    assert "/fake-cdn/" in ww.mj_tasks[task_id]["imageUrl"]
    assert result.kind == "photo" and result.file == png_bytes(task_id)
    assert ww.requests_to(f"/fake-cdn/mj/{task_id}.png"), "the task's own link was tried first"
    assert ww.requests_to(f"/mj/image/{task_id}")


async def test_faceswap_counts_against_the_daily_image_limit(tg: FakeTelegram, ww: FakeWenwen, make_bot) -> None:
    await make_bot(**FAST_MJ, daily_image_limit=1)
    tg.send_text(ALICE, "/imagine a dog", user_id=ALICE)
    await wait_results(tg, ALICE, 1)
    tg.send_media(ALICE, "photo", jpeg(81), caption="/faceswap", media_group_id="fs3", user_id=ALICE)
    tg.send_media(ALICE, "photo", jpeg(82), media_group_id="fs3", user_id=ALICE)
    await tg.wait_for(lambda: any("images for today" in t or "1 images" in t for t in texts(tg, ALICE)), timeout=15)
    assert not ww.mj_requests("/mj/insight-face/swap")
