"""/imagine end to end: progress, the result photo with the task's own buttons, actions, modal flow."""

from __future__ import annotations

import base64

from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.wenwen import FakeWenwen
from tests.harness import ALICE, BOB
from tests.images import jpeg

from .mj_helpers import FAST_MJ, buttons, photos, submits, texts, wait_results

PROMPT = "a red fox in snow --ar 16:9 --v 6.1 --niji"


async def test_imagine_shows_progress_then_the_grid_with_its_buttons(
    tg: FakeTelegram, ww: FakeWenwen, make_bot
) -> None:
    await make_bot(**FAST_MJ)
    command = tg.send_text(ALICE, f"/imagine {PROMPT}", user_id=ALICE)
    [result] = await wait_results(tg, ALICE, 1)

    assert submits(ww, "imagine")[0]["prompt"] == PROMPT
    task_id = next(iter(ww.mj_tasks))
    assert result.kind == "photo"
    labels = list(buttons(result))
    assert labels == ["U1", "U2", "U3", "U4", "🔄", "V1", "V2", "V3", "V4", "🌱"]
    assert all(len(data.encode()) <= 64 for data in buttons(result).values())
    assert result.reply_to == command
    assert PROMPT in (result.text or "")
    # the progress message was shown (and edited or turned into the preview photo), then removed
    progress_sends = [
        c for c in tg.calls_of("sendMessage") if "▓" in c.params.get("text", "") or "⏳" in c.params.get("text", "")
    ]
    assert progress_sends, "a progress message should have been sent"
    assert tg.calls_of("editMessageText") or tg.calls_of("editMessageCaption") or len(tg.calls_of("sendPhoto")) >= 2
    # the result is sent first, then the progress message goes
    await tg.wait_for(lambda: [m.kind for m in tg.chat_messages(ALICE)] == ["photo"])
    # result bytes are the gateway's image, uploaded by the bot
    image = await _gateway_image(ww, task_id)
    assert result.file == image


async def _gateway_image(ww: FakeWenwen, task_id: str) -> bytes:
    import httpx

    async with httpx.AsyncClient() as client:
        return (await client.get(f"{ww.base_url}/mj/image/{task_id}")).content


async def test_u1_submits_the_exact_custom_id_and_delivers_the_upscale(
    tg: FakeTelegram, ww: FakeWenwen, make_bot
) -> None:
    await make_bot(**FAST_MJ)
    tg.send_text(ALICE, f"/imagine {PROMPT}", user_id=ALICE)
    [grid] = await wait_results(tg, ALICE, 1)
    parent_id = next(iter(ww.mj_tasks))
    expected_custom_id = next(b["customId"] for b in ww.mj_tasks[parent_id]["buttons"] if b["label"] == "U1")

    tg.press_button(ALICE, grid.message_id, buttons(grid)["U1"], user_id=ALICE)
    results = await wait_results(tg, ALICE, 2)
    action = submits(ww, "action")
    assert [(a["taskId"], a["customId"]) for a in action] == [(parent_id, expected_custom_id)]
    upscale = results[-1]
    labels = list(buttons(upscale))
    assert "Vary (Subtle)" in " ".join(labels) and "Zoom Out 2x" in " ".join(labels)
    assert not any("Vary (Region)" in label for label in labels)  # needs a mask
    assert not any("❤" in label for label in labels)  # BOOKMARK is refused by new-api
    assert "📄" in labels and "🌱" in labels
    assert any(
        len(b["customId"].encode()) > 64
        for b in ww.mj_tasks[action and list(ww.mj_tasks)[1]]["buttons"]
        if b.get("customId")
    )
    answered = tg.calls_of("answerCallbackQuery")[0].params
    assert "U1" in answered.get("text", "")


