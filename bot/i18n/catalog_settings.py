"""The /settings menu, in English and Chinese."""

SETTINGS_MESSAGES: dict[str, dict[str, str]] = {
    "cmd.settings": {"en": "Settings: model, format, thinking, web search…", "zh": "设置：模型、格式、思考、联网搜索…"},
    "settings.title": {
        "en": "⚙️ <b>Settings</b> for this chat\nModel: <code>{model}</code>\nTap a button to change it.",
        "zh": "⚙️ 本聊天的<b>设置</b>\n模型：<code>{model}</code>\n点击按钮即可修改。",
    },
    "settings.model": {"en": "🤖 Model", "zh": "🤖 模型"},
    "settings.format": {"en": "🔀 Format: {value}", "zh": "🔀 格式：{value}"},
    "settings.thinking": {"en": "💭 Thinking: {value}", "zh": "💭 思考：{value}"},
    "settings.web_search": {"en": "🔎 Web search: {value}", "zh": "🔎 联网搜索：{value}"},
    "settings.tools": {"en": "🔧 Tools: {value}", "zh": "🔧 工具：{value}"},
    "settings.voice": {"en": "🔊 Spoken replies: {value}", "zh": "🔊 语音回复：{value}"},
    "settings.language": {"en": "🌐 Language: {value}", "zh": "🌐 语言：{value}"},
    "value.on": {"en": "on", "zh": "开"},
    "value.off": {"en": "off", "zh": "关"},
    "value.auto": {"en": "auto", "zh": "自动"},
    "value.low": {"en": "low", "zh": "低"},
    "value.medium": {"en": "medium", "zh": "中"},
    "value.high": {"en": "high", "zh": "高"},
    "value.chat": {"en": "chat completions", "zh": "chat completions"},
    "value.responses": {"en": "responses", "zh": "responses"},
    "value.messages": {"en": "Anthropic messages", "zh": "Anthropic messages"},
    "value.en": {"en": "English", "zh": "English"},
    "value.zh": {"en": "中文", "zh": "中文"},
    "settings.saved": {"en": "Saved", "zh": "已保存"},
    "search.unavailable": {
        "en": "🔎 Web search is on, but {model} cannot search the web here. Models that can: {models}. "
        "Switch with /model.",
        "zh": "🔎 已开启联网搜索，但 {model} 在这里无法联网搜索。可以搜索的模型：{models}。请用 /model 切换。",
    },
}
