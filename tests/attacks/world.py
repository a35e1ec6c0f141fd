"""A careless world for the fuzz: random updates of every kind, from one seeded ``random.Random``.

``World.step()`` pushes one (sometimes two) updates into FakeTelegram and records in the
:class:`~tests.attacks.invariants.Ledger` which of them the bot should answer: private texts,
photos, files and voice from allowed users, known commands in private chats, and group messages
that mention the bot or reply to it. Everything else (edits, strangers, channel posts, member
updates, commands for other bots, unknown commands) must be survived, not answered.
"""

from __future__ import annotations

import copy
import random
import time
from collections.abc import Callable
from typing import Any

from tests.attacks.invariants import Ledger
from tests.fakes.telegram_api import FakeTelegram, StoredMessage
from tests.harness import ADMIN, ALICE, BOB, STRANGER
from tests.images import jpeg, png

BOT = "wenwen_test_bot"
# Many private chats: the bot keeps Telegram's ~1 message/s per chat, so a few chats would make a
# few thousand updates a long queue rather than an attack.
EXTRA_USERS = tuple(range(5001, 5013))
PRIVATE = (ALICE, BOB, ADMIN, *EXTRA_USERS)
GROUP = -100777  # a basic group
FORUM = -1001234567890  # a supergroup with topics
TOPICS = (11, 12)
CHANNEL = -1009876543210
KNOWN_COMMANDS = (
    "start help new model system stop retry imagine blend describe seed image edit tts voice settings usage stats"
).split()
_ODD_TEXTS = (
    "",
    "   \n\t  ",
    "\u200b\u200c\u200d\ufeff",
    "مرحبا بالعالم، كيف حالك؟",
    "שלום \u202eעולם\u202c abc",
    "👨‍👩‍👧‍👦🏳️‍🌈🇨🇳 ok 😀😀",
    "e\u0301\u0302\u0303\u0304 z\u0335\u0336",
    "**bold** _it_ `code` [link](http://x.test) <b>html</b> & < >",
    "\x07\x1b[31mred\x1b[0m",
    "null",
    "@wenwen_test_bot",
    "/",
)
_FORGED = (
    "mj:²",
    "mj:" + "1" * 30,
    "mj:-1",
    "mj:",
    "mj:0",
    "mj:999999",
    "models:abc",
    "models:-1",
    "models:99999",
    "model:",
    "model:0123456789",
    "model:zzzzzzzzzz",
    "cfg:unknown",
    "cfg:",
    "cfg:model",
    "stop",
    "stop ",
    "retry:",
    "retry:abc",
    "retry:99999",
    "retry:-5",
)


