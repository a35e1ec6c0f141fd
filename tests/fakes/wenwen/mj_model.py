"""Midjourney tasks (docs/protocols.md, "Gateway: Midjourney task objects"): customId parsing, buttons, the per-task
stage schedule, the stored new-api row (``MjTask``) and deterministic PNG bytes.

A task is new-api's row as ``coverMidjourneyTaskDto`` renders it. The row changes only when the
fake "poller" advances the task one stage (one poll of that task, or ``fake.mj_advance``):

    ""/"0%"  →  SUBMITTED/"0%"  →  IN_PROGRESS/"15%","46%","92%"  →  SUCCESS/"100%"

(or FAILURE/"100%" with a failReason; or ""/"0%" → MODAL/"0%" until ``/mj/submit/modal``).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import struct
import time
import uuid
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

DISCORD_INSTANCE_ID = "1118138338562560102"
SUBMIT_OK = "提交成功"
WAITING_MODAL = "Waiting for window confirm"
MJ_TIMEOUT_REASON = "上游任务超时（超过1小时）"
DEFAULT_FAIL_REASON = "Request cancelled due to image filters"
DEFAULT_PROGRESS = ("15%", "46%", "92%")
SELF_OWNER = "self"
FOREIGN_OWNER = "someone-else"

# new-api actions that always need the modal step, and those that need it with remix on.
MODAL_ALWAYS = frozenset({"INPAINT", "CUSTOM_ZOOM"})
REMIX_ACTIONS = frozenset({"VARIATION", "LOW_VARIATION", "HIGH_VARIATION", "REROLL", "PAN"})
BLEND_RATIOS = {"PORTRAIT": "2:3", "SQUARE": "1:1", "LANDSCAPE": "3:2"}

_DATA_URL = re.compile(r"^data:[\w.+-]+/[\w.+-]+;base64,[A-Za-z0-9+/=\s]+$")
_GO_INT = re.compile(r"^[+-]?\d+$")
_NUMBERS = ("1️⃣", "2️⃣", "3️⃣", "4️⃣", "5️⃣")


class ActionParseError(Exception):
    """``CoverPlusActionToNormalAction`` failed; ``description`` is the MidjourneyResponse text."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


def cover_plus_action(custom_id: str, body_action: str = "") -> tuple[str, int]:
    """new-api's customId → (action, index) mapping (docs/protocols.md, "Gateway: Midjourney buttons").

    A customId with too few ``::`` segments makes Go panic (index out of range); the fake answers
    ``unknown_action:<customId>`` for it instead. A segment containing "variation" that is not one of
    the three known kinds leaves the action as the body's ``action`` (usually "", model ``mj_``)."""
    if custom_id == "":
        raise ActionParseError("custom_id_is_required")
    parts = custom_id.split("::")
    if len(parts) < 2 or (parts[1] == "JOB" and len(parts) < 3):
        raise ActionParseError(f"unknown_action:{custom_id}")
    seg = parts[2] if parts[1] == "JOB" else parts[1]
    if seg == "":
        raise ActionParseError("unknown_action")

    def index_at(position: int) -> int:
        if len(parts) <= position:
            raise ActionParseError(f"unknown_action:{custom_id}")
        if not _GO_INT.match(parts[position]):
            raise ActionParseError("index_parse_failed")
        return int(parts[position])

    if "upsample" in seg:
        return "UPSCALE", index_at(3)
    if "variation" in seg:
        if seg == "variation":
            return "VARIATION", index_at(3)
        if seg == "low_variation":
            return "LOW_VARIATION", 1
        if seg == "high_variation":
            return "HIGH_VARIATION", 1
        return body_action, 1
    if "pan" in seg:
        return "PAN", 1
    if "reroll" in seg:
        return "REROLL", 1
    if seg == "Outpaint":
        return "ZOOM", 1
    if seg == "CustomZoom":
        return "CUSTOM_ZOOM", 1
    if seg == "Inpaint":
        return "INPAINT", 1
    raise ActionParseError(f"unknown_action:{custom_id}")


def model_name(action: str) -> str:
    """``CovertMjpActionToModelName`` (face swap is billed as ``swap_face``)."""
    return "swap_face" if action == "SWAP_FACE" else "mj_" + action.lower()


def is_data_url(value: Any) -> bool:
    return isinstance(value, str) and bool(_DATA_URL.match(value))


def new_task_id(taken: Sequence[str] | dict[str, Any]) -> str:
    """midjourney-proxy's id: epoch milliseconds + 3 random digits (16 digits)."""
    while True:
        candidate = f"{int(time.time() * 1000)}{secrets.randbelow(1000):03d}"
        if candidate not in taken:
            return candidate