async def test_a_double_press_starts_one_paid_action(tg: FakeTelegram, ww: FakeWenwen, make_bot) -> None:
    await make_bot(**FAST_MJ)
    tg.send_text(ALICE, f"/imagine {PROMPT}", user_id=ALICE)
    [grid] = await wait_results(tg, ALICE, 1)
    tg.press_button(ALICE, grid.message_id, buttons(grid)["V2"], user_id=ALICE)
    tg.press_button(ALICE, grid.message_id, buttons(grid)["V2"], user_id=ALICE)
    await tg.wait_for(lambda: len(tg.calls_of("answerCallbackQuery")) == 2)
    await wait_results(tg, ALICE, 2)
    assert len(submits(ww, "action")) == 1
    answers = sorted(c.params.get("text", "") for c in tg.calls_of("answerCallbackQuery"))
    assert any("Already started" in a for a in answers)


async def test_custom_zoom_asks_for_a_prompt_and_submits_the_modal(tg: FakeTelegram, ww: FakeWenwen, make_bot) -> None:
    await make_bot(**FAST_MJ)
    tg.send_text(ALICE, f"/imagine {PROMPT}", user_id=ALICE)
    [grid] = await wait_results(tg, ALICE, 1)
    tg.press_button(ALICE, grid.message_id, buttons(grid)["U1"], user_id=ALICE)
    upscale = (await wait_results(tg, ALICE, 2))[-1]
    zoom = next(data for label, data in buttons(upscale).items() if "Custom Zoom" in label)

    tg.press_button(ALICE, upscale.message_id, zoom, user_id=ALICE)
    await tg.wait_for(lambda: any("Reply to this message" in t for t in texts(tg, ALICE)))
    question = next(m for m in tg.chat_messages(ALICE) if "Reply to this message" in (m.text or ""))
    ask = next(c for c in tg.calls_of("sendMessage") if "Reply to this message" in c.params.get("text", ""))
    assert ask.params["reply_markup"]["force_reply"] is True
    modal_task = submits(ww, "action")[-1]
    tg.send_text(ALICE, f"{PROMPT} --zoom 1.8", user_id=ALICE, reply_to_message_id=question.message_id)
    await wait_results(tg, ALICE, 3)

    [modal] = submits(ww, "modal")
    zoom_task_id = [r for r in ww.mj_requests("/mj/submit/action")][-1].extra["mj_task_id"]
    assert modal == {"taskId": zoom_task_id, "prompt": f"{PROMPT} --zoom 1.8"}
    assert "MJ::CustomZoom" in modal_task["customId"]
    assert not ww.requests_to("/v1/chat/completions"), "the prompt reply must not become a chat turn"


async def test_remix_variation_goes_modal_through_the_poll(tg: FakeTelegram, ww: FakeWenwen, make_bot) -> None:
    await make_bot(**FAST_MJ)
    tg.send_text(ALICE, f"/imagine {PROMPT}", user_id=ALICE)
    [grid] = await wait_results(tg, ALICE, 1)
    ww.mj_remix = True
    tg.press_button(ALICE, grid.message_id, buttons(grid)["V1"], user_id=ALICE)
    await tg.wait_for(lambda: any("Reply to this message" in t for t in texts(tg, ALICE)))
    question = next(m for m in tg.chat_messages(ALICE) if "Reply to this message" in (m.text or ""))
    tg.send_text(ALICE, "a blue fox instead", user_id=ALICE, reply_to_message_id=question.message_id)
    await wait_results(tg, ALICE, 2)
    assert submits(ww, "modal")[0]["prompt"] == "a blue fox instead"


async def test_only_the_owner_presses_buttons_in_a_group(tg: FakeTelegram, ww: FakeWenwen, make_bot) -> None:
    await make_bot(**FAST_MJ)
    group = -100246
    tg.send_text(group, f"/imagine {PROMPT}", user_id=ALICE, chat_type="supergroup")
    [grid] = await wait_results(tg, group, 1)
    tg.press_button(group, grid.message_id, buttons(grid)["U3"], user_id=BOB)
    await tg.wait_for(lambda: bool(tg.calls_of("answerCallbackQuery")))
    answer = tg.calls_of("answerCallbackQuery")[0].params
    assert answer["show_alert"] is True and "Only the person" in answer["text"]
    assert not submits(ww, "action")


