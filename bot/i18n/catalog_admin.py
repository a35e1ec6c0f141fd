"""The owner's controls — daily limits, /allow, /deny, /users, /limit — in English and Chinese."""

ADMIN_MESSAGES: dict[str, dict[str, str]] = {
    "limit.requests": {
        "en": "⏳ You have used your {allowed} requests for today ({used} used). "
        "The limit resets at {reset} (in {hours} h {minutes} min).",
        "zh": "⏳ 你今天的 {allowed} 次请求额度已用完（已用 {used}）。"
        "额度将于 {reset} 重置（还有 {hours} 小时 {minutes} 分钟）。",
    },
    "limit.tokens": {
        "en": "⏳ You have used your {allowed} tokens for today ({used} used). "
        "The limit resets at {reset} (in {hours} h {minutes} min).",
        "zh": "⏳ 你今天的 {allowed} tokens 额度已用完（已用 {used}）。"
        "额度将于 {reset} 重置（还有 {hours} 小时 {minutes} 分钟）。",
    },
    "limit.images": {
        "en": "⏳ You have made your {allowed} images for today ({used} made). "
        "The limit resets at {reset} (in {hours} h {minutes} min).",
        "zh": "⏳ 你今天的 {allowed} 张图片额度已用完（已生成 {used} 张）。"
        "额度将于 {reset} 重置（还有 {hours} 小时 {minutes} 分钟）。",
    },
    "admin.allow_usage": {
        "en": "Send /allow &lt;user id&gt; (a negative id allows a whole group), "
        "or reply /allow to the user's message.",
        "zh": "发送 /allow &lt;用户 ID&gt;（负数 ID 表示允许整个群组），或回复该用户的消息并发送 /allow。",
    },
    "admin.deny_usage": {
        "en": "Send /deny &lt;user id&gt;, or reply /deny to the user's message. /allow lifts it.",
        "zh": "发送 /deny &lt;用户 ID&gt;，或回复该用户的消息并发送 /deny。使用 /allow 可解除。",
    },
    "admin.allowed": {"en": "✅ User {subject} can use the bot now.", "zh": "✅ 用户 {subject} 现在可以使用机器人了。"},
    "admin.allowed_group": {
        "en": "✅ Everyone in the group {subject} can use the bot there now.",
        "zh": "✅ 群组 {subject} 中的所有成员现在都可以在该群使用机器人了。",
    },
    "admin.denied": {
        "en": "⛔ User {subject} is blocked. /allow {subject} lifts it.",
        "zh": "⛔ 已屏蔽用户 {subject}。发送 /allow {subject} 可解除。",
    },
    "admin.cannot_deny_admin": {
        "en": "{subject} is an admin (ADMIN_USER_IDS) and cannot be blocked.",
        "zh": "{subject} 是管理员（ADMIN_USER_IDS），无法屏蔽。",
    },
    "admin.limit_usage": {
        "en": "Send /limit &lt;user id&gt; requests|tokens|images &lt;number&gt;|off|default, "
        "or /limit &lt;user id&gt; to see them. Replying to the user's message works without the id.",
        "zh": "发送 /limit &lt;用户 ID&gt; requests|tokens|images &lt;数量&gt;|off|default，"
        "或发送 /limit &lt;用户 ID&gt; 查看。回复该用户的消息时可省略 ID。",
    },
    "limit.title": {"en": "📏 <b>Daily limits of {subject}</b>", "zh": "📏 <b>{subject} 的每日额度</b>"},
    "limit.default": {"en": "{value} (the default)", "zh": "{value}（默认）"},
    "limit.none": {"en": "no limit", "zh": "不限"},
    "users.title": {"en": "👥 <b>Users</b>", "zh": "👥 <b>用户</b>"},
    "users.everyone": {
        "en": "Everyone may use the bot (ALLOWED_USER_IDS=*).",
        "zh": "所有人都可以使用（ALLOWED_USER_IDS=*）。",
    },
    "users.admins": {"en": "Admins (ADMIN_USER_IDS)", "zh": "管理员（ADMIN_USER_IDS）"},
    "users.from_env": {"en": "Allowed by ALLOWED_USER_IDS", "zh": "由 ALLOWED_USER_IDS 允许"},
    "users.granted": {"en": "Allowed with /allow", "zh": "通过 /allow 允许"},
    "users.denied": {"en": "Blocked with /deny", "zh": "通过 /deny 屏蔽"},
    "users.line": {"en": "<code>{subject}</code> — today: {usage}", "zh": "<code>{subject}</code> — 今天：{usage}"},
    "users.group_line": {"en": "<code>{subject}</code> (a group)", "zh": "<code>{subject}</code>（群组）"},
    "users.requests": {"en": "{count} requests", "zh": "{count} 次请求"},
    "users.tokens": {"en": "{count} tokens", "zh": "{count} tokens"},
    "users.images": {"en": "{count} images", "zh": "{count} 张图片"},
    "usage.limits": {"en": "Daily limits", "zh": "每日额度"},
    "usage.limit_requests": {"en": "{used} of {allowed} requests", "zh": "请求 {used} / {allowed} 次"},
    "usage.limit_tokens": {"en": "{used} of {allowed} tokens", "zh": "tokens {used} / {allowed}"},
    "usage.limit_images": {"en": "{used} of {allowed} images", "zh": "图片 {used} / {allowed} 张"},
    "usage.resets": {"en": "They reset at {reset}.", "zh": "额度将于 {reset} 重置。"},
    "group.admins_only": {
        "en": "Only this group's administrators can change that for everyone here.",
        "zh": "只有本群管理员可以为所有人更改此设置。",
    },
    "stop.not_yours": {
        "en": "This answer is for someone else; only they or a group administrator can stop it.",
        "zh": "这条回答属于其他人，只有对方或群管理员可以停止。",
    },
    "balance.title": {"en": "💰 <b>The wenwen key's balance</b>", "zh": "💰 <b>wenwen 密钥余额</b>"},
    "balance.unlimited": {"en": "Unlimited quota.", "zh": "额度不限。"},
    "balance.quota": {
        "en": "Quota: {available} left of {granted} ({used} used)",
        "zh": "额度：剩余 {available}，共 {granted}（已用 {used}）",
    },
    "balance.usd": {
        "en": "USD: {left} left of {limit} ({used} used)",
        "zh": "美元：剩余 {left}，共 {limit}（已用 {used}）",
    },
    "balance.expires": {"en": "Expires: {when}", "zh": "到期：{when}"},
    "balance.not_offered": {
        "en": "This gateway does not report the key's balance (no /api/usage/token or billing routes).",
        "zh": "此网关不提供密钥余额查询（没有 /api/usage/token 或账单接口）。",
    },
    "balance.low": {
        "en": "⚠️ The wenwen key's balance is low: {left} left (LOW_BALANCE_USD is {threshold}). Top it up soon.",
        "zh": "⚠️ wenwen 密钥余额不足：剩余 {left}（LOW_BALANCE_USD 为 {threshold}）。请尽快充值。",
    },
    "chart.title": {"en": "Usage, last 30 days", "zh": "最近 30 天用量"},
    "chart.requests": {"en": "requests", "zh": "请求"},
    "chart.tokens": {"en": "tokens", "zh": "tokens"},
    "chart.images": {"en": "images", "zh": "图片"},
    "chart.top_users": {"en": "top users (tokens)", "zh": "用量最多的用户（tokens）"},
    "chart.empty": {"en": "no usage yet", "zh": "暂无用量"},
}
