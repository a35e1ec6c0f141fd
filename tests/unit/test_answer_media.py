"""bot/core/answer_media.py: images inside a model's answer (links, data URLs), hidden while streaming."""

from __future__ import annotations

import asyncio
import base64
import re

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from bot.core.answer_media import (
    PLACEHOLDER,
    AnswerMedia,
    decode_data_url,
    display_text,
    image_sources,
    storable_text,
)
from bot.wenwen import WenwenError
from tests.images import jpeg, png

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))  # 72 bytes → 96 base64 characters, over the 64 minimum
PNG_B64 = base64.b64encode(PNG).decode()
PNG_URL = f"data:image/png;base64,{PNG_B64}"
JPEG_URL = "data:image/jpeg;base64," + base64.b64encode(b"\xff\xd8\xff" + b"j" * 60).decode()


# ---------------------------------------------------------------- image_sources


def test_markdown_images_with_https_and_data_urls_in_document_order() -> None:
    text = f"Here:\n![first](https://cdn.example/a.png)\nand ![second]({PNG_URL}) then ![third](http://x.example/c.jpg)"
    assert image_sources(text) == ["https://cdn.example/a.png", PNG_URL, "http://x.example/c.jpg"]


def test_markdown_image_with_angle_brackets_and_title() -> None:
    text = '![a](<https://cdn.example/a.png> "the title") ![b]( https://cdn.example/b.png )'
    assert image_sources(text) == ["https://cdn.example/a.png", "https://cdn.example/b.png"]


def test_plain_links_and_non_image_schemes_are_not_images() -> None:
    text = (
        "[a link](https://example.com/page) ![ftp](ftp://example.com/x.png) ![rel](img/x.png) https://a.example/b.png"
    )
    assert image_sources(text) == []


def test_bare_data_url_of_64_or_more_base64_chars_is_an_image() -> None:
    long_enough = "data:image/png;base64," + "A" * 64
    assert image_sources(f"look: {long_enough} done") == [long_enough]


def test_bare_data_url_shorter_than_64_chars_is_not_an_image() -> None:
    assert image_sources("data:image/png;base64," + "A" * 63) == []


def test_markdown_data_url_is_not_counted_again_as_a_bare_one() -> None:
    assert image_sources(f"![x]({PNG_URL})") == [PNG_URL]


def test_duplicates_are_dropped_keeping_the_first_position() -> None:
    text = f"![a](https://c.example/1.png) ![b]({PNG_URL}) ![again](https://c.example/1.png) {PNG_URL} {JPEG_URL}"
    assert image_sources(text) == ["https://c.example/1.png", PNG_URL, JPEG_URL]


def test_bare_and_markdown_images_keep_answer_order() -> None:
    text = f"first {PNG_URL} then ![second](https://cdn.example/b.png)"
    assert image_sources(text) == [PNG_URL, "https://cdn.example/b.png"]


# ---------------------------------------------------------------- display_text


def test_complete_images_are_removed_and_blank_runs_collapsed() -> None:
    text = f"Before\n\n![cat](https://cdn.example/cat.png)\n\n![dog]({PNG_URL})\n\nAfter"
    shown = display_text(text)
    assert shown == "Before\n\nAfter"
    assert "\n\n\n" not in shown


def test_bare_data_url_is_removed() -> None:
    assert display_text(f"Here it is: {PNG_URL}") == "Here it is:"


def test_links_that_are_not_images_stay() -> None:
    assert display_text("See [docs](https://example.com/d) now") == "See [docs](https://example.com/d) now"


@pytest.mark.parametrize(
    "partial",
    [
        "![alt](data:image/png;base64,AAA",
        "![alt](data:image/png;base64,",
        "![alt](https://cdn.exa",
        "![alt](",
        "![al",
        "![",
        "data:image/png;base64,iVBORw0KGgo",
        "data:image/pn",
    ],
)
def test_incomplete_trailing_image_is_hidden_while_streaming(partial: str) -> None:
    assert display_text(f"Drawing it now.\n\n{partial}", streaming=True) == "Drawing it now."


def test_closed_alt_text_without_a_url_is_not_an_image_start() -> None:
    assert display_text("Drawing it now.\n\n![alt]") == "Drawing it now.\n\n![alt]"


def test_incomplete_image_on_an_earlier_line_is_not_hidden() -> None:
    # only the *tail* can be an image that is still arriving; alt text cannot cross a line
    assert display_text("a ![al\nb") == "a ![al\nb"
    assert display_text("a ![alt](not a url) b") == "a ![alt](not a url) b"


def test_unclosed_alt_text_runs_to_the_end_of_the_last_line() -> None:
    # alt text may contain spaces, so everything after a trailing "![" on the last line is hidden
    assert display_text("a ![al b", streaming=True) == "a"


@pytest.mark.parametrize(
    "final",
    ["A PNG data URL starts with data:image/png.", "Markdown images are written as ![alt text"],
)
def test_complete_answer_ending_like_an_image_prefix_is_shown_whole(final: str) -> None:
    assert display_text(final) == final


def test_streaming_prefixes_never_show_base64() -> None:
    full = f"Result:\n\n![img]({PNG_URL})\n\nDone."
    for end in range(len(full) + 1):
        shown = display_text(full[:end], streaming=True)
        assert PNG_B64[:8] not in shown, full[:end]
        assert "\n\n\n" not in shown
    assert display_text(full) == "Result:\n\nDone."