async def test_forged_or_stale_buttons_do_nothing(tg: FakeTelegram, ww: FakeWenwen, make_bot) -> None:
    await make_bot(**FAST_MJ)
    tg.send_text(ALICE, f"/imagine {PROMPT}", user_id=ALICE)
    [grid] = await wait_results(tg, ALICE, 1)
    for data in ("mj:999999", "mj:abc", "mj:", "mj:1' OR 1=1"):
        tg.press_button(ALICE, grid.message_id, data, user_id=ALICE, allow_unknown_data=True)
    await tg.wait_for(lambda: len(tg.calls_of("answerCallbackQuery")) == 4)
    assert {c.params.get("text") for c in tg.calls_of("answerCallbackQuery")} == {"This button is no longer valid."}
    assert not submits(ww, "action")


async def test_seed_button_returns_the_seed(tg: FakeTelegram, ww: FakeWenwen, make_bot) -> None:
    await make_bot(**FAST_MJ)
    tg.send_text(ALICE, f"/imagine {PROMPT}", user_id=ALICE)
    [grid] = await wait_results(tg, ALICE, 1)
    tg.press_button(ALICE, grid.message_id, buttons(grid)["🌱"], user_id=ALICE)
    await tg.wait_for(lambda: any(t.startswith("🌱 Seed:") for t in texts(tg, ALICE)))
    tg.send_text(ALICE, "/seed", user_id=ALICE, reply_to_message_id=grid.message_id)
    await tg.wait_for(lambda: sum(t.startswith("🌱 Seed:") for t in texts(tg, ALICE)) == 2)


async def test_describe_offers_four_prompts_that_imagine(tg: FakeTelegram, ww: FakeWenwen, make_bot) -> None:
    await make_bot(**FAST_MJ)
    image = jpeg(11)
    tg.send_media(ALICE, "photo", image, caption="/describe", user_id=ALICE)
    await tg.wait_for(lambda: any("Prompts for your image" in t for t in texts(tg, ALICE)), timeout=15)
    [request] = submits(ww, "describe")
    assert request["base64"] == "data:image/jpeg;base64," + base64.b64encode(image).decode()
    described = next(m for m in tg.chat_messages(ALICE) if "Prompts for your image" in (m.text or ""))
    keyboard = buttons(described)
    assert list(keyboard) == ["🎨 1", "🎨 2", "🎨 3", "🎨 4"]
    tg.press_button(ALICE, described.message_id, keyboard["🎨 2"], user_id=ALICE)
    await wait_results(tg, ALICE, 1)
    imagined = submits(ww, "imagine")[0]["prompt"]
    assert imagined and imagined in (described.text or "")


async def test_blend_an_album_of_three_photos(tg: FakeTelegram, ww: FakeWenwen, make_bot) -> None:
    await make_bot(**FAST_MJ)
    images = [jpeg(21), jpeg(22), jpeg(23)]
    tg.send_media(ALICE, "photo", images[0], caption="/blend portrait", media_group_id="alb1", user_id=ALICE)
    for image in images[1:]:
        tg.send_media(ALICE, "photo", image, media_group_id="alb1", user_id=ALICE)
    await wait_results(tg, ALICE, 1, within=20)
    [request] = submits(ww, "blend")
    assert request["dimensions"] == "PORTRAIT"
    assert request["base64Array"] == ["data:image/jpeg;base64," + base64.b64encode(i).decode() for i in images]


async def test_imagine_without_a_prompt_explains_usage(tg: FakeTelegram, ww: FakeWenwen, make_bot) -> None:
    await make_bot(**FAST_MJ)
    tg.send_text(ALICE, "/imagine", user_id=ALICE)
    await tg.wait_for(lambda: bool(tg.chat_messages(ALICE)))
    assert "/imagine a red fox" in texts(tg, ALICE)[0]
    assert not submits(ww, "imagine")
    assert not photos(tg, ALICE)
