"""Abuse the real `wenwen-bot` process the way a crowd would, and print what it cost.

    python -m benchmarks.crowd
    python -m benchmarks.crowd --album-mb 8 --flood 300

The bot runs as a child process (`python -m bot`, long polling) against FakeTelegram and FakeWenwen
started in this process on 127.0.0.1; its memory is read from /proc/<pid>/status.

1. **album**: a 10-photo album of ~8 MB JPEGs (4000×3000, quality 95) with a caption → the bot's
   idle RSS, its peak RSS (VmHWM) while answering, and the size of the request the gateway received.
2. **flood**: Alice's answer is held open by the fake gateway while she sends N more messages; Bob
   sends a message before the flood (baseline) and during it. Prints the gateway requests the flood
   cost and how long Bob waited each time (user message → his answer in the chat).
See benchmarks/README.md for details.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import sys
import tempfile
import time
from io import BytesIO
from pathlib import Path

from PIL import Image

from benchmarks.process import bot_environment, proc_memory, start_bot, stop_bot
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.wenwen import FakeWenwen, Reply
from tests.harness import API_KEY, TOKEN

ALICE, BOB = 1001, 1002


def photo(seed: int, target_mb: float) -> bytes:
    """A noisy 4000×3000 JPEG of about `target_mb` MB (noise keeps JPEG from compressing it away)."""
    rng = random.Random(seed)
    noise = Image.frombytes("L", (4000, 3000), rng.randbytes(4000 * 3000))
    smooth = Image.frombytes("L", (400, 300), rng.randbytes(400 * 300)).resize((4000, 3000))
    image = Image.merge("RGB", (noise, smooth, smooth.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))
    quality = 98
    while True:
        out = BytesIO()
        image.save(out, "JPEG", quality=quality)
        if out.tell() <= target_mb * 1_000_000 * 1.05 or quality <= 50:
            return out.getvalue()
        quality -= 3


async def sample_peak(pid: int, stop: asyncio.Event) -> float:
    """Highest VmRSS seen while `stop` is not set (VmHWM is read too: it also catches short peaks)."""
    peak = 0.0
    while not stop.is_set():
        memory = proc_memory(pid)
        peak = max(peak, memory.get("VmRSS", 0.0), memory.get("VmHWM", 0.0))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.02)
    return peak


async def album(tg: FakeTelegram, ww: FakeWenwen, pid: int, size_mb: float) -> None:
    photos = [photo(seed, size_mb) for seed in range(10)]
    print(f"album: 10 photos of {sum(map(len, photos)) / 10 / 1e6:.1f} MB each")
    await asyncio.sleep(2.0)  # let start-up settle before "idle" is read
    idle = proc_memory(pid).get("VmRSS", 0.0)
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_peak(pid, stop))
    started = time.monotonic()
    tg.send_media(ALICE, "photo", photos[0], caption="compare all ten", media_group_id="album", user_id=ALICE)
    for image in photos[1:]:
        tg.send_media(ALICE, "photo", image, media_group_id="album", user_id=ALICE)
    await tg.wait_for(lambda: bool(tg.chat_messages(ALICE)), timeout=120)
    elapsed = time.monotonic() - started
    stop.set()
    peak = await sampler
    [request] = ww.requests_to("/v1/chat/completions")
    print(f"  idle RSS {idle:.0f} MB, peak RSS {peak:.0f} MB (+{peak - idle:.0f} MB)")
    print(f"  request body {len(request.body) / 1e6:.1f} MB, answered {elapsed:.1f} s after the first photo")


async def bob_waits(tg: FakeTelegram, text: str) -> float:
    before = len(tg.chat_messages(BOB))
    started = time.monotonic()
    tg.send_text(BOB, text, user_id=BOB)
    await tg.wait_for(lambda: len(tg.chat_messages(BOB)) > before, timeout=60)
    return time.monotonic() - started


async def flood(tg: FakeTelegram, ww: FakeWenwen, count: int) -> None:
    baseline = [await bob_waits(tg, f"baseline {n}") for n in range(5)]
    requests_before = len(ww.requests_to("/v1/chat/completions"))
    hold = asyncio.Event()
    ww.script(Reply(text="alice's slow answer", chunks=3, hold=hold))
    tg.send_text(ALICE, "a slow one", user_id=ALICE)
    await ww.wait_for(lambda: ww.streams_open == 1)
    for number in range(count):
        tg.send_text(ALICE, f"flood {number}", user_id=ALICE)
    during = [await bob_waits(tg, f"during {n}") for n in range(5)]
    hold.set()
    await tg.wait_for(lambda: any((m.text or "").startswith("echo: flood 0") for m in tg.chat_messages(ALICE)), 60)
    await asyncio.sleep(2.0)  # anything the flood would still cause arrives now
    alice_requests = [
        r for r in ww.requests_to("/v1/chat/completions")[requests_before:] if "during" not in str(r.json)
    ]
    print(f"flood: {count} messages while an answer was being written")
    print(f"  gateway requests for Alice: {len(alice_requests)} (the held answer + follow-ups)")
    print(f"  Bob's wait, no flood:  median {sorted(baseline)[2] * 1000:.0f} ms  max {max(baseline) * 1000:.0f} ms")
    print(f"  Bob's wait, the flood: median {sorted(during)[2] * 1000:.0f} ms  max {max(during) * 1000:.0f} ms")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--album-mb", type=float, default=8.0)
    parser.add_argument("--flood", type=int, default=300)
    parser.add_argument("--env", action="append", default=[], help="extra NAME=VALUE for the bot process")
    args = parser.parse_args()
    tg, ww = FakeTelegram(token=TOKEN), FakeWenwen(api_key=API_KEY)
    await tg.start()
    await ww.start()
    with tempfile.TemporaryDirectory() as folder:
        extra = dict(item.split("=", 1) for item in args.env)
        env = bot_environment(tg.base_url, ww.base_url, Path(folder), ALLOWED_USER_IDS=f"{ALICE},{BOB}", **extra)
        process = await start_bot(env, Path(folder))
        try:
            await tg.wait_for(lambda: bool(tg.calls_of("getUpdates")), timeout=30)
            await album(tg, ww, process.pid, args.album_mb)
            await flood(tg, ww, args.flood)
        finally:
            await stop_bot(process)
            await tg.stop()
            await ww.stop()


if __name__ == "__main__":
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    sys.exit(asyncio.run(main()))
