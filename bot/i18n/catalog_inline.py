"""Inline mode (`@bot question` in any chat), in English and Chinese. Plain text: no HTML in these."""

INLINE_MESSAGES: dict[str, dict[str, str]] = {
    "inline.title": {"en": "Ask {model}: {question}", "zh": "问 {model}：{question}"},
    "inline.description": {
        "en": "Tap to send: the answer is written into the message.",
        "zh": "点击发送：回答会写进这条消息。",
    },
    "inline.pending": {
        "en": "❓ {question}\n\n⏳ {model} is answering…",
        "zh": "❓ {question}\n\n⏳ {model} 正在回答…",
    },
    "inline.hint_button": {"en": "💬 Type a question to ask the model", "zh": "💬 输入问题即可向模型提问"},
    "inline.access_button": {"en": "🔒 How to get access", "zh": "🔒 如何获得使用权限"},
    "inline.cut": {
        "en": "✂️ The answer was longer than one message and is cut here; ask in a private chat with me for all of it.",
        "zh": "✂️ 回答超过了一条消息的长度，到此截断；完整回答请在与我的私聊中提问。",
    },
    "inline.busy": {
        "en": "⏳ Your other inline answers are still being written. Try again when they are done.",
        "zh": "⏳ 你的其他行内回答仍在生成中，请稍后再试。",
    },
}