def now_ms() -> int:
    return int(time.time() * 1000)


def task_hash(task_id: str) -> str:
    """The Discord message uuid behind a task's buttons (deterministic per task id)."""
    return str(uuid.UUID(bytes=hashlib.sha256(f"mj-hash:{task_id}".encode()).digest()[:16], version=4))


def short_link(seed: str) -> str:
    digest = hashlib.sha256(seed.encode()).hexdigest()
    return f"<https://s.mj.run/{digest[:11]}>"


# --------------------------------------------------------------------- buttons
def button(custom_id: str, label: str = "", emoji: str = "", style: int = 2) -> dict[str, Any]:
    return {"customId": custom_id, "emoji": emoji, "label": label, "type": 2, "style": style}


def grid_buttons(h: str) -> list[dict[str, Any]]:
    """After IMAGINE / VARIATION / REROLL / BLEND / PAN / ZOOM / INPAINT (a 2x2 grid)."""
    return [
        *(button(f"MJ::JOB::upsample::{i}::{h}", f"U{i}") for i in range(1, 5)),
        button(f"MJ::JOB::reroll::0::{h}::SOLO", emoji="🔄"),
        *(button(f"MJ::JOB::variation::{i}::{h}", f"V{i}") for i in range(1, 5)),
    ]


def upscale_buttons(h: str) -> list[dict[str, Any]]:
    """After UPSCALE (V6.x); several customIds are longer than 64 bytes."""
    return [
        button(f"MJ::JOB::upsample_v6_2x_subtle::1::{h}::SOLO", "Upscale (Subtle)"),
        button(f"MJ::JOB::upsample_v6_2x_creative::1::{h}::SOLO", "Upscale (Creative)"),
        button(f"MJ::JOB::low_variation::1::{h}::SOLO", "Vary (Subtle)", "🪄"),
        button(f"MJ::JOB::high_variation::1::{h}::SOLO", "Vary (Strong)", "🪄"),
        button(f"MJ::Inpaint::1::{h}::SOLO", "Vary (Region)", "🖌️"),
        button(f"MJ::Outpaint::50::1::{h}::SOLO", "Zoom Out 2x", "🔍"),
        button(f"MJ::Outpaint::75::1::{h}::SOLO", "Zoom Out 1.5x", "🔍"),
        button(f"MJ::CustomZoom::{h}", "Custom Zoom", "🔍"),
        button(f"MJ::JOB::pan_left::1::{h}::SOLO", emoji="⬅️"),
        button(f"MJ::JOB::pan_right::1::{h}::SOLO", emoji="➡️"),
        button(f"MJ::JOB::pan_up::1::{h}::SOLO", emoji="⬆️"),
        button(f"MJ::JOB::pan_down::1::{h}::SOLO", emoji="⬇️"),
        button(f"MJ::BOOKMARK::{h}", emoji="❤️"),
        button("", "Web", "🌐", style=5),
    ]


def animate_buttons(h: str) -> list[dict[str, Any]]:
    """The video buttons of a V7 upscale (new-api refuses them on /mj/submit/action)."""
    return [
        button(f"MJ::JOB::animate_low::1::{h}::SOLO", "Animate (Low motion)", "🎞️"),
        button(f"MJ::JOB::animate_high::1::{h}::SOLO", "Animate (High motion)", "🎞️"),
    ]


def describe_buttons() -> list[dict[str, Any]]:
    """After DESCRIBE — every one of these is rejected by new-api's /mj/submit/action."""
    return [
        *(button(f"MJ::Job::PicReader::{i}", str(i)) for i in range(1, 5)),
        button("MJ::Picread::Retry", emoji="🔄"),
        button("MJ::Job::PicReader::all", "Imagine all", "🎉"),
    ]


def shorten_buttons() -> list[dict[str, Any]]:
    return [
        *(button(f"MJ::Job::PromptAnalyzer::{i}", str(i)) for i in range(1, 6)),
        button("MJ::Job::PromptAnalyzer::Show_Details", "Show Details", "🔍"),
    ]


def numbered(lines: Sequence[str]) -> str:
    return "\n\n".join(f"{_NUMBERS[i]} {line}" for i, line in enumerate(lines))


def describe_text(task_id: str) -> str:
    tag = task_hash(task_id)[:8]
    return numbered(
        [
            f"a fake photograph number one of scene {tag}, soft light --ar 5:4",
            f"a fake painting number two of scene {tag}, oil on canvas --ar 5:4",
            f"a fake illustration number three of scene {tag}, flat colors --ar 5:4",
            f"a fake render number four of scene {tag}, octane --ar 5:4",
        ]
    )


