"""Every user-facing string, in English and Chinese."""

MESSAGES: dict[str, dict[str, str]] = {
    # ------------------------------------------------------------ commands (menu descriptions)
    "cmd.start": {"en": "Start and show what I can do", "zh": "开始使用并查看功能"},
    "cmd.help": {"en": "Help and commands", "zh": "帮助与命令"},
    "cmd.new": {"en": "Start a fresh conversation", "zh": "开始新的对话"},
    "cmd.model": {"en": "Choose the chat model", "zh": "选择对话模型"},
    "cmd.system": {"en": "Set or clear the system prompt", "zh": "设置或清除系统提示词"},
    "cmd.stop": {"en": "Stop the current answer", "zh": "停止当前回答"},
    "cmd.retry": {"en": "Answer the last message again", "zh": "重新生成上一条回答"},
    # ------------------------------------------------------------ start / help
    "start": {
        "en": "👋 Hi {name}! I bring the wenwen models into Telegram.\n\n"
        "Just write to me — I remember the conversation until you send /new.\n"
        "Current model: {model}. Change it with /model.\n\nSee /help for everything I can do.",
        "zh": "👋 你好，{name}！我把 wenwen 的模型带进了 Telegram。\n\n"
        "直接给我发消息即可——在你发送 /new 之前我会记住对话内容。\n"
        "当前模型：{model}，可用 /model 更换。\n\n发送 /help 查看全部功能。",
    },
    "help": {
        "en": "<b>Commands</b>\n"
        "/new — start a fresh conversation (settings stay)\n"
        "/history — earlier conversations: continue, rename, export or delete one\n"
        "/export — this conversation as a Markdown file; /find &lt;words&gt; — search earlier ones\n"
        "/model — choose the model; /model &lt;name&gt; sets it directly\n"
        "/system &lt;text&gt; — set the system prompt; /system clear — remove it; /system — show it\n"
        "/stop — stop the answer being written\n"
        "/retry — write the last answer again\n"
        "/imagine &lt;prompt&gt; — draw with Midjourney (flags like --ar 16:9 pass through)\n"
        "/blend — caption of an album of 2–5 photos; /describe — caption of a photo\n"
        "/seed — reply to a Midjourney result\n"
        "/imagine &lt;prompt&gt; as the caption of 1–5 photos — with image prompts; "
        "/mjedit &lt;prompt&gt; — caption of a photo to edit it with Midjourney\n"
        "/faceswap — caption of an album of two photos (the face, then the target), "
        "or of a face photo replying to the target\n"
        "/image &lt;prompt&gt; — draw an image; /edit &lt;instruction&gt; — caption of a photo to edit it\n"
        "/video &lt;prompt&gt; — make a video (also as the caption of a photo); /video — the video models\n"
        "/tts &lt;text&gt; — read aloud; /voice on|off — spoken replies\n"
        "/settings — format, thinking, web search, tools, language; /usage — your tokens\n"
        "/forget — delete everything I keep about you (asks first)\n\n"
        "Send photos to ask about them, and voice notes to talk.\n\n"
        "In groups I answer when mentioned, when you reply to me, or on a command. "
        "Each forum topic is its own conversation.",
        "zh": "<b>命令</b>\n"
        "/new — 开始新的对话（设置保留）\n"
        "/history — 历史对话：继续、重命名、导出或删除\n"
        "/export — 把当前对话导出为 Markdown 文件；/find &lt;关键词&gt; — 查找历史对话\n"
        "/model — 选择模型；/model &lt;名称&gt; 直接设置\n"
        "/system &lt;内容&gt; — 设置系统提示词；/system clear — 清除；/system — 查看\n"
        "/stop — 停止正在生成的回答\n"
        "/retry — 重新生成上一条回答\n"
        "/imagine &lt;提示词&gt; — 用 Midjourney 画图（--ar 16:9 等参数会原样传递）\n"
        "/blend — 作为 2–5 张图片相册的说明；/describe — 作为单张图片的说明\n"
        "/seed — 回复一张 Midjourney 结果图获取种子\n"
        "/imagine &lt;提示词&gt; 作为 1–5 张图片的说明 — 以图片作为参考；"
        "/mjedit &lt;提示词&gt; — 作为图片说明，用 Midjourney 修改图片\n"
        "/faceswap — 作为两张图片相册的说明（先脸，后目标图），或作为回复目标图片的人脸图片的说明\n"
        "/image &lt;提示词&gt; — 生成图片；/edit &lt;要求&gt; — 作为图片说明来修改图片\n"
        "/video &lt;描述&gt; — 生成视频（也可作为图片说明）；/video — 查看视频模型\n"
        "/tts &lt;文字&gt; — 朗读；/voice on|off — 语音回复\n"
        "/settings — 格式、思考、联网搜索、工具、语言；/usage — 我的用量\n"
        "/forget — 删除我保存的关于你的全部数据（会先确认）\n\n"
        "发送图片即可提问，发送语音即可对话。\n\n"
        "在群组中，@我、回复我的消息或使用命令时我才会回答。每个论坛话题都是独立的对话。",
    },
    # ------------------------------------------------------------ access
    "access.denied": {
        "en": "⛔ This bot is private. Your Telegram user id is <code>{user_id}</code> — "
        "send it to the bot's owner and ask to be added.",
        "zh": "⛔ 这是一个私人机器人。你的 Telegram 用户 ID 是 <code>{user_id}</code>，"
        "请把它发给机器人的管理员申请开通。",
    },
    "access.denied_button": {"en": "⛔ You have no access to this bot.", "zh": "⛔ 你没有使用此机器人的权限。"},
    # ------------------------------------------------------------ conversation
    "new.done": {
        "en": "🆕 New conversation started. Model: {model}.",
        "zh": "🆕 已开始新的对话。模型：{model}。",
    },
    "stop.done": {"en": "⏹ Stopped.", "zh": "⏹ 已停止。"},
    "stop.nothing": {"en": "Nothing is being written right now.", "zh": "当前没有正在生成的回答。"},
    "stop.button": {"en": "⏹ Stop", "zh": "⏹ 停止"},
    "retry.nothing": {"en": "There is nothing to answer again yet.", "zh": "还没有可以重新生成的消息。"},
    "retry.button": {"en": "🔄 Answer again", "zh": "🔄 重新回答"},
    "retry.started": {"en": "🔄 Answering again…", "zh": "🔄 正在重新回答…"},
    "retry.too_old": {
        "en": "This button belongs to an older answer. Send /retry to answer the last message again.",
        "zh": "这个按钮属于较早的回答。发送 /retry 可重新回答最后一条消息。",
    },
    "recovery.interrupted": {
        "en": "⚠️ This answer was cut off by a restart of the bot. Tap 🔄 to get a complete one.",
        "zh": "⚠️ 机器人重启，这条回答被中断了。点击 🔄 重新获取完整回答。",
    },
    "recovery.failed": {
        "en": "⚠️ The answer to your message could not be finished (the bot restarted). Tap 🔄 to try again.",
        "zh": "⚠️ 由于机器人重启，未能完成对你消息的回答。点击 🔄 重试。",
    },
    "command.unknown": {
        "en": "I don't know the command {command}. Send /help to see what I can do.",
        "zh": "我不认识命令 {command}。发送 /help 查看我能做什么。",
    },
    "stopped.suffix": {"en": "⏹ (stopped)", "zh": "⏹（已停止）"},
    "interrupted.suffix": {
        "en": "⚠️ (interrupted by a restart of the bot — send /retry for the whole answer)",
        "zh": "⚠️（机器人重启，回答被中断——发送 /retry 获取完整回答）",
    },
    "empty.text": {"en": "Send me some text to answer.", "zh": "请发送要我回答的文字。"},
    # ------------------------------------------------------------ model / system
    "model.current": {
        "en": "Current model: <b>{model}</b>\nChoose another one:",
        "zh": "当前模型：<b>{model}</b>\n选择其他模型：",
    },
    "model.set": {"en": "✅ Model set to {model}.", "zh": "✅ 模型已切换为 {model}。"},
    "model.unknown": {
        "en": "❓ The gateway has no model called “{model}”. Send /model to pick one from the list.",
        "zh": "❓ 网关中没有名为“{model}”的模型。发送 /model 从列表中选择。",
    },
    "model.stale": {
        "en": "This list is out of date — send /model again.",
        "zh": "这个列表已过期，请重新发送 /model。",
    },
    "model.list_failed": {
        "en": "Could not load the model list: {reason}\nYou can still set one with /model &lt;name&gt;.",
        "zh": "无法获取模型列表：{reason}\n你仍可以用 /model &lt;名称&gt; 直接设置。",
    },
    "model.prev": {"en": "◀ Prev", "zh": "◀ 上一页"},
    "model.next": {"en": "Next ▶", "zh": "下一页 ▶"},
    "system.current": {
        "en": "Current system prompt:\n<blockquote>{prompt}</blockquote>\nChange it with /system &lt;text&gt;, "
        "remove it with /system clear.",
        "zh": "当前系统提示词：\n<blockquote>{prompt}</blockquote>\n用 /system &lt;内容&gt; 修改，/system clear 清除。",
    },
    "system.none": {
        "en": "No system prompt is set. Set one with /system &lt;text&gt;.",
        "zh": "尚未设置系统提示词。用 /system &lt;内容&gt; 设置。",
    },
    "system.set": {
        "en": "✅ System prompt saved. It applies from the next message.",
        "zh": "✅ 系统提示词已保存，下一条消息起生效。",
    },
    "system.cleared": {"en": "🧹 System prompt removed.", "zh": "🧹 系统提示词已清除。"},
    "system.too_long": {
        "en": "The system prompt is too long ({length} characters, at most {limit}).",
        "zh": "系统提示词过长（{length} 个字符，最多 {limit}）。",
    },
    "cmd.usage": {"en": "Your token usage", "zh": "我的用量"},
    "usage.title": {"en": "📊 <b>Your usage</b>", "zh": "📊 <b>我的用量</b>"},
    "usage.today": {"en": "Today", "zh": "今天"},
    "usage.month": {"en": "Last 30 days", "zh": "最近 30 天"},
    "usage.line": {
        "en": "• <code>{model}</code>: {requests} requests, {prompt} + {completion} tokens",
        "zh": "• <code>{model}</code>：{requests} 次请求，{prompt} + {completion} tokens",
    },
    "usage.none": {"en": "No usage yet.", "zh": "暂无用量。"},
    "stats.title": {"en": "📈 <b>Usage of all users, last 30 days</b>", "zh": "📈 <b>所有用户最近 30 天的用量</b>"},
    "stats.line": {
        "en": "• <code>{user_id}</code>: {requests} requests, {prompt} + {completion} tokens",
        "zh": "• <code>{user_id}</code>：{requests} 次请求，{prompt} + {completion} tokens",
    },
    "admin.only": {"en": "This command is for the bot's admins.", "zh": "此命令仅限管理员使用。"},
    "thinking.label": {"en": "💭 Thinking…", "zh": "💭 思考中…"},
    "tool.generate_image": {"en": "🎨 Drawing…", "zh": "🎨 正在画图…"},
    "tool.current_time": {"en": "🕒 Checking the time…", "zh": "🕒 正在查看时间…"},
    "tool.web_search": {"en": "🔎 Searched the web: {detail}", "zh": "🔎 已联网搜索：{detail}"},
    "tool.mcp_call": {"en": "🔌 {detail}", "zh": "🔌 {detail}"},
    "tool.mcp_result": {"en": "↳ {detail}", "zh": "↳ {detail}"},
    "tool.other": {"en": "🔧 {name}", "zh": "🔧 {name}"},
    "sources.label": {"en": "🔗 Sources:", "zh": "🔗 来源："},
    "button.unknown": {"en": "This button is no longer valid.", "zh": "此按钮已失效。"},
    # ------------------------------------------------------------ gateway errors
    "error.invalid_key": {
        "en": "🔑 The wenwen API key was refused (invalid, expired or used up). The bot's owner must check it.",
        "zh": "🔑 wenwen API 密钥被拒绝（无效、过期或额度用尽），请联系机器人管理员检查。",
    },
    "error.quota": {
        "en": "💳 The wenwen account has run out of quota. Ask the bot's owner to top it up, then try again.",
        "zh": "💳 wenwen 账户额度不足。请联系机器人管理员充值后再试。",
    },
    "error.forbidden": {
        "en": "🚫 The gateway refused this request (access not allowed). Try another model with /model.",
        "zh": "🚫 网关拒绝了此请求（无访问权限）。请用 /model 换一个模型试试。",
    },
    "error.rate_limited": {
        "en": "🐢 The gateway is busy right now (rate limit). Wait a minute, then send /retry.",
        "zh": "🐢 网关当前繁忙（触发限流）。请稍等一分钟后发送 /retry 重试。",
    },
    "error.model_unavailable": {
        "en": "🧩 The model {model} is not available at the moment. Pick another one with /model.",
        "zh": "🧩 模型 {model} 当前不可用。请用 /model 选择其他模型。",
    },
    "error.bad_request": {
        "en": "⚠️ The gateway rejected the request: {detail}\nTry /new to start over or another model with /model.",
        "zh": "⚠️ 网关拒绝了请求：{detail}\n可以发送 /new 重新开始，或用 /model 换个模型。",
    },
    "error.too_large": {
        "en": "📦 The request is too large for the gateway. Send /new to start a shorter conversation.",
        "zh": "📦 请求内容过大。请发送 /new 开始新的对话。",
    },
    "error.upstream": {
        "en": "🌩 The model's provider failed to answer. Try again in a moment with /retry.",
        "zh": "🌩 模型服务暂时无法回答。请稍后发送 /retry 重试。",
    },
    "error.network": {
        "en": "📡 I cannot reach the wenwen gateway right now. Try again in a moment with /retry.",
        "zh": "📡 暂时无法连接 wenwen 网关。请稍后发送 /retry 重试。",
    },
    "error.truncated": {
        "en": "✂️ The answer was cut off by the gateway. Send /retry to get it again.",
        "zh": "✂️ 回答被网关中断了。发送 /retry 重新获取。",
    },
    "error.empty_answer": {
        "en": "🫥 {model} returned an empty answer. Send /retry, or pick another model with /model.",
        "zh": "🫥 {model} 返回了空回答。请发送 /retry 重试，或用 /model 换一个模型。",
    },
    "error.vision_refused": {
        "en": "👁 {model} cannot take the images in this chat, so I will not send them to it again. "
        "Pick a model that sees images with /model (or the bot's owner can set VISION_MODEL), "
        "then send the photo again.",
        "zh": "👁 {model} 无法处理本对话中的图片，之后不会再发送给它。请用 /model 选择支持图片的模型"
        "（或由管理员设置 VISION_MODEL），然后重新发送图片。",
    },
    "error.transcription": {
        "en": "🎤 The recording could not be transcribed: {detail}\nSend it as a voice note or a common audio file "
        "(mp3, m4a, ogg, wav); if it keeps failing, the bot's owner should check TRANSCRIBE_MODEL.",
        "zh": "🎤 无法识别这段录音：{detail}\n请以语音消息或常见音频格式（mp3、m4a、ogg、wav）发送；"
        "如果一直失败，请管理员检查 TRANSCRIBE_MODEL。",
    },
    "model.list_key": {"en": "the gateway refused the bot's API key", "zh": "网关拒绝了机器人的 API 密钥"},
    "model.list_unreachable": {"en": "the gateway cannot be reached", "zh": "无法连接网关"},
    "error.request_id": {"en": "Request id: {request_id}", "zh": "请求 ID：{request_id}"},
    "error.internal": {
        "en": "😵 Something went wrong on my side. Please try again; if it keeps happening, tell the bot's owner.",
        "zh": "😵 我这边出了点问题。请重试；如果一直出现，请告诉机器人管理员。",
    },
}
