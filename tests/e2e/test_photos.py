"""Photos: vision turns with the exact bytes, albums, the vision fallback, images in later turns."""

from __future__ import annotations

import base64

from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.wenwen import FakeWenwen, Reply
from tests.harness import ALICE, RunningBot
from tests.images import jpeg, png

JPEG = jpeg(0)


def data_url(data: bytes, mime: str = "image/jpeg") -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def chat_bodies(ww: FakeWenwen) -> list[dict]:
    return [r.json for r in ww.requests_to("/v1/chat/completions")]


async def test_photo_with_caption_sends_the_exact_bytes_and_the_caption(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    tg.send_media(ALICE, "photo", JPEG, caption="What breed is this dog?", user_id=ALICE)
    await tg.wait_for(lambda: bool(tg.chat_messages(ALICE)))
    [body] = chat_bodies(ww)
    assert body["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What breed is this dog?"},
                {"type": "image_url", "image_url": {"url": data_url(JPEG)}},
            ],
        }
    ]


async def test_photo_without_caption_asks_to_describe_it_in_the_users_language(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    tg.send_media(ALICE, "photo", JPEG, user_id=ALICE, language_code="zh-hans")
    await tg.wait_for(lambda: bool(tg.chat_messages(ALICE)))
    assert chat_bodies(ww)[0]["messages"][0]["content"][0] == {"type": "text", "text": "请描述这张图片。"}


async def test_an_album_of_three_is_one_request_with_three_images(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    photos = [jpeg(i + 1) for i in range(3)]
    tg.send_media(ALICE, "photo", photos[0], caption="Compare these", media_group_id="a1", user_id=ALICE)
    for photo in photos[1:]:
        tg.send_media(ALICE, "photo", photo, media_group_id="a1", user_id=ALICE)
    await tg.wait_for(lambda: bool(tg.chat_messages(ALICE)), timeout=15)
    [body] = chat_bodies(ww)
    parts = body["messages"][0]["content"]
    assert parts[0] == {"type": "text", "text": "Compare these"}
    assert [p["image_url"]["url"] for p in parts[1:]] == [data_url(p) for p in photos]


async def test_a_model_that_cannot_see_hands_photos_to_the_vision_model_and_says_so_once(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    tg.send_text(ALICE, "/model deepseek-reasoner", user_id=ALICE)
    await tg.wait_for(lambda: len(tg.chat_messages(ALICE)) == 1)
    tg.send_media(ALICE, "photo", JPEG, caption="what is it", user_id=ALICE)
    await tg.wait_for(lambda: len(tg.chat_messages(ALICE)) == 3)
    notice = tg.chat_messages(ALICE)[1].text or ""
    assert "deepseek-reasoner cannot see images" in notice and "gpt-4o-mini" in notice
    tg.send_media(ALICE, "photo", jpeg(2), caption="and this", user_id=ALICE)
    await tg.wait_for(lambda: len(tg.chat_messages(ALICE)) == 4)
    assert [b["model"] for b in chat_bodies(ww)] == ["gpt-4o-mini", "gpt-4o-mini"]
    tg.send_text(ALICE, "plain text again", user_id=ALICE)
    await tg.wait_for(lambda: len(tg.chat_messages(ALICE)) == 5)
    # the photos are still in the context, so the vision model keeps answering
    assert chat_bodies(ww)[2]["model"] == "gpt-4o-mini"


async def test_later_turns_see_the_image_again_and_the_database_keeps_only_its_file_id(
    tg: FakeTelegram, ww: FakeWenwen, make_bot
) -> None:
    bot = await make_bot(image_history_turns=1)
    tg.send_media(ALICE, "photo", JPEG, caption="Remember this picture", user_id=ALICE)
    await tg.wait_for(lambda: len(tg.chat_messages(ALICE)) == 1)
    tg.send_text(ALICE, "What colour was it?", user_id=ALICE)
    await tg.wait_for(lambda: len(tg.chat_messages(ALICE)) == 2)
    first_user = chat_bodies(ww)[1]["messages"][0]["content"]
    assert {"type": "image_url", "image_url": {"url": data_url(JPEG)}} in first_user

    tg.send_media(ALICE, "photo", jpeg(3), caption="A second picture", user_id=ALICE)
    await tg.wait_for(lambda: len(tg.chat_messages(ALICE)) == 3)
    tg.send_text(ALICE, "Compare both", user_id=ALICE)
    await tg.wait_for(lambda: len(tg.chat_messages(ALICE)) == 4)
    messages = chat_bodies(ww)[3]["messages"]
    # only the newest picture is sent again (IMAGE_HISTORY_TURNS=1); the older one is a placeholder
    assert messages[0]["content"] == "Remember this picture\n\n[image]"
    assert {"type": "image_url", "image_url": {"url": data_url(jpeg(3))}} in messages[4]["content"]

    stored = await bot.services.storage.conversations.all_messages(1)
    assert all(base64.b64encode(JPEG).decode()[:20] not in m.content for m in stored)
    assert len(stored[0].attachments) == 1 and stored[0].content == "Remember this picture"


async def test_an_answer_with_images_arrives_as_photos_and_text(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    picture = png(1)
    hosted = ww.mj_create_task()  # any image the gateway serves by URL
    link = f"{ww.base_url}/mj/image/{hosted['id']}"
    ww.script(Reply(text=f"Here you go:\n\n![one]({data_url(picture, 'image/png')})\n\n![two]({link})\n\nEnjoy!"))
    tg.send_text(ALICE, "draw two squares", user_id=ALICE)
    await tg.wait_for(lambda: sum(m.kind == "photo" for m in tg.chat_messages(ALICE)) == 2)
    messages = tg.chat_messages(ALICE)
    assert (messages[0].kind, messages[0].text) == ("text", "Here you go:\n\nEnjoy!")
    assert messages[1].file == picture
    assert messages[1].media_group_id is not None and messages[1].media_group_id == messages[2].media_group_id
    assert messages[2].file is not None and messages[2].file.startswith(b"\x89PNG")
    stored = await bot.services.storage.conversations.all_messages(1)
    assert stored[1].content == f"Here you go:\n\n[image]\n\n![two]({link})\n\nEnjoy!"


async def test_non_image_documents_get_a_clear_message(tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot) -> None:
    tg.send_media(ALICE, "document", b"PK\x03\x04...", file_name="archive.zip", user_id=ALICE)
    await tg.wait_for(lambda: bool(tg.chat_messages(ALICE)))
    assert "not this kind of file" in (tg.chat_messages(ALICE)[0].text or "")
    assert not ww.requests_to("/v1/chat/completions")


async def test_retry_of_a_photo_turn_sends_the_photo_again(tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot) -> None:
    tg.send_media(ALICE, "photo", JPEG, caption="What is it?", user_id=ALICE)
    await tg.wait_for(lambda: len(tg.chat_messages(ALICE)) == 1)
    tg.send_text(ALICE, "/retry", user_id=ALICE)
    await tg.wait_for(lambda: len(tg.chat_messages(ALICE)) == 2)
    first, again = chat_bodies(ww)
    assert again["messages"] == first["messages"]
