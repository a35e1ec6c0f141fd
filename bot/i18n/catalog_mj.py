"""Midjourney messages, in English and Chinese."""

MJ_MESSAGES: dict[str, dict[str, str]] = {
    "cmd.imagine": {"en": "Draw with Midjourney", "zh": "用 Midjourney 画图"},
    "cmd.blend": {"en": "Blend 2–5 photos (send an album)", "zh": "融合 2–5 张图片（发送相册）"},
    "cmd.describe": {"en": "Describe a photo as prompts", "zh": "把图片反推为提示词"},
    "cmd.seed": {"en": "Seed of a Midjourney result", "zh": "获取 Midjourney 结果的种子"},
    "cmd.faceswap": {"en": "Swap a face into a photo (album of two)", "zh": "换脸（两张图片的相册）"},
    "cmd.mjedit": {"en": "Edit a photo with Midjourney (caption)", "zh": "用 Midjourney 修改图片（图片说明）"},
    "mj.usage": {
        "en": "Send /imagine followed by what to draw, e.g.\n/imagine a red fox in snow --ar 16:9 --v 6.1",
        "zh": "请在 /imagine 后写上要画的内容，例如：\n/imagine 雪中的红狐狸 --ar 16:9 --v 6.1",
    },
    "mj.queued": {
        "en": "🎨 {prompt}\n⏳ Submitted, waiting for a free slot…",
        "zh": "🎨 {prompt}\n⏳ 已提交，正在排队…",
    },
    "mj.progress": {"en": "🎨 {prompt}\n{bar} {percent}", "zh": "🎨 {prompt}\n{bar} {percent}"},
    "mj.started_action": {"en": "✅ Started: {label}", "zh": "✅ 已开始：{label}"},
    "mj.ask_prompt": {
        "en": "✏️ Reply to this message with the prompt for {label} (for Custom Zoom end it with e.g. --zoom 1.8).",
        "zh": "✏️ 请回复本消息，写出 {label} 的提示词（自定义缩放请在末尾加上如 --zoom 1.8）。",
    },
    "mj.prompt_placeholder": {"en": "Prompt…", "zh": "提示词…"},
    "mj.fate_unknown": {
        "en": "⚠️ The bot restarted while your Midjourney request was being sent, so it cannot follow it: "
        "it may or may not have started. It does not count against your daily limit. Send /imagine again if no "
        "image arrives.",
        "zh": "⚠️ 提交 Midjourney 请求时机器人重启了，无法继续跟踪：它可能已开始，也可能没有。"
        "这次不计入你的每日额度。如果没有收到图片，请重新发送 /imagine。",
    },
    "mj.undeliverable": {
        "en": "⚠️ Your Midjourney image is ready, but Telegram refused it several times ({reason}). "
        "Try /imagine again.",
        "zh": "⚠️ Midjourney 图片已生成，但 Telegram 多次拒绝发送（{reason}）。请重新发送 /imagine。",
    },
    "mj.failed": {"en": "❌ Midjourney failed: {reason}", "zh": "❌ Midjourney 任务失败：{reason}"},
    "mj.timeout": {
        "en": "⌛ Midjourney did not finish within {minutes} minutes. Try again with /imagine.",
        "zh": "⌛ Midjourney 在 {minutes} 分钟内没有完成，请用 /imagine 重试。",
    },
    "mj.banned": {
        "en": "🚫 Midjourney refused the prompt: the word “{word}” is not allowed. Rephrase and try again.",
        "zh": "🚫 Midjourney 拒绝了这个提示词：不允许使用“{word}”。请换个说法再试。",
    },
    "mj.banned_unknown": {
        "en": "🚫 Midjourney refused the prompt as not allowed. Rephrase and try again.",
        "zh": "🚫 Midjourney 认为这个提示词不合规，请换个说法再试。",
    },
    "mj.queue_full": {
        "en": "🚦 The Midjourney queue is full right now. Try again in a few minutes.",
        "zh": "🚦 Midjourney 队列已满，请几分钟后再试。",
    },
    "mj.invalid": {
        "en": "⚠️ Midjourney rejected the parameters: {reason}\nCheck the prompt and flags (--ar, --v …).",
        "zh": "⚠️ Midjourney 拒绝了参数：{reason}\n请检查提示词和参数（--ar、--v 等）。",
    },
    "mj.not_found": {
        "en": "🔎 Midjourney no longer knows this task. Start a new one with /imagine.",
        "zh": "🔎 Midjourney 已找不到这个任务，请用 /imagine 重新开始。",
    },
    "mj.not_yours": {
        "en": "Only the person who started this image can use its buttons.",
        "zh": "只有发起者可以使用这些按钮。",
    },
    "mj.already_pressed": {"en": "Already started — see the progress message.", "zh": "已经开始了，请查看进度消息。"},
    "mj.not_waiting": {"en": "This prompt request has already been answered.", "zh": "这个提示词请求已经处理过了。"},
    "mj.seed": {"en": "🌱 Seed: {seed}", "zh": "🌱 种子：{seed}"},
    "mj.seed_usage": {
        "en": "Reply /seed to a Midjourney result, or press its 🌱 button.",
        "zh": "请用 /seed 回复一张 Midjourney 结果图，或点击其下方的 🌱 按钮。",
    },
    "mj.no_image": {
        "en": "✅ Done, but the image could not be downloaded. Press 🌱 for the seed or try the action again.",
        "zh": "✅ 已完成，但图片无法下载。可点击 🌱 获取种子或重试。",
    },
    "mj.describe_result": {
        "en": "🖼 Prompts for your image:\n\n{prompts}\n\nPress a number to draw it.",
        "zh": "🖼 这张图片的提示词：\n\n{prompts}\n\n点击数字即可生成。",
    },
    "mj.blend_usage": {
        "en": "Send 2–5 photos as one album with the caption /blend (optionally /blend portrait|square|landscape).",
        "zh": "请把 2–5 张图片作为一个相册发送，并写上说明 /blend（可选 /blend portrait|square|landscape）。",
    },
    "mj.describe_usage": {
        "en": "Send a photo with the caption /describe, or reply /describe to a photo.",
        "zh": "请发送图片并写上说明 /describe，或用 /describe 回复一张图片。",
    },
    "mj.imagine_photos": {
        "en": "Send 1–5 photos with the caption /imagine and your prompt: they are the prompt's image references.",
        "zh": "请发送 1–5 张图片并写上说明 /imagine 和提示词：这些图片会作为提示词的参考图。",
    },
    "mj.faceswap_usage": {
        "en": "Send an album of two photos captioned /faceswap — first the face, then the photo to put it on. "
        "Or reply to the target photo with the face photo, captioned /faceswap.",
        "zh": "请发送两张图片的相册并写上说明 /faceswap：第一张是脸，第二张是要换上这张脸的图片。"
        "也可以用带说明 /faceswap 的人脸图片回复目标图片。",
    },
    "mj.mjedit_usage": {
        "en": "Send a photo with the caption /mjedit and what to change, e.g. /mjedit make the sky stormy",
        "zh": "请发送图片并写上说明 /mjedit 和要修改的内容，例如：/mjedit 把天空改成暴风雨",
    },
    "mj.photo_too_big": {
        "en": "📦 That photo is larger than Telegram lets bots download (20 MB). Send a smaller one.",
        "zh": "📦 图片超过了 Telegram 允许机器人下载的大小（20 MB），请发送小一些的图片。",
    },
}
