"""bot/core/media.py helpers: transcription file names, speakable text, /image flags."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.media import ImageRequest, parse_image_flags, speakable, transcription_filename
from bot.wenwen.media import SPEECH_INPUT_LIMIT, TRANSCRIBE_EXTENSIONS

# ---------------------------------------------------------------- transcription_filename


@pytest.mark.parametrize(
    ("kind", "file_name", "mime", "expected"),
    [
        # voice notes are Ogg/Opus whatever Telegram calls them
        ("voice", None, None, "voice.ogg"),
        ("voice", "note.oga", "audio/ogg", "voice.ogg"),
        ("voice", "x.opus", "audio/opus", "voice.ogg"),
        # an accepted extension of the file's name wins, lower-cased
        ("audio", "song.mp3", "audio/ogg", "audio.mp3"),
        ("audio", "Song.M4A", None, "audio.m4a"),
        ("audio", "take.final.WAV", None, "audio.wav"),
        ("audio", "rec.oga", None, "audio.oga"),
        ("video", "clip.webm", None, "video.webm"),
        # an unaccepted extension falls back to the MIME type
        ("audio", "track.opus", "audio/opus", "audio.ogg"),
        ("audio", "track.aiff", "audio/x-flac", "audio.flac"),
        ("audio", "track.amr", "audio/mp4", "audio.m4a"),
        ("audio", "noextension", "audio/mpeg", "audio.mp3"),
        # MIME types with parameters and odd case
        ("audio", None, "Audio/OGG; codecs=opus", "audio.ogg"),
        ("audio", None, " Audio/MPEG ; charset=binary", "audio.mp3"),
        ("video", None, "VIDEO/WEBM;codecs=vp9", "video.webm"),
        ("audio", None, "audio/aac", "audio.m4a"),
        ("audio", None, "audio/x-wav", "audio.wav"),
        ("video", None, "video/mp4", "video.mp4"),
        # nothing known: Ogg for audio, MP4 for round videos
        ("audio", None, None, "audio.ogg"),
        ("audio", "x.xyz", "application/octet-stream", "audio.ogg"),
        ("video_note", None, None, "video_note.mp4"),
        ("video_note", None, "video/quicktime", "video_note.mp4"),
    ],
)
def test_transcription_filename(kind: str, file_name: str | None, mime: str | None, expected: str) -> None:
    assert transcription_filename(kind, file_name, mime) == expected


@given(
    kind=st.sampled_from(["voice", "audio", "video", "video_note", "document"]),
    file_name=st.one_of(st.none(), st.text(max_size=20)),
    mime=st.one_of(st.none(), st.text(max_size=20), st.sampled_from(["audio/opus", "audio/ogg", "video/mp4"])),
)
def test_transcription_filename_always_has_an_accepted_extension(
    kind: str, file_name: str | None, mime: str | None
) -> None:
    name = transcription_filename(kind, file_name, mime)
    stem, extension = name.rsplit(".", 1)
    assert stem == kind
    assert extension in TRANSCRIBE_EXTENSIONS
    assert extension != "opus"


# ---------------------------------------------------------------- speakable


def test_short_text_is_kept_apart_from_markdown_marks() -> None:
    assert speakable("**Hello**, _world_! `x` # > |") == "Hello, world! x"


def test_code_blocks_are_not_read() -> None:
    text = "Run this:\n```python\nprint('secret')\n```\nThen done."
    spoken = speakable(text)
    assert "print" not in spoken and "python" not in spoken
    assert spoken.startswith("Run this:") and spoken.endswith("Then done.")


def test_long_text_is_cut_at_a_sentence_end_in_the_second_half() -> None:
    text = "A" * 70 + ". " + "B" * 100
    assert speakable(text, limit=100) == "A" * 70 + "."


@pytest.mark.parametrize("mark", ["! ", "? ", "\n"])
def test_other_sentence_ends(mark: str) -> None:
    text = "x" * 60 + mark + "y" * 100
    assert speakable(text, limit=100) == "x" * 60 + mark.strip()


@pytest.mark.parametrize("mark", ["。", "！", "？"])
def test_cjk_sentence_ends(mark: str) -> None:
    text = "你好世界" * 15 + mark + "再见" * 50  # the mark is at index 60 of a 100-character cut
    assert speakable(text, limit=100) == "你好世界" * 15 + mark


def test_the_last_sentence_end_in_the_cut_is_used() -> None:
    text = "a" * 55 + ". " + "b" * 20 + "。" + "c" * 100
    assert speakable(text, limit=100) == "a" * 55 + ". " + "b" * 20 + "。"


def test_a_sentence_end_in_the_first_half_is_not_used() -> None:
    text = "Hi. " + "w" * 200
    spoken = speakable(text, limit=100)
    assert spoken == text[:100]


def test_no_sentence_end_cuts_hard_at_the_limit() -> None:
    assert speakable("z" * 5000) == "z" * SPEECH_INPUT_LIMIT


def test_the_limit_applies_after_markdown_is_removed() -> None:
    text = "**" * 100 + "k" * 50
    assert speakable(text, limit=50) == "k" * 50


@given(st.text(), st.integers(min_value=1, max_value=300))
def test_never_longer_than_the_limit(text: str, limit: int) -> None:
    spoken = speakable(text, limit=limit)
    assert len(spoken) <= limit
    assert not set(spoken) & set("*_`#>|")  # markdown marks are never spoken


# ---------------------------------------------------------------- parse_image_flags


@pytest.mark.parametrize(
    ("flag", "dalle3", "gpt_image"),
    [
        ("--wide", "1792x1024", "1536x1024"),
        ("--tall", "1024x1792", "1024x1536"),
        ("--square", "1024x1024", "1024x1024"),
        ("--WIDE", "1792x1024", "1536x1024"),
    ],
)
def test_shape_flags_per_model(flag: str, dalle3: str, gpt_image: str) -> None:
    assert parse_image_flags(f"a red fox {flag}", "dall-e-3") == ImageRequest("a red fox", {"size": dalle3})
    assert parse_image_flags(f"a red fox {flag}", "gpt-image-1") == ImageRequest("a red fox", {"size": gpt_image})


@pytest.mark.parametrize(
    ("model", "quality"), [("dall-e-3", "hd"), ("dall-e-2", "hd"), ("gpt-image-1", "high"), ("flux-pro", "high")]
)
def test_hd_flag_per_model(model: str, quality: str) -> None:
    assert parse_image_flags("--hd castle", model) == ImageRequest("castle", {"quality": quality})


def test_valued_flags_take_the_next_word_lower_cased_and_with_ascii_x() -> None:
    request = parse_image_flags("a cat --size 1792×1024 --quality HD --style Natural in space", "dall-e-3")
    assert request == ImageRequest("a cat in space", {"size": "1792x1024", "quality": "hd", "style": "natural"})


def test_later_flags_override_earlier_ones() -> None:
    assert parse_image_flags("x --wide --size 512x512", "dall-e-3").options == {"size": "512x512"}
    assert parse_image_flags("x --size 512x512 --tall", "dall-e-3").options == {"size": "1024x1792"}


def test_unknown_flags_and_their_words_stay_in_the_prompt() -> None:
    request = parse_image_flags("a fox --ar 16:9 --v 6 --wide", "gpt-image-1")
    assert request == ImageRequest("a fox --ar 16:9 --v 6", {"size": "1536x1024"})


def test_a_valued_flag_without_a_value_stays_in_the_prompt() -> None:
    assert parse_image_flags("a fox --size", "dall-e-3") == ImageRequest("a fox --size", {})


def test_prompt_words_keep_their_case_and_whitespace_is_normalised() -> None:
    assert parse_image_flags("  A  Big\n  Fox  ", "dall-e-3") == ImageRequest("A Big Fox", {})


@pytest.mark.parametrize("text", ["", "   ", "--wide --hd"])
def test_empty_prompt(text: str) -> None:
    assert parse_image_flags(text, "dall-e-3").prompt == ""