class World:
    """Weighted random actions; each returns the name used in the fuzz's statistics."""

    def __init__(self, tg: FakeTelegram, ledger: Ledger, rng: random.Random) -> None:
        self.tg, self.ledger, self.rng = tg, ledger, rng
        # Which bot message a press or reply hits depends on what the bot has sent so far (timing):
        # those picks use their own generator, so the updates drawn from ``rng`` are the same every run.
        self.pick = random.Random(rng.random())
        self.actions: list[tuple[float, Callable[[], str]]] = [
            (26, self.private_text),
            (13, self.private_command),
            (3, self.reply_in_private),
            (3, self.extra_fields),
            (5, self.edited),
            (6, self.document),
            (3, self.photo),
            (2, self.voice),
            (1.5, self.caption_command),
            (8, self.forged_press),
            (4, self.double_press),
            (1, self.inaccessible_press),
            (5, self.group_chatter),
            (1.2, self.group_addressed),
            (2, self.channel_post),
            (2, self.member_update),
            (4, self.stranger),
        ]
        self._weights = [w for w, _ in self.actions]

    def step(self) -> str:
        [(_, action)] = self.rng.choices(self.actions, weights=self._weights)
        return action()

    # ------------------------------------------------------------ texts
    def text(self) -> str:
        rng = self.rng
        roll = rng.random()
        if roll < 0.12:
            return rng.choice(_ODD_TEXTS)
        if roll < 0.16:
            return "".join(rng.choice("ab cdé😀\n") for _ in range(5000))
        if roll < 0.22:
            return "".join(
                chr(rng.choice([rng.randint(0x20, 0xD7FF), rng.randint(0xE000, 0x10FFFF)])) for _ in range(40)
            )
        words = ["hello", "why", "sky", "blue", "你好", "Привет", "？", "42", "*", "_", "`", "\n"]
        return " ".join(rng.choice(words) for _ in range(rng.randint(1, 12)))

    def argument(self) -> str:
        rng = self.rng
        return rng.choice(["", "", "clear", self.text()[:200], "x" * 4000, "é&<>" * 1000, "gpt-4o-mini", "  "])

    def private_text(self) -> str:
        chat = self.rng.choice(PRIVATE)
        text = self.text()
        self.ledger.text(chat, text, user_id=chat, expects=text != "", language_code=self.language())
        return "private text"

    def language(self) -> str:
        return self.rng.choice(["en", "en", "zh", "zh-hans", "", "xx"])

    def private_command(self) -> str:
        rng, chat = self.rng, self.rng.choice(PRIVATE)
        roll = rng.random()
        if roll < 0.8:
            name, expects = rng.choice(KNOWN_COMMANDS), True
        elif roll < 0.9:
            name, expects = rng.choice(["foo", "x_y_z", "a" * 32, "Start", "imagine_"]), False
        else:
            name, expects = rng.choice(KNOWN_COMMANDS) + "@otherbot", False
        if rng.random() < 0.1 and expects:
            name += f"@{BOT}"
        text = f"/{name} {self.argument()}".rstrip() if rng.random() < 0.8 else f"/{name}"
        self.ledger.text(chat, text, user_id=chat, expects=expects, what=f"command {text[:50]!r}")
        return "command" if expects else "unknown command"

    def reply_in_private(self) -> str:
        chat, text = self.rng.choice(PRIVATE), self.text() or "?"
        target = self.bot_message(chat)
        if target is None:
            self.ledger.text(chat, text, user_id=chat)
            return "private text"
        self.ledger.text(chat, text, user_id=chat, reply_to_message_id=target.message_id)
        return "reply to bot"

    def extra_fields(self) -> str:
        chat = self.rng.choice(PRIVATE)
        self.ledger.text(chat, "future " + self.text(), user_id=chat)
        update = self.tg.updates[-1]
        update["future_update_field"] = {"nested": [1, {"x": None}]}
        update["message"]["future_message_field"] = "☃"
        update["message"]["from"]["future_user_field"] = True
        return "unknown fields"

    def edited(self) -> str:
        mine = [m for m in self.tg.messages.values() if not m.from_bot and m.kind == "text"]
        if not mine:
            return self.private_text()
        raw = copy.deepcopy(self.rng.choice(mine).raw)
        raw["text"] = "edited: " + self.text()
        raw.pop("entities", None)
        raw["edit_date"] = int(time.time())
        self.tg.push_update({"edited_message": raw})
        return "edited message"

    # ------------------------------------------------------------ files
    def document(self) -> str:
        rng, chat = self.rng, self.rng.choice(PRIVATE)
        junk = rng.randbytes(rng.randint(1, 3000))
        name, content, fields = rng.choice(
            [
                ("cat.png", junk, None),
                ("real.jpg", jpeg(rng.randint(0, 99)), None),
                ("data.whatever", junk, {"mime_type": "application/x-whatever"}),
                ("noext", junk, {"mime_type": None}),
                ("song.ogg", junk, {"mime_type": "audio/ogg"}),
                ("../../etc/passwd", junk, {"mime_type": "image/gif"}),
                ("名字\u202egnp.exe", png(rng.randint(0, 99)), {"mime_type": "image/png"}),
                ("x" * 200 + ".pdf", junk, None),
            ]
        )
        caption = rng.choice([None, None, self.text()[:900]])
        self.ledger.media(chat, "document", content, user_id=chat, file_name=name, caption=caption, media_fields=fields)
        return "document"

    def photo(self) -> str:
        rng, chat = self.rng, self.rng.choice(PRIVATE)
        content = jpeg(rng.randint(0, 99)) if rng.random() < 0.4 else rng.randbytes(rng.randint(1, 2000))
        self.ledger.media(chat, "photo", content, user_id=chat, caption=rng.choice([None, self.text()[:300]]))
        return "photo"

    def voice(self) -> str:
        chat = self.rng.choice(PRIVATE)
        self.ledger.media(chat, "voice", self.rng.randbytes(self.rng.randint(1, 4000)), user_id=chat)
        return "voice"

    def caption_command(self) -> str:
        rng, chat = self.rng, self.rng.choice(PRIVATE)
        caption = rng.choice(["/describe", "/blend", "/edit make it blue", "/imagine a cat", "/describe@otherbot"])
        if rng.random() < 0.5:
            self.ledger.media(
                chat, "document", png(rng.randint(0, 9)), user_id=chat, file_name="pic.png", caption=caption
            )
            return "image document with a command caption"
        content = jpeg(rng.randint(0, 9)) if rng.random() < 0.5 else rng.randbytes(100)
        self.ledger.media(chat, "photo", content, user_id=chat, caption=caption)
        return "photo with a command caption"

    # ------------------------------------------------------------ buttons
    def bot_message(self, chat: int, *, with_buttons: bool = False) -> StoredMessage | None:
        found = [m for m in self.tg.chat_messages(chat) if m.reply_markup or not with_buttons]
        return self.pick.choice(found[-30:]) if found else None

    def random_data(self) -> str:
        rng = self.rng
        if rng.random() < 0.7:
            return rng.choice(_FORGED)
        data = ""
        while True:
            char = chr(rng.choice([rng.randint(0x20, 0x7E), rng.randint(0xA0, 0xD7FF), rng.randint(0x10000, 0x1FFFF)]))
            if len((data + char).encode()) > rng.randint(1, 64):
                return data or "x"
            data += char

    def forged_press(self) -> str:
        chat, stranger, data = (
            self.rng.choice([*PRIVATE, GROUP, FORUM]),
            self.rng.choice([ALICE, BOB, STRANGER]),
            self.random_data(),
        )
        target = self.bot_message(chat)
        if target is None:
            return "press skipped (nothing to press yet)"
        user = chat if chat > 0 else stranger
        self.ledger.press(chat, target.message_id, data, user_id=user, allow_unknown_data=True)
        return f"forged press on a {target.kind}"

    def double_press(self) -> str:
        chat = self.rng.choice([*PRIVATE, GROUP, FORUM])
        target = self.bot_message(chat, with_buttons=True)
        rows = (target.reply_markup or {}).get("inline_keyboard", []) if target else []
        buttons = [b for row in rows for b in row if "callback_data" in b]
        if target is None or not buttons:
            return "press skipped (nothing to press yet)"
        data = self.pick.choice(buttons)["callback_data"]
        user = chat if chat > 0 else ALICE
        for _ in range(2):
            self.ledger.press(chat, target.message_id, data, user_id=user)
        return "double press"

    def inaccessible_press(self) -> str:
        chat = self.rng.choice(PRIVATE)
        target = self.bot_message(chat, with_buttons=True)
        if target is None or not target.reply_markup:
            return "press skipped (nothing to press yet)"
        data = target.reply_markup["inline_keyboard"][0][0].get("callback_data", "x")
        self.ledger.press(chat, target.message_id, data, user_id=chat, allow_unknown_data=True, inaccessible=True)
        return "press on an inaccessible message"

    # ------------------------------------------------------------ groups and the rest
    def group_options(self) -> tuple[int, dict[str, Any]]:
        if self.rng.random() < 0.5:
            return GROUP, {"chat_type": "group"}
        return FORUM, {"chat_type": "supergroup", "message_thread_id": self.rng.choice([None, *TOPICS])}

    def group_chatter(self) -> str:
        chat, options = self.group_options()
        text = self.text() or "hm"
        user = self.rng.choice([ALICE, BOB])
        self.ledger.text(chat, text.replace(f"@{BOT}", "@ somebody"), user_id=user, expects=False, **options)
        return "group chatter"

    def group_addressed(self) -> str:
        chat, options = self.group_options()
        user, roll, text = self.rng.choice([ALICE, BOB]), self.rng.random(), self.text()
        target = self.bot_message(chat)
        if target is not None and roll < 0.3:
            options = {"chat_type": options["chat_type"], "reply_to_message_id": target.message_id}
            self.ledger.text(chat, text or "and?", user_id=user, **options)
            return "group reply to bot"
        if roll > 0.8:
            command = f"/{self.rng.choice(['new', 'help', 'settings', 'model', 'usage'])}@{BOT}"
            self.ledger.text(chat, command, user_id=user, what=f"group command {command}", **options)
            return "group command"
        self.ledger.text(chat, f"@{BOT} {text}", user_id=user, **options)
        return "group mention"

    def channel_post(self) -> str:
        channel = {"id": CHANNEL, "type": "channel", "title": "News"}
        post = {"message_id": self.rng.randint(1, 10**6), "chat": channel, "date": int(time.time())}
        post |= {"sender_chat": channel, "text": self.text() or "news"}
        self.tg.push_update({self.rng.choice(["channel_post", "edited_channel_post"]): post})
        return "channel post"

    def member_update(self) -> str:
        chat_id, _ = self.group_options()
        chat = dict(self.tg.chat(chat_id, "group" if chat_id == GROUP else "supergroup"))
        who = self.tg.bot_user if self.rng.random() < 0.5 else {"id": BOB, "is_bot": False, "first_name": "Bob"}
        old, new = self.rng.sample([{"status": "member"}, {"status": "left"}, {"status": "kicked", "until_date": 0}], 2)
        change = {
            "chat": chat,
            "from": {"id": ALICE, "is_bot": False, "first_name": "Alice"},
            "date": int(time.time()),
            "old_chat_member": old | {"user": who},
            "new_chat_member": new | {"user": who},
        }
        self.tg.push_update({"my_chat_member" if who.get("is_bot") else "chat_member": change})
        return "member update"

    def stranger(self) -> str:
        if self.rng.random() < 0.6:
            self.ledger.text(STRANGER, self.text() or "hi", user_id=STRANGER, expects=False)
            return "stranger private"
        chat, options = self.group_options()
        self.ledger.text(chat, f"@{BOT} let me in", user_id=STRANGER, expects=False, **options)
        return "stranger in a group"
