"""/forget, in English and Chinese."""

PRIVACY_MESSAGES: dict[str, dict[str, str]] = {
    "cmd.forget": {"en": "Delete everything stored about you", "zh": "删除保存的关于你的全部数据"},
    "forget.prompt_private": {
        "en": "🗑 <b>Forget you?</b> This deletes everything I keep about you, for good:\n"
        "• your conversations with me here (every topic) and their messages\n"
        "• your settings, your usage records and your own daily limits\n"
        "• your image and video tasks, finished or not\n"
        "• your messages in groups: they become [deleted], so each group's history still reads in order\n"
        "{access}"
        "This cannot be undone.",
        "zh": "🗑 <b>要删除关于你的全部数据吗？</b>以下内容将被永久删除：\n"
        "• 你在这里与我的全部对话（所有话题）及其消息\n"
        "• 你的设置、用量记录和个人每日限额\n"
        "• 你的图片和视频任务（无论是否完成）\n"
        "• 你在群组中的消息：会被替换为 [deleted]，群组的历史顺序保持不变\n"
        "{access}"
        "此操作无法撤销。",
    },
    "forget.prompt_access": {
        "en": "• the access an admin gave you: to use me again afterwards, you would have to ask again\n",
        "zh": "• 管理员给你的使用权限：删除后如需再次使用，需要重新申请\n",
    },
    "forget.prompt_group": {
        "en": "🗑 <b>Forget your messages here?</b> Your messages in this group's history become [deleted] "
        "(everyone else's stay as they are), and the image and video tasks you started here are deleted. "
        "This cannot be undone.\n\nTo delete everything else I keep about you, send /forget to me in a private chat.",
        "zh": "🗑 <b>要删除你在这里的消息吗？</b>你在本群历史中的消息会被替换为 [deleted]（其他人的消息不受影响），"
        "你在这里发起的图片和视频任务也会被删除。此操作无法撤销。\n\n"
        "如需删除我保存的关于你的其他全部数据，请在与我的私聊中发送 /forget。",
    },
    "forget.yes": {"en": "🗑 Yes, delete", "zh": "🗑 确认删除"},
    "forget.no": {"en": "Cancel", "zh": "取消"},
    "forget.cancelled": {"en": "Nothing was deleted.", "zh": "未删除任何内容。"},
    "forget.working": {"en": "Deleting…", "zh": "正在删除…"},
    "forget.running": {"en": "Already being deleted.", "zh": "正在删除中。"},
    "forget.not_yours": {
        "en": "Only the person who sent /forget can answer this.",
        "zh": "只有发送 /forget 的人才能操作。",
    },
    "forget.done_private": {
        "en": "🗑 Done. Deleted for good:\n"
        "• conversations: {conversations} ({messages} messages)\n"
        "• chat settings: {settings}\n"
        "• usage records: {usage_rows}\n"
        "• own daily limits: {limits}\n"
        "• access grants: {access}\n"
        "• image and video tasks: {tasks}\n"
        "• your messages in groups, now [deleted]: {group_messages}",
        "zh": "🗑 完成，已永久删除：\n"
        "• 对话：{conversations}（{messages} 条消息）\n"
        "• 对话设置：{settings}\n"
        "• 用量记录：{usage_rows}\n"
        "• 个人每日限额：{limits}\n"
        "• 访问授权：{access}\n"
        "• 图片和视频任务：{tasks}\n"
        "• 你在群组中的消息（已替换为 [deleted]）：{group_messages}",
    },
    "forget.done_access": {
        "en": "\n\nYour access came from an admin and is gone too: to use me again, ask them.",
        "zh": "\n\n你的使用权限来自管理员，也已一并删除：如需再次使用，请联系管理员。",
    },
    "forget.done_group": {
        "en": "🗑 Done: {group_messages} of your messages in this group's history are now [deleted], "
        "and {tasks} image or video task(s) you started here were deleted.",
        "zh": "🗑 完成：你在本群历史中的 {group_messages} 条消息已替换为 [deleted]，"
        "你在这里发起的 {tasks} 个图片或视频任务已删除。",
    },
}
