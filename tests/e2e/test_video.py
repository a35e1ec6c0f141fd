"""/video end to end over the fakes: progress, the exact bytes, image to video, failures, 🔁, limits, the list."""

from __future__ import annotations

from typing import Any

from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.telegram_methods import StoredMessage
from tests.fakes.wenwen import FakeWenwen
from tests.fakes.wenwen.video import FakeVideo
from tests.harness import ALICE, BOB
from tests.images import jpeg, png

FAST = {"video_poll_interval": 0.1, "mj_progress_interval": 0}


def videos(tg: FakeTelegram, chat_id: int) -> list[StoredMessage]:
    return [m for m in tg.chat_messages(chat_id) if m.kind in ("video", "document")]


def texts(tg: FakeTelegram, chat_id: int) -> list[str]:
    return [m.text or "" for m in tg.chat_messages(chat_id) if m.kind == "text"]


def submits(ww: FakeWenwen, path: str = "/v1/videos") -> list[Any]:
    return [r for r in ww.requests_to(path) if r.method == "POST"]


def only_task(ww: FakeWenwen) -> FakeVideo:
    [task] = ww.video_tasks.values()
    return task


async def wait_videos(tg: FakeTelegram, chat_id: int, count: int, within: float = 15) -> list[StoredMessage]:
    await tg.wait_for(lambda: len(videos(tg, chat_id)) >= count, timeout=within)
    return videos(tg, chat_id)


async def test_video_shows_progress_then_the_video_with_the_exact_bytes(
    tg: FakeTelegram, ww: FakeWenwen, make_bot: Any
) -> None:
    await make_bot(**FAST)
    tg.send_text(ALICE, "/video --seconds 8 --portrait a red fox running in snow", user_id=ALICE)
    [video] = await wait_videos(tg, ALICE, 1)
    task = only_task(ww)
    assert video.kind == "video" and video.file == task.content
    assert video.text == "🎬 a red fox running in snow"
    [call] = [c for c in tg.calls_of("sendVideo") if c.ok]
    assert call.params.get("supports_streaming") in (True, "true", "True")
    [submit] = submits(ww)
    form = {"model": "sora-2", "prompt": "a red fox running in snow", "seconds": "8", "size": "720x1280"}
    assert submit.extra["form"] == form
    edits = [str(c.params.get("text", "")) for c in tg.calls_of("editMessageText") if c.ok]
    assert any("▓" in text and "55%" in text for text in edits), edits
    await tg.wait_for(lambda: not texts(tg, ALICE))  # the progress message goes once the video is there
    assert len(ww.requests_to(f"/v1/videos/{task.id}/content")) == 1
    [[again]] = (video.reply_markup or {})["inline_keyboard"]
    assert again["text"] == "🔁 Again" and again["callback_data"].startswith("vid:")


async def test_a_photo_captioned_video_is_image_to_video(tg: FakeTelegram, ww: FakeWenwen, make_bot: Any) -> None:
    await make_bot(**FAST)
    photo = png(7, (64, 48))
    tg.send_media(ALICE, "photo", photo, caption="/video make the waves move", user_id=ALICE)
    await wait_videos(tg, ALICE, 1)
    [reference] = only_task(ww).references
    assert reference[2] == photo and reference[1] == "image/png"
    assert only_task(ww).prompt == "make the waves move"


async def test_two_photos_are_first_and_last_frame_only_where_the_model_takes_them(
    tg: FakeTelegram, ww: FakeWenwen, make_bot: Any
) -> None:
    await make_bot(**FAST)
    first, last = jpeg(1, (32, 32)), jpeg(2, (32, 32))
    tg.send_media(ALICE, "photo", first, caption="/video a flower opening", media_group_id="a1", user_id=ALICE)
    tg.send_media(ALICE, "photo", last, media_group_id="a1", user_id=ALICE)
    await tg.wait_for(lambda: any("first and a last frame" in text for text in texts(tg, ALICE)))
    assert not submits(ww), "sora-2 takes no last frame: nothing was sent"
    tg.send_media(
        ALICE, "photo", first, caption="/video --model veo-3.1 a flower opening", media_group_id="a2", user_id=ALICE
    )
    tg.send_media(ALICE, "photo", last, media_group_id="a2", user_id=ALICE)
    await wait_videos(tg, ALICE, 1)
    assert [ref[2] for ref in only_task(ww).references] == [first, last]


async def test_a_failed_video_shows_the_gateways_reason(tg: FakeTelegram, ww: FakeWenwen, make_bot: Any) -> None:
    await make_bot(**FAST)
    ww.video_fail_next("Your request was rejected by the safety system")
    tg.send_text(ALICE, "/video a crowded street", user_id=ALICE)
    await tg.wait_for(lambda: any("rejected by the safety system" in text for text in texts(tg, ALICE)))
    [text] = texts(tg, ALICE)
    assert text.startswith("❌") and "/video" in text
    assert not videos(tg, ALICE)