_NO_IMAGE_TEXT = (
    st.lists(st.sampled_from([*"ab !([)]:\n \t😀中", "data:", "image/", "\n\n\n", ";base64,"]), max_size=40)
    .map("".join)
    .filter(lambda s: "![" not in s and "data:image" not in s)
)


@given(_NO_IMAGE_TEXT)
def test_text_without_images_only_has_blank_runs_collapsed_and_is_stripped(text: str) -> None:
    """Contract: without "![" and "data:image", display_text(x) == re.sub(r"\\n{3,}", "\\n\\n", x).strip()."""
    assert display_text(text) == re.sub(r"\n{3,}", "\n\n", text).strip()


@given(st.text())
def test_arbitrary_text_without_images_matches_the_contract(text: str) -> None:
    assume("![" not in text and "data:image" not in text)
    assert display_text(text) == re.sub(r"\n{3,}", "\n\n", text).strip()


# ---------------------------------------------------------------- storable_text


def test_storable_text_keeps_links_and_replaces_data_urls() -> None:
    text = f"![web](https://cdn.example/a.png)\n![inline]({PNG_URL})\nbare: {JPEG_URL}"
    assert storable_text(text) == f"![web](https://cdn.example/a.png)\n{PLACEHOLDER}\nbare: {PLACEHOLDER}"
    assert PLACEHOLDER == "[image]"


def test_storable_text_replaces_even_a_short_markdown_data_url() -> None:
    assert storable_text("x ![i](data:image/gif;base64,R0lG) y") == "x [image] y"


def test_storable_text_leaves_plain_text_alone() -> None:
    text = "no images here, just [a link](https://e.example) and data: points"
    assert storable_text(text) == text


# ---------------------------------------------------------------- decode_data_url


def test_decode_valid_data_url() -> None:
    assert decode_data_url(PNG_URL) == PNG
    assert decode_data_url("data:image/webp;base64,aGVsbG8=") == b"hello"


@pytest.mark.parametrize(
    "source",
    [
        "https://cdn.example/a.png",
        "data:text/plain;base64,aGVsbG8=",  # not an image
        "data:image/png,rawbytes",  # not base64
        "data:image/png;base64,AAA",  # bad padding
        "",
    ],
)
def test_decode_invalid_data_url_is_none(source: str) -> None:
    assert decode_data_url(source) is None


# ---------------------------------------------------------------- AnswerMedia.collect


class _StubFetcher:
    def __init__(self, files: dict[str, bytes], fail: frozenset[str] = frozenset()) -> None:
        self.files = files
        self.fail = fail
        self.asked: list[tuple[str, int, float]] = []

    async def fetch(self, url: str, *, max_bytes: int, deadline: float) -> tuple[bytes, str]:
        self.asked.append((url, max_bytes, deadline))
        if url in self.fail:
            raise WenwenError("gone", status=404)
        return self.files[url], "image/png"


REAL_PNG = png(3)
REAL_PNG_URL = "data:image/png;base64," + base64.b64encode(REAL_PNG).decode()


async def test_collect_decodes_data_urls_downloads_links_and_keeps_failures_as_links() -> None:
    fetcher = _StubFetcher({"https://c.example/ok.png": jpeg(1)}, fail=frozenset({"https://c.example/gone.png"}))
    media = AnswerMedia(fetcher)
    text = (
        f"Look ![a](https://c.example/ok.png) ![b]({REAL_PNG_URL}) "
        "![c](https://c.example/gone.png) ![d](data:image/png;base64,AAA) end"
    )
    found = await media.collect(text)
    assert found.images == (jpeg(1), REAL_PNG)
    assert found.text == "Look   [c](https://c.example/gone.png)  end"
    assert [url for url, _, _ in fetcher.asked] == ["https://c.example/ok.png", "https://c.example/gone.png"]
    assert all(limit == 20_000_000 and 0 < deadline <= 30 for _, limit, deadline in fetcher.asked)


async def test_what_is_not_an_image_is_never_sent_and_stays_a_link() -> None:
    fetcher = _StubFetcher({"https://c.example/page.png": b"<html>secret admin page</html>"})
    found = await AnswerMedia(fetcher).collect(f"![x](https://c.example/page.png) ![y]({PNG_URL})")
    assert found.images == ()
    assert found.text == "[x](https://c.example/page.png)"


async def test_collect_stops_at_max_images_and_the_rest_stay_links() -> None:
    urls = [f"https://c.example/{i}.png" for i in range(5)]
    fetcher = _StubFetcher({u: jpeg(i) for i, u in enumerate(urls)})
    found = await AnswerMedia(fetcher, max_images=2).collect(" ".join(f"![i{n}]({u})" for n, u in enumerate(urls)))
    assert found.images == (jpeg(0), jpeg(1))
    assert len(fetcher.asked) == 2
    assert found.text == " ".join(f"[i{n}]({u})" for n, u in enumerate(urls) if n >= 2)


async def test_collect_spends_at_most_its_time_budget() -> None:
    class Slow:
        def __init__(self) -> None:
            self.deadlines: list[float] = []

        async def fetch(self, url: str, *, max_bytes: int, deadline: float) -> tuple[bytes, str]:
            self.deadlines.append(deadline)
            await asyncio.sleep(deadline)
            raise WenwenError("timed out")

    slow = Slow()
    found = await AnswerMedia(slow, budget=0.2).collect("![a](https://a.example/1.png) ![b](https://a.example/2.png)")
    assert found.images == ()
    assert len(slow.deadlines) == 1 and slow.deadlines[0] <= 0.2  # the second download had no time left