def shorten_text(prompt: str) -> str:
    words = prompt.split()
    return numbered([" ".join(words[: max(1, len(words) - i)]) for i in range(5)])


# ---------------------------------------------------------------------- stages
@dataclass(frozen=True)
class Stage:
    status: str
    progress: str
    fail_reason: str = ""

    @property
    def terminal(self) -> bool:
        return self.status in ("SUCCESS", "FAILURE")


INITIAL = Stage("", "0%")
MODAL = Stage("MODAL", "0%")


def running_stages(steps: int, progress: Sequence[str] | None, fail: tuple[str, int | None] | None) -> list[Stage]:
    """The stages after ``""``: ``steps`` transitions to the terminal one (default 5:
    SUBMITTED, three IN_PROGRESS, SUCCESS). ``progress`` overrides the IN_PROGRESS texts.
    ``fail=(reason, at_step)``: FAILURE replaces the stage reached after ``at_step`` transitions
    (None: the terminal one)."""
    if progress is not None:
        texts = list(progress)
    elif steps <= 2:
        texts = []
    elif steps - 2 == len(DEFAULT_PROGRESS):
        texts = list(DEFAULT_PROGRESS)
    else:
        count = steps - 2
        texts = [f"{round(15 + 77 * i / max(1, count - 1))}%" for i in range(count)]
    stages = [Stage("IN_PROGRESS", text) for text in texts]
    if progress is not None or steps >= 2:
        stages.insert(0, Stage("SUBMITTED", "0%"))
    stages.append(Stage("SUCCESS", "100%"))
    if fail is not None:
        reason, at_step = fail
        cut = len(stages) if at_step is None else max(1, min(at_step, len(stages)))
        stages = [*stages[: cut - 1], Stage("FAILURE", "100%", reason)]
    return stages


# ------------------------------------------------------------------------ task
def empty_row(task_id: str, action: str, prompt: str, description: str, submit_time: int) -> dict[str, Any]:
    """A row right after insert, in ``dto.MidjourneyDto`` key order."""
    return {
        "id": task_id,
        "action": action,
        "customId": "",
        "botType": "",
        "prompt": prompt,
        "promptEn": "",
        "description": description,
        "state": "",
        "submitTime": submit_time,
        "startTime": 0,
        "finishTime": 0,
        "imageUrl": "",
        "videoUrl": "",
        "videoUrls": None,
        "status": "",
        "progress": "0%",
        "failReason": "",
        "buttons": None,
        "maskBase64": "",
        "properties": None,
    }


