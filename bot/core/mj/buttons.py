"""Which Midjourney buttons a Telegram user can use (docs/protocols.md, "Gateway: Midjourney buttons")."""

from __future__ import annotations

from bot.wenwen.mj_types import MjButton

# new-api answers `unknown_action` for these; showing them would only produce errors.
_REJECTED = (
    "MJ::BOOKMARK",
    "MJ::Job::PicReader",
    "MJ::Picread",
    "MJ::JOB::video_virtual_upscale",
    "MJ::Job::PromptAnalyzer",
)
# The upscale's video buttons (V7 "Animate"): new-api refuses them as actions; the bot makes the video itself
# with /mj/submit/video from the task's image, at the button's motion.
_ANIMATE = {"MJ::JOB::animate_low::": "low", "MJ::JOB::animate_high::": "high"}
# Vary (Region) needs a mask drawn on the image, which a Telegram chat cannot collect.
_NEEDS_MASK = ("MJ::Inpaint",)
_SUPPORTED = (
    "MJ::JOB::upsample",
    "MJ::JOB::variation",
    "MJ::JOB::low_variation",
    "MJ::JOB::high_variation",
    "MJ::JOB::reroll",
    "MJ::JOB::pan_",
    "MJ::Outpaint::",
    "MJ::CustomZoom",
)

# Buttons the bot adds itself; they are stored with the task like the gateway's.
SEED = "bot::seed"
FILE = "bot::file"
DESCRIBE_PREFIX = "bot::describe::"


def usable(button: MjButton) -> bool:
    custom_id = button.customId or ""
    if not custom_id or custom_id.startswith(_REJECTED + _NEEDS_MASK):
        return False
    return custom_id.startswith(_SUPPORTED) or video_motion(custom_id) is not None


def video_motion(custom_id: str) -> str | None:
    """`low` or `high` for an Animate button (made with /mj/submit/video), None for any other."""
    return next((motion for prefix, motion in _ANIMATE.items() if custom_id.startswith(prefix)), None)


def is_upscale_result(action: str) -> bool:
    return action.upper() == "UPSCALE"


def needs_prompt(custom_id: str) -> bool:
    """Custom Zoom always asks for a prompt (MODAL); other actions only in remix mode."""
    return custom_id.startswith("MJ::CustomZoom")


def parse_describe_prompts(final_prompt: str) -> list[str]:
    """DESCRIBE's four prompts: "1️⃣ … \\n\\n2️⃣ …" (docs/protocols.md, "Gateway: Midjourney task objects")."""
    prompts: list[str] = []
    for block in final_prompt.split("\n\n"):
        text = block.strip()
        if not text:
            continue
        for marker in ("1️⃣", "2️⃣", "3️⃣", "4️⃣", "5️⃣"):
            text = text.removeprefix(marker)
        prompts.append(text.strip())
    return [p for p in prompts if p][:4]


_ACTIONS = (
    ("MJ::JOB::upsample", "UPSCALE"),
    ("MJ::JOB::low_variation", "LOW_VARIATION"),
    ("MJ::JOB::high_variation", "HIGH_VARIATION"),
    ("MJ::JOB::variation", "VARIATION"),
    ("MJ::JOB::reroll", "REROLL"),
    ("MJ::JOB::pan_", "PAN"),
    ("MJ::Outpaint::", "ZOOM"),
    ("MJ::CustomZoom", "CUSTOM_ZOOM"),
)


def action_of(custom_id: str) -> str:
    """The action (price model) new-api bills a customId as (docs/protocols.md, "Gateway: Midjourney buttons")."""
    return next((action for prefix, action in _ACTIONS if custom_id.startswith(prefix)), "ACTION")
