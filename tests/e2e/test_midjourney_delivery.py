"""Midjourney results reach the chat or the user is told: captions measured as Telegram does, bounded retries."""

from __future__ import annotations

from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.wenwen import FakeWenwen
from tests.harness import ALICE

from .mj_helpers import FAST_MJ, texts, wait_results


async def test_a_prompt_whose_caption_is_1025_utf16_units_is_delivered(
    tg: FakeTelegram, ww: FakeWenwen, make_bot
) -> None:
    await make_bot(**FAST_MJ)
    # "🎨 " + the prompt is 724 characters but 3 + 600 + 422 = 1025 UTF-16 units: one over Telegram's limit
    prompt = "🦊" * 300 + "x" * 422
    tg.send_text(ALICE, f"/imagine {prompt}", user_id=ALICE)
    [result] = await wait_results(tg, ALICE, 1, within=30)
    caption = result.text or ""
    assert len(caption.encode("utf-16-le")) // 2 <= 1024
    assert caption.startswith("🎨 🦊") and caption.endswith("…")


async def test_a_result_telegram_keeps_refusing_is_tried_a_few_times_then_explained(
    tg: FakeTelegram, ww: FakeWenwen, make_bot
) -> None:
    await make_bot(**FAST_MJ)
    for method in ("sendPhoto", "sendDocument"):
        tg.fail_next(method, status=400, description="Bad Request: wrong file identifier/HTTP URL specified", times=50)
    tg.send_text(ALICE, "/imagine a kite", user_id=ALICE)
    await tg.wait_for(lambda: any("refused it several times" in t for t in texts(tg, ALICE)), timeout=30)
    # MAX_DELIVERY_ATTEMPTS tries, each a photo and then a document (previews try sendPhoto too)
    assert len(tg.calls_of("sendDocument")) == 5
    assert len([c for c in tg.calls_of("sendPhoto") if c.params.get("reply_markup")]) == 5
    await tg.wait_for(lambda: len(tg.calls_of("sendMessage")) >= 2)
    assert sum("refused it several times" in t for t in texts(tg, ALICE)) == 1
