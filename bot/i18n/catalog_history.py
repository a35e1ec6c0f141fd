"""/history, /export and /find, in English and Chinese."""

RENAME_MARK = "📝"  # starts the rename question (a reply to a message starting with it is a new title)

HISTORY_MESSAGES: dict[str, dict[str, str]] = {
    "cmd.history": {"en": "Earlier conversations", "zh": "历史对话"},
    "cmd.export": {"en": "Export this conversation as a file", "zh": "把当前对话导出为文件"},
    "cmd.find": {"en": "Find earlier conversations by text", "zh": "按内容查找历史对话"},
    "history.title": {
        "en": "🗂 <b>Conversations</b> — page {page} of {pages}\nTap one to continue it.\n\n{items}",
        "zh": "🗂 <b>历史对话</b> — 第 {page}/{pages} 页\n点击即可继续该对话。\n\n{items}",
    },
    "history.empty": {
        "en": "🗂 No conversations yet — just write to me.",
        "zh": "🗂 还没有对话——直接给我发消息吧。",
    },
    "history.item": {
        "en": "{number}. <b>{title}</b>\n    {date} · {count} messages{mark}",
        "zh": "{number}. <b>{title}</b>\n    {date} · {count} 条消息{mark}",
    },
    "history.current": {"en": " · 📍 current", "zh": " · 📍 当前"},
    "history.untitled": {"en": "(untitled)", "zh": "（无标题）"},
    "history.prev": {"en": "◀", "zh": "◀"},
    "history.next": {"en": "▶", "zh": "▶"},
    "history.opened": {
        "en": "▶️ Continuing <b>{title}</b> ({date} · {count} messages).\nYour next message continues it.",
        "zh": "▶️ 正在继续 <b>{title}</b>（{date} · {count} 条消息）。\n你的下一条消息会接着这个对话。",
    },
    "history.opened_toast": {"en": "Continuing this conversation", "zh": "已切换到该对话"},
    "history.rename": {"en": "✏️ Rename", "zh": "✏️ 重命名"},
    "history.export": {"en": "📄 Export", "zh": "📄 导出"},
    "history.delete": {"en": "🗑 Delete", "zh": "🗑 删除"},
    "history.back": {"en": "◀ All conversations", "zh": "◀ 全部对话"},
    "history.delete_confirm": {
        "en": "Delete <b>{title}</b> and its {count} messages for good?",
        "zh": "要永久删除 <b>{title}</b> 及其 {count} 条消息吗？",
    },
    "history.delete_yes": {"en": "🗑 Yes, delete it", "zh": "🗑 确认删除"},
    "history.delete_no": {"en": "Keep it", "zh": "保留"},
    "history.deleted": {"en": "🗑 Deleted <b>{title}</b>.", "zh": "🗑 已删除 <b>{title}</b>。"},
    "history.busy": {
        "en": "An answer is being written in this conversation. Try again when it is done.",
        "zh": "该对话正在生成回答，请等回答完成后再试。",
    },
    "history.gone": {"en": "That conversation no longer exists.", "zh": "该对话已不存在。"},
    "history.rename_prompt": {
        "en": RENAME_MARK + " Reply to this message with the new name for <b>{title}</b>.",
        "zh": RENAME_MARK + " 请回复本消息，写出 <b>{title}</b> 的新名称。",
    },
    "history.rename_placeholder": {"en": "New name", "zh": "新名称"},
    "history.renamed": {"en": "✅ Renamed to <b>{title}</b>.", "zh": "✅ 已重命名为 <b>{title}</b>。"},
    "history.rename_empty": {"en": "The name was empty; nothing changed.", "zh": "名称为空，未做修改。"},
    "history.rename_expired": {
        "en": "This rename question has expired. Open /history and tap ✏️ again.",
        "zh": "这个重命名请求已过期。请打开 /history 再点一次 ✏️。",
    },
    "history.rename_not_yours": {
        "en": "Only the person who asked to rename it can answer this.",
        "zh": "只有发起重命名的人才能回复。",
    },
    "export.nothing": {"en": "There is nothing to export yet.", "zh": "还没有可以导出的内容。"},
    "export.caption": {"en": "📄 {title}", "zh": "📄 {title}"},
    "export.user": {"en": "User", "zh": "用户"},
    "export.assistant": {"en": "Assistant", "zh": "助手"},
    "export.cut": {
        "en": "The rest of the conversation was left out: the file would have been larger than {mb} MB.",
        "zh": "其余内容未导出：文件将超过 {mb} MB。",
    },
    "find.usage": {
        "en": "Send /find with the words to look for, e.g. <code>/find paris weather</code>.",
        "zh": "请在 /find 后写上要查找的词，例如 <code>/find 巴黎 天气</code>。",
    },
    "find.none": {"en": "🔎 Nothing found for “{words}”.", "zh": "🔎 没有找到“{words}”。"},
    "find.title": {
        "en": "🔎 Found for “{words}” — tap one to continue it:\n\n{items}",
        "zh": "🔎 “{words}”的查找结果——点击即可继续该对话：\n\n{items}",
    },
    "find.item": {
        "en": "{number}. <b>{title}</b> · {date}\n    {snippet}",
        "zh": "{number}. <b>{title}</b> · {date}\n    {snippet}",
    },
}