async def test_a_refused_submit_is_told_and_not_counted(tg: FakeTelegram, ww: FakeWenwen, make_bot: Any) -> None:
    await make_bot(**FAST, daily_image_limit=1)
    ww.video_refuse_next(400, "prompt too long for this model")
    tg.send_text(ALICE, "/video a cat", user_id=ALICE)
    await tg.wait_for(lambda: any("prompt too long" in text for text in texts(tg, ALICE)))
    tg.send_text(ALICE, "/video a dog", user_id=ALICE)
    await wait_videos(tg, ALICE, 1)


async def test_without_a_prompt_video_lists_the_gateways_video_models(
    tg: FakeTelegram, ww: FakeWenwen, make_bot: Any
) -> None:
    await make_bot(**FAST)
    tg.send_text(ALICE, "/video", user_id=ALICE)
    await tg.wait_for(lambda: bool(texts(tg, ALICE)))
    [text] = texts(tg, ALICE)
    assert "sora-2, veo-3.1" in text and "kling" not in text and "gpt-4o" not in text
    assert not submits(ww)


async def test_the_again_button_makes_the_video_again(tg: FakeTelegram, ww: FakeWenwen, make_bot: Any) -> None:
    await make_bot(**FAST)
    tg.send_text(ALICE, "/video --landscape a lighthouse at dusk", user_id=ALICE)
    [first] = await wait_videos(tg, ALICE, 1)
    data = first.reply_markup["inline_keyboard"][0][0]["callback_data"]  # type: ignore[index]
    tg.press_button(ALICE, first.message_id, data, user_id=ALICE)
    await wait_videos(tg, ALICE, 2)
    assert [s.extra["form"] for s in submits(ww)] == [
        {"model": "sora-2", "prompt": "a lighthouse at dusk", "size": "1280x720"}
    ] * 2
    assert len({m.file for m in videos(tg, ALICE)}) == 2


async def test_someone_elses_again_button_starts_nothing(tg: FakeTelegram, ww: FakeWenwen, make_bot: Any) -> None:
    await make_bot(**FAST)
    group = -100777
    tg.send_text(group, "/video a bridge", user_id=ALICE, chat_type="supergroup")
    [first] = await wait_videos(tg, group, 1)
    data = first.reply_markup["inline_keyboard"][0][0]["callback_data"]  # type: ignore[index]
    tg.press_button(group, first.message_id, data, user_id=BOB)
    await tg.wait_for(lambda: bool(tg.calls_of("answerCallbackQuery")))
    [answer] = tg.calls_of("answerCallbackQuery")
    assert answer.params["show_alert"] is True and "Only the person" in answer.params["text"]
    assert len(submits(ww)) == 1


async def test_a_video_counts_against_the_daily_image_limit(tg: FakeTelegram, ww: FakeWenwen, make_bot: Any) -> None:
    await make_bot(**FAST, daily_image_limit=1)
    tg.send_text(ALICE, "/video a cat", user_id=ALICE)
    await wait_videos(tg, ALICE, 1)
    tg.send_text(ALICE, "/video another cat", user_id=ALICE)
    await tg.wait_for(lambda: any("limit" in text.lower() for text in texts(tg, ALICE)))
    assert len(submits(ww)) == 1


async def test_generic_style_models_and_the_docs_status_spelling(
    tg: FakeTelegram, ww: FakeWenwen, make_bot: Any
) -> None:
    await make_bot(**FAST)
    tg.send_text(ALICE, "/video --model kling-v1 --seconds 5 --size 1280x720 a paper boat", user_id=ALICE)
    [video] = await wait_videos(tg, ALICE, 1)
    [submit] = submits(ww, "/v1/video/generations")
    assert submit.json == {"model": "kling-v1", "prompt": "a paper boat", "duration": 5, "width": 1280, "height": 720}
    assert video.file == only_task(ww).content and not submits(ww)
    ww.video_spelling = "docs"  # processing / succeeded
    tg.send_text(ALICE, "/video a paper plane", user_id=ALICE)
    await wait_videos(tg, ALICE, 2)


async def test_bad_options_are_explained(tg: FakeTelegram, ww: FakeWenwen, make_bot: Any) -> None:
    await make_bot(**FAST)
    tg.send_text(ALICE, "/video --seconds forever a cat", user_id=ALICE)
    await tg.wait_for(lambda: bool(texts(tg, ALICE)))
    assert "--seconds" in texts(tg, ALICE)[0]
    assert not submits(ww)
