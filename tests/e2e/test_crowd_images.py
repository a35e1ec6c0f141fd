"""Images going to the model: bounded in size and number, checked, and never resent once refused."""

from __future__ import annotations

import base64
from io import BytesIO

from PIL import Image

from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.wenwen import FakeWenwen, Reply
from tests.harness import ALICE, RunningBot
from tests.images import jpeg


def chat_bodies(ww: FakeWenwen) -> list[dict]:
    return [r.json for r in ww.requests_to("/v1/chat/completions")]


def image_parts(body: dict) -> list[bytes]:
    found = []
    for message in body["messages"]:
        if isinstance(message["content"], list):
            for part in message["content"]:
                if part["type"] == "image_url":
                    found.append(base64.b64decode(part["image_url"]["url"].split(",", 1)[1]))
    return found


def big_png(width: int, height: int) -> bytes:
    out = BytesIO()
    Image.new("RGB", (width, height), (10, 200, 30)).save(out, "PNG")
    return out.getvalue()


async def test_a_large_photo_is_downscaled_before_it_goes_to_the_model(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    tg.send_media(ALICE, "document", big_png(3000, 1000), file_name="wide.png", user_id=ALICE)
    await tg.wait_for(lambda: bool(tg.chat_messages(ALICE)))
    [sent] = image_parts(chat_bodies(ww)[0])
    with Image.open(BytesIO(sent)) as image:
        assert max(image.size) <= 2048 and image.size[0] / image.size[1] > 2.9
    assert len(sent) <= 4 * 1024 * 1024


async def test_an_album_sends_at_most_ten_images_and_small_ones_byte_exact(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    photos = [jpeg(i) for i in range(10)]
    tg.send_media(ALICE, "photo", photos[0], caption="all of them", media_group_id="g", user_id=ALICE)
    for photo in photos[1:]:
        tg.send_media(ALICE, "photo", photo, media_group_id="g", user_id=ALICE)
    await tg.wait_for(lambda: bool(tg.chat_messages(ALICE)), timeout=15)
    tg.send_media(ALICE, "photo", jpeg(50), caption="and one more", user_id=ALICE)
    await tg.wait_for(lambda: len(tg.chat_messages(ALICE)) == 2, timeout=15)
    first, second = chat_bodies(ww)
    assert image_parts(first) == photos
    assert len(image_parts(second)) == 10  # the newest first: the new photo and nine of the album
    assert image_parts(second)[-1] == jpeg(50)


async def test_a_file_that_is_not_a_readable_image_is_left_out_once_and_for_all(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 200
    tg.send_media(ALICE, "document", heic, file_name="IMG_0001.HEIC", user_id=ALICE)
    await tg.wait_for(lambda: len(tg.chat_messages(ALICE)) == 2)
    notice = tg.chat_messages(ALICE)[0].text or ""
    assert "could not be read" in notice and "JPEG" in notice
    assert image_parts(chat_bodies(ww)[0]) == []
    downloads = len(tg.downloads)
    tg.send_text(ALICE, "anything else?", user_id=ALICE)
    await tg.wait_for(lambda: len(tg.chat_messages(ALICE)) == 3)
    assert len(tg.downloads) == downloads  # not fetched again, not mentioned again
    assert chat_bodies(ww)[1]["messages"][0]["content"] == "Describe this image.\n\n[image]"


async def test_after_the_gateway_refuses_the_images_later_turns_do_not_send_them(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    ww.script(Reply(status=400, error_message="Invalid image: the image is too large for this model"))
    tg.send_media(ALICE, "photo", jpeg(1), caption="what is this?", user_id=ALICE)
    await tg.wait_for(lambda: bool(tg.chat_messages(ALICE)))
    tg.send_text(ALICE, "then just say hi", user_id=ALICE)
    await tg.wait_for(lambda: any(m.text == "echo: then just say hi" for m in tg.chat_messages(ALICE)))
    refused, later = chat_bodies(ww)
    assert image_parts(refused) == [jpeg(1)]
    assert image_parts(later) == []
    assert later["messages"][0]["content"] == "what is this?\n\n[image]"
    assert later["messages"][-1] == {"role": "user", "content": "then just say hi"}
