"""Documents as chat turns: PDF, DOCX, code and text files read into the request; limits and refusals told clearly."""

from __future__ import annotations

from storage import StoredDocument
from tests.documents import docx_file, pdf
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.wenwen import FakeWenwen
from tests.harness import ALICE, RunningBot


def chat_bodies(ww: FakeWenwen) -> list[dict]:
    return [r.json for r in ww.requests_to("/v1/chat/completions")]


def texts(tg: FakeTelegram) -> list[str]:
    return [m.text or "" for m in tg.chat_messages(ALICE)]


async def test_a_pdf_is_answered_with_its_text_as_a_named_block_and_only_its_file_id_is_stored(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    report = pdf(["Quarterly report", "Revenue grew 12% in the north."], ["Page two: costs fell 3%."])
    tg.send_media(ALICE, "document", report, file_name="report.pdf", caption="What grew?", user_id=ALICE)
    await tg.wait_for(lambda: len(tg.chat_messages(ALICE)) == 1)
    [body] = chat_bodies(ww)
    [question] = body["messages"]
    content = question["content"]
    assert question["role"] == "user" and isinstance(content, str)
    assert content.startswith('<file name="report.pdf">\nQuarterly report\nRevenue grew 12% in the north.')
    assert "Page two: costs fell 3%.\n</file>" in content
    assert content.endswith("</file>\n\nWhat grew?")
    [stored] = [m for m in await bot.services.storage.conversations.all_messages(1) if m.role == "user"]
    assert stored.content == "What grew?" and "Revenue" not in stored.content
    [document] = stored.documents
    assert (document.name, document.kind) == ("report.pdf", "pdf") and document.file_id in tg.files


async def test_a_docx_without_caption_is_summarised_in_the_users_language(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    memo = docx_file("会议纪要", "下周一发布新版本。", table=[["负责人", "任务"], ["小王", "测试"]])
    tg.send_media(ALICE, "document", memo, file_name="纪要.docx", user_id=ALICE, language_code="zh-hans")
    await tg.wait_for(lambda: len(tg.chat_messages(ALICE)) == 1)
    content = chat_bodies(ww)[0]["messages"][0]["content"]
    text = "会议纪要\n\n下周一发布新版本。\n\n负责人 | 任务\n小王 | 测试"
    assert content == f'<file name="纪要.docx">\n{text}\n</file>\n\n请总结这个文件。'


async def test_a_python_file_is_read_as_text(tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot) -> None:
    code = 'def greet(name: str) -> str:\n    return f"Hello, {name}!"\n'
    tg.send_media(ALICE, "document", code.encode(), file_name="greet.py", caption="Any bugs?", user_id=ALICE)
    await tg.wait_for(lambda: len(tg.chat_messages(ALICE)) == 1)
    content = chat_bodies(ww)[0]["messages"][0]["content"]
    assert content == f'<file name="greet.py">\n{code}\n</file>\n\nAny bugs?'


async def test_a_gbk_text_file_is_decoded(tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot) -> None:
    poem = "床前明月光，疑是地上霜。举头望明月，低头思故乡。\n这是一首用GBK编码保存的唐诗，作者是李白。\n" * 3
    tg.send_media(ALICE, "document", poem.encode("gbk"), file_name="静夜思.txt", caption="翻译成英文", user_id=ALICE)
    await tg.wait_for(lambda: len(tg.chat_messages(ALICE)) == 1)
    content = chat_bodies(ww)[0]["messages"][0]["content"]
    assert f"\n{poem.rstrip()}" in content and content.endswith("</file>\n\n翻译成英文")


async def test_a_cp1252_text_file_is_decoded(tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot) -> None:
    note = "The café serves crème brûlée — naïve visitors think it’s French; it’s a façade.\n" * 4
    tg.send_media(ALICE, "document", note.encode("cp1252"), file_name="menu.txt", user_id=ALICE)
    await tg.wait_for(lambda: len(tg.chat_messages(ALICE)) == 1)
    content = chat_bodies(ww)[0]["messages"][0]["content"]
    assert note.rstrip() in content and content.endswith("\n\nSummarise this file.")


async def test_a_file_over_20_mb_is_refused_before_any_download(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    tg.send_media(
        ALICE, "document", b"%PDF-1.4 tiny", file_name="huge.pdf", media_fields={"file_size": 25_000_000}, user_id=ALICE
    )
    await tg.wait_for(lambda: bool(tg.chat_messages(ALICE)))
    assert "larger than 20 MB" in texts(tg)[0]
    assert not tg.calls_of("getFile") and not tg.downloads
    assert not chat_bodies(ww)


async def test_a_scanned_pdf_is_refused_clearly(tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot) -> None:
    tg.send_media(ALICE, "document", pdf([], []), file_name="scan.pdf", caption="read this", user_id=ALICE)
    await tg.wait_for(lambda: bool(tg.chat_messages(ALICE)))
    assert "no text I can read" in texts(tg)[0] and "scanned" in texts(tg)[0]
    assert not chat_bodies(ww)
    assert not await bot.services.storage.conversations.all_messages(1)  # not a turn


async def test_a_password_protected_pdf_is_refused_clearly(tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot) -> None:
    locked = pdf(["Salaries 2025"], password="hunter2")
    tg.send_media(ALICE, "document", locked, file_name="salaries.pdf", user_id=ALICE, language_code="zh")
    await tg.wait_for(lambda: bool(tg.chat_messages(ALICE)))
    assert "受密码保护" in texts(tg)[0]
    assert not chat_bodies(ww)


async def test_text_past_document_max_tokens_keeps_the_beginning_and_says_how_much_was_left_out(
    tg: FakeTelegram, ww: FakeWenwen, make_bot
) -> None:
    await make_bot(document_max_tokens=300)
    lines = [f"line {n:04d}: the quick brown fox jumps over the lazy dog" for n in range(1000)]
    tg.send_media(ALICE, "document", "\n".join(lines).encode(), file_name="server.log", user_id=ALICE)
    await tg.wait_for(lambda: len(tg.chat_messages(ALICE)) == 2)
    notice = texts(tg)[0]
    assert notice.startswith("✂️ server.log is longer than I can read at once") and "was left out" in notice
    kept = int(notice.split("about ")[1].split("%")[0])
    assert 1 <= kept <= 5  # 300 of about 15,000 tokens
    content = chat_bodies(ww)[0]["messages"][0]["content"]
    assert "line 0000:" in content and "line 0999:" not in content
    assert "[… the rest of this file was left out" in content
    assert 250 <= len(content) // 4 <= 360  # about 300 tokens of text, the framing and the prompt


async def test_a_long_pdf_tells_which_pages_were_read(tg: FakeTelegram, ww: FakeWenwen, make_bot) -> None:
    await make_bot(document_max_tokens=300)
    page = [f"Chapter text, sentence number {n}, which says very little." for n in range(20)]
    tg.send_media(ALICE, "document", pdf(page, repeat=40), file_name="book.pdf", user_id=ALICE)
    await tg.wait_for(lambda: len(tg.chat_messages(ALICE)) == 2)
    assert "up to page 2 of 40; the remaining 38 pages were left out" in texts(tg)[0]


async def test_later_turns_read_the_document_again_by_file_id_and_name_it_when_it_is_gone(
    tg: FakeTelegram, ww: FakeWenwen, make_bot
) -> None:
    first = await make_bot()
    notes = "Launch checklist:\n1. freeze the branch\n2. tag v2.0\n3. announce on Friday\n"
    tg.send_media(ALICE, "document", notes.encode(), file_name="checklist.md", caption="Read this", user_id=ALICE)
    await tg.wait_for(lambda: len(tg.chat_messages(ALICE)) == 1)
    await first.stop()
    downloads = len(tg.downloads)

    bot = await make_bot()  # a restart: nothing of the file is left in memory
    tg.send_text(ALICE, "What is step 2?", user_id=ALICE)
    await tg.wait_for(lambda: len(tg.chat_messages(ALICE)) == 2)
    again = chat_bodies(ww)[1]["messages"]
    assert again[0] == chat_bodies(ww)[0]["messages"][0]
    assert "2. tag v2.0" in again[0]["content"] and again[-1] == {"role": "user", "content": "What is step 2?"}
    assert len(tg.downloads) == downloads + 1  # fetched again from Telegram by its file id

    [stored] = [m for m in await bot.services.storage.conversations.all_messages(1) if m.documents]
    [document] = stored.documents
    assert document == StoredDocument(document.file_id, "checklist.md", "text")
    await bot.stop()
    del tg.files[document.file_id]  # Telegram no longer serves it
    await make_bot()
    tg.send_text(ALICE, "And step 3?", user_id=ALICE)
    await tg.wait_for(lambda: len(tg.chat_messages(ALICE)) == 3)
    assert chat_bodies(ww)[2]["messages"][0]["content"] == "[file: checklist.md]\n\nRead this"


async def test_other_file_kinds_and_image_files_keep_their_paths(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    tg.send_media(ALICE, "document", b"PK\x03\x04 not a zip", file_name="archive.zip", user_id=ALICE)
    await tg.wait_for(lambda: len(tg.chat_messages(ALICE)) == 1)
    assert "not this kind of file" in texts(tg)[0]
    tg.send_media(ALICE, "document", b"\x00\x01\x02binary", file_name="dump.log", user_id=ALICE)
    await tg.wait_for(lambda: len(tg.chat_messages(ALICE)) == 2)
    assert "not this kind of file" in texts(tg)[1]
    assert not chat_bodies(ww)


async def test_in_a_group_only_documents_addressed_to_the_bot_are_read(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    group = -100555
    notes = b"Minutes: the budget was approved."
    tg.send_media(
        group, "document", notes, file_name="a.txt", caption="for the team", user_id=ALICE, chat_type="supergroup"
    )
    mention = f"@{tg.bot_user['username']} what was approved?"
    tg.send_media(group, "document", notes, file_name="b.txt", caption=mention, user_id=ALICE, chat_type="supergroup")
    await tg.wait_for(lambda: len(tg.chat_messages(group)) == 1)
    await bot.services.turn_queue.idle()
    [body] = chat_bodies(ww)
    assert body["messages"] == [
        {
            "role": "user",
            "content": '<file name="b.txt">\nMinutes: the budget was approved.\n</file>\n\nwhat was approved?',
        }
    ]
    assert len(tg.downloads) == 1  # the file not meant for the bot was not even fetched
