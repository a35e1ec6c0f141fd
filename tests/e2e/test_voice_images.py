"""Voice notes, spoken replies, /tts, /image for both response shapes, /edit, oversize files."""

from __future__ import annotations

import base64

from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.wenwen import FakeWenwen
from tests.harness import ALICE, RunningBot
from tests.images import jpeg

OGG = b"OggS\x00\x02" + b"\x11" * 200  # what Telegram hands out for a voice note (.oga)
JPEG = jpeg(5)


def chat_bodies(ww: FakeWenwen) -> list[dict]:
    return [r.json for r in ww.requests_to("/v1/chat/completions")]


async def test_a_voice_note_is_transcribed_shown_and_answered(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    ww.script_transcript("What is the capital of France?")
    voice_id = tg.send_media(ALICE, "voice", OGG, user_id=ALICE)
    await tg.wait_for(lambda: len(tg.chat_messages(ALICE)) == 2)

    [upload] = ww.requests_to("/v1/audio/transcriptions")
    filename, _, data = upload.extra["files"]["file"]
    assert (filename, data) == ("voice.ogg", OGG)
    assert upload.extra["form"]["model"] == "whisper-1"

    transcript, answer = tg.chat_messages(ALICE)
    assert transcript.text == "🎤 What is the capital of France?"
    assert transcript.reply_to == voice_id
    assert transcript.entities[0]["type"] == "blockquote"
    assert chat_bodies(ww)[0]["messages"] == [{"role": "user", "content": "What is the capital of France?"}]
    assert answer.text == "echo: What is the capital of France?"
    assert any(c.params.get("action") == "typing" for c in tg.calls_of("sendChatAction"))


async def test_a_long_transcript_is_folded(tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot) -> None:
    ww.script_transcript("word " * 200)
    tg.send_media(ALICE, "voice", OGG, user_id=ALICE)
    await tg.wait_for(lambda: len(tg.chat_messages(ALICE)) == 2)
    assert tg.chat_messages(ALICE)[0].entities[0]["type"] == "expandable_blockquote"


async def test_spoken_replies_send_an_ogg_voice_note(tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot) -> None:
    tg.send_text(ALICE, "/voice on", user_id=ALICE)
    await tg.wait_for(lambda: len(tg.chat_messages(ALICE)) == 1)
    tg.send_text(ALICE, "Say something nice", user_id=ALICE)
    await tg.wait_for(lambda: any(m.kind == "voice" for m in tg.chat_messages(ALICE)))
    [speech] = ww.requests_to("/v1/audio/speech")
    assert speech.json == {
        "model": "tts-1",
        "input": "echo: Say something nice",
        "voice": "alloy",
        "response_format": "opus",
    }
    voice = next(m for m in tg.chat_messages(ALICE) if m.kind == "voice")
    assert voice.file is not None and voice.file.startswith(b"OggS") and b"OpusHead" in voice.file
    assert any(c.params.get("action") == "record_voice" for c in tg.calls_of("sendChatAction"))
    tg.send_text(ALICE, "/voice off", user_id=ALICE)
    tg.send_text(ALICE, "quiet now", user_id=ALICE)
    await tg.wait_for(lambda: any(m.text == "echo: quiet now" for m in tg.chat_messages(ALICE)))
    assert len(ww.requests_to("/v1/audio/speech")) == 1


async def test_tts_reads_any_text_and_cuts_to_the_endpoint_limit(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    long_text = "This is a sentence. " * 300
    tg.send_text(ALICE, f"/tts {long_text}", user_id=ALICE)
    await tg.wait_for(lambda: any(m.kind == "voice" for m in tg.chat_messages(ALICE)))
    sent = ww.requests_to("/v1/audio/speech")[0].json["input"]
    assert len(sent) <= 4096 and sent.endswith("sentence.")


async def test_image_with_dall_e_3_downloads_the_url_and_uploads_the_bytes(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    tg.send_text(ALICE, "/image a lighthouse at dusk --wide --hd", user_id=ALICE)
    await tg.wait_for(lambda: any(m.kind == "photo" for m in tg.chat_messages(ALICE)))
    [request] = ww.requests_to("/v1/images/generations")
    assert request.json == {
        "model": "dall-e-3",
        "prompt": "a lighthouse at dusk",
        "n": 1,
        "size": "1792x1024",
        "quality": "hd",
    }
    photo = next(m for m in tg.chat_messages(ALICE) if m.kind == "photo")
    assert photo.file in ww.image_files.values()


async def test_image_with_gpt_image_1_decodes_base64(tg: FakeTelegram, ww: FakeWenwen, make_bot) -> None:
    await make_bot(image_model="gpt-image-1")
    tg.send_text(ALICE, "/image a red square --size 1024x1024 --quality low", user_id=ALICE)
    await tg.wait_for(lambda: any(m.kind == "photo" for m in tg.chat_messages(ALICE)))
    photo = next(m for m in tg.chat_messages(ALICE) if m.kind == "photo")
    assert photo.file is not None and photo.file.startswith(b"\x89PNG")
    assert ww.requests_to("/v1/images/generations")[0].json["quality"] == "low"


async def test_an_image_telegram_cannot_show_as_a_photo_arrives_as_a_document(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    """sendPhoto answers IMAGE_PROCESS_FAILED for bytes that are no picture Telegram decodes; the same bytes
    then go as a file (render/media.send_photo_or_file)."""
    odd = b"RIFF\x00\x00\x00\x00WEBPVP8 this is no picture Telegram can decode"
    ww.script_image(image=odd)
    tg.send_text(ALICE, "/image a cat", user_id=ALICE)
    await tg.wait_for(lambda: any(m.kind == "document" for m in tg.chat_messages(ALICE)))
    refused = tg.calls_of("sendPhoto")
    assert [(c.status, c.description) for c in refused] == [(400, "Bad Request: IMAGE_PROCESS_FAILED")]
    [document] = [m for m in tg.chat_messages(ALICE) if m.kind == "document"]
    assert document.file == odd and not any(m.kind == "photo" for m in tg.chat_messages(ALICE))
    assert tg.calls_of("sendDocument")[0].params["document__filename"] == "image-1.webp"


async def test_an_expired_image_url_gives_a_clear_message(tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot) -> None:
    ww.image_url_expired = True
    tg.send_text(ALICE, "/image a cat", user_id=ALICE)
    await tg.wait_for(lambda: bool(tg.chat_messages(ALICE)))
    text = tg.chat_messages(ALICE)[0].text or ""
    assert text.startswith("🖼 The image could not be made: the image link could not be downloaded")


async def test_edit_sends_the_photo_and_instruction_to_images_edits(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    tg.send_media(ALICE, "photo", JPEG, caption="/edit make the sky purple", user_id=ALICE)
    await tg.wait_for(lambda: any(m.kind == "photo" and m.from_bot for m in tg.chat_messages(ALICE)))
    [request] = ww.requests_to("/v1/images/edits")
    filename, _, data = request.extra["files"]["image"]
    assert data == JPEG and filename.endswith(".jpg")
    assert request.extra["form"]["prompt"] == "make the sky purple"
    assert request.extra["form"]["model"] == "gpt-image-1"
    assert not ww.requests_to("/v1/chat/completions")


async def test_a_30_mb_recording_is_refused_before_any_upload(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    tg.send_media(ALICE, "audio", b"\x00" * (30 * 1024 * 1024), file_name="talk.mp3", user_id=ALICE)
    await tg.wait_for(lambda: bool(tg.chat_messages(ALICE)))
    assert "20 MB" in (tg.chat_messages(ALICE)[0].text or "")
    assert not tg.calls_of("getFile")
    assert not ww.requests_to("/v1/audio/transcriptions")


async def test_an_audio_file_keeps_an_accepted_extension(tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot) -> None:
    tg.send_media(ALICE, "audio", b"ID3" + b"\x00" * 100, file_name="memo.MP3", user_id=ALICE)
    await tg.wait_for(lambda: len(tg.chat_messages(ALICE)) == 2)
    assert ww.requests_to("/v1/audio/transcriptions")[0].extra["files"]["file"][0] == "audio.mp3"


async def test_a_photo_data_url_is_base64_of_the_largest_size(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    tg.send_media(ALICE, "photo", JPEG, caption="hi", user_id=ALICE)
    await tg.wait_for(lambda: bool(tg.chat_messages(ALICE)))
    part = chat_bodies(ww)[0]["messages"][0]["content"][1]
    assert part["image_url"]["url"] == "data:image/jpeg;base64," + base64.b64encode(JPEG).decode()


async def test_a_round_video_note_is_transcribed_as_mp4(tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot) -> None:
    clip = b"\x00\x00\x00\x18ftypmp42 round video"
    tg.send_media(ALICE, "video_note", clip, user_id=ALICE)
    await tg.wait_for(lambda: len(tg.chat_messages(ALICE)) == 2)
    filename, _, data = ww.requests_to("/v1/audio/transcriptions")[0].extra["files"]["file"]
    assert (filename, data) == ("video_note.mp4", clip)


async def test_a_photo_file_over_20_mb_is_refused_before_download(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    big = b"\x89PNG\r\n\x1a\n" + b"\x00" * (21 * 1024 * 1024)
    tg.send_media(ALICE, "document", big, file_name="huge.png", user_id=ALICE)
    await tg.wait_for(lambda: bool(tg.chat_messages(ALICE)))
    assert "20 MB" in (tg.chat_messages(ALICE)[0].text or "")
    assert not tg.calls_of("getFile")
    assert not ww.requests_to("/v1/chat/completions")


async def test_a_recording_sent_as_a_file_is_transcribed(tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot) -> None:
    tg.send_media(ALICE, "document", b"ID3" + b"\x01" * 64, file_name="meeting.mp3", user_id=ALICE)
    await tg.wait_for(lambda: len(tg.chat_messages(ALICE)) == 2)
    filename, _, data = ww.requests_to("/v1/audio/transcriptions")[0].extra["files"]["file"]
    assert (filename, data) == ("audio.mp3", b"ID3" + b"\x01" * 64)