class MjTask(dict[str, Any]):
    """One task. The dict itself is new-api's stored row — the object ``GET /mj/task/{id}/fetch``
    answers, except that ``imageUrl`` is kept without the ``?rand=`` that is added on every render
    while ``status != "SUCCESS"``. The attributes are the fake's upstream (midjourney-proxy) state."""

    def __init__(
        self,
        *,
        task_id: str,
        action: str,
        prompt: str,
        prompt_en: str,
        description: str,
        state: str,
        image_url: str,
        schedule: list[Stage],
        owner: str = SELF_OWNER,
        parent_id: str | None = None,
        custom_id: str = "",
        result_text: str = "",
    ) -> None:
        super().__init__(empty_row(task_id, action, prompt, description, now_ms()))
        self.owner = owner
        self.parent_id = parent_id
        self.custom_id = custom_id  # the action customId that created it ("" for submits)
        self.prompt_en = prompt_en  # upstream promptEn / finalPrompt
        self.result_text = result_text  # DESCRIBE/SHORTEN: finalPrompt on SUCCESS
        self.request_state = state
        self.image_url = image_url  # <ServerAddress>/mj/image/<id> ("" for SHORTEN)
        self.hash = task_hash(task_id)
        self.schedule = schedule
        self.step = 0
        self.polls = 0
        self.modal_pending = bool(schedule) and schedule[-1] == MODAL
        self.modal_prompt: str | None = None
        self.mask_base64 = ""
        self.modal_row: dict[str, Any] | None = None  # mj_modal_stale: the second new-api row
        self.video_url = ""  # VIDEO: videoUrl/videoUrls on SUCCESS
        self.animate = False  # UPSCALE: offer the V7 video buttons

    @property
    def id(self) -> str:
        return str(self["id"])

    @property
    def current(self) -> Stage:
        return self.schedule[self.step]

    @property
    def done(self) -> bool:
        return self.current.terminal

    def latest_row(self) -> dict[str, Any]:
        return self.modal_row if self.modal_row is not None else self

    def buttons(self) -> list[dict[str, Any]]:
        action = self["action"]
        if action in ("VIDEO", "SWAP_FACE"):
            return []
        if action == "UPSCALE":
            return upscale_buttons(self.hash) + (animate_buttons(self.hash) if self.animate else [])
        if action == "DESCRIBE":
            return describe_buttons()
        if action == "SHORTEN":
            return shorten_buttons()
        return grid_buttons(self.hash)

    # ------------------------------------------------------------- the poller
    def advance(self, steps: int = 1) -> int:
        """Move up to ``steps`` stages forward; returns how many were taken."""
        taken = 0
        while taken < steps and self.step < len(self.schedule) - 1:
            self.step += 1
            taken += 1
            stage = self.schedule[self.step]
            now = now_ms()
            if self.modal_row is not None:
                self._apply(self.modal_row, stage, now)
                if stage.terminal:  # the stale first row catches up only now
                    self._apply(self, stage, now)
            else:
                self._apply(self, stage, now)
        return taken

    def _apply(self, row: dict[str, Any], stage: Stage, now: int) -> None:
        row["status"] = stage.status
        row["progress"] = stage.progress
        if stage.status == "":
            return
        final = self.result_text if stage.status == "SUCCESS" and self.result_text else self.prompt_en
        row["promptEn"] = final
        row["state"] = self.request_state
        row["properties"] = {"finalPrompt": final, "finalZhPrompt": ""}
        if stage.status not in ("MODAL", "NOT_START") and row["startTime"] == 0:
            row["startTime"] = now
        if stage.status == "IN_PROGRESS" and self.image_url:
            row["imageUrl"] = self.image_url
        elif stage.status == "SUCCESS":
            row["finishTime"] = now
            row["imageUrl"] = self.image_url
            row["buttons"] = self.buttons()
            if self.video_url:
                row["videoUrl"] = self.video_url
                row["videoUrls"] = [{"url": self.video_url}]
        elif stage.status == "FAILURE":
            row["finishTime"] = now
            row["failReason"] = stage.fail_reason
            row["progress"] = "100%"  # new-api forces it

    def succeed_at_once(self) -> None:
        """Upstream answered 21 "already exists" with status SUCCESS: new-api stores the row as
        finished at insert (progress 100%, never polled → buttons and properties stay null)."""
        now = now_ms()
        self.schedule = [Stage("SUCCESS", "100%")]
        self.step = 0
        self.modal_pending = False
        self.update(status="SUCCESS", progress="100%", startTime=now, finishTime=now, imageUrl=self.image_url)

    def confirm_modal(self, prompt_en: str, running: list[Stage], second_row: dict[str, Any] | None) -> None:
        self.modal_pending = False
        self.prompt_en = prompt_en
        self.schedule = [*self.schedule[: self.step + 1], *running]
        self.modal_row = second_row

    def fail_now(self, reason: str) -> None:
        if self.done:
            raise ValueError(f"MJ task {self.id} already finished ({self['status']})")
        self.modal_pending = False
        self.schedule = [*self.schedule[: self.step + 1], Stage("FAILURE", "100%", reason)]
        self.advance(1)

    # ----------------------------------------------------------------- render
    def render(self, row: dict[str, Any] | None = None) -> dict[str, Any]:
        source = self if row is None else row
        out = dict(source)
        if out["imageUrl"] and out["status"] != "SUCCESS":
            out["imageUrl"] = f"{out['imageUrl']}?rand={time.time_ns()}"
        if out["videoUrls"] is not None:
            out["videoUrls"] = [dict(v) for v in out["videoUrls"]]
        if out["buttons"] is not None:
            out["buttons"] = [dict(b) for b in out["buttons"]]
        if out["properties"] is not None:
            out["properties"] = dict(out["properties"])
        return out


# ------------------------------------------------------------------------- PNG
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PAD_CHUNK = b"prVt"  # ancillary, private, safe-to-copy: decoders skip it


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bytes(task_id: str, min_size: int | None = None, side: int = 128) -> bytes:
    """A valid RGB PNG, four coloured quadrants derived from the task id; padded with an
    ancillary chunk to at least ``min_size`` bytes when given."""
    digest = hashlib.sha256(task_id.encode()).digest()
    colours = [digest[i : i + 3] for i in (0, 3, 6, 9)]
    half = side // 2
    rows = []
    for y in range(side):
        left, right = (colours[0], colours[1]) if y < half else (colours[2], colours[3])
        rows.append(b"\x00" + left * half + right * (side - half))
    head = (
        PNG_SIGNATURE
        + _chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0))
        + _chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
    )
    tail = _chunk(b"IEND", b"")
    if min_size is not None:
        padding = min_size - len(head) - len(tail) - 12
        if padding > 0:
            head += _chunk(PAD_CHUNK, b"\x00" * padding)
    return head + tail
