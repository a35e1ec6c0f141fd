"""Messages of /video (video generation through the gateway)."""

VIDEO_MESSAGES: dict[str, dict[str, str]] = {
    "cmd.video": {"en": "Make a video", "zh": "生成视频"},
    "video.usage": {
        "en": "🎬 /video your prompt makes a video with {model}.\n"
        "Options: --model NAME, --seconds N, --portrait, --landscape, --size WxH.\n"
        "Send a photo with the caption /video your prompt to animate it; two photos in an album give the first "
        "and the last frame (veo models).\n\nVideo models here: {models}",
        "zh": "🎬 /video 描述 用 {model} 生成视频。\n"
        "选项：--model 模型名、--seconds N、--portrait、--landscape、--size 宽x高。\n"
        "发送一张照片并附上说明 /video 描述 可让图片动起来；相册中的两张照片作为首帧和尾帧（veo 模型）。\n\n"
        "可用的视频模型：{models}",
    },
    "video.no_models": {
        "en": "(the gateway lists none; ask the bot's owner which video models the key may use)",
        "zh": "（网关没有列出视频模型；请向机器人管理员确认此密钥可用的视频模型）",
    },
    "video.models_unavailable": {
        "en": "(the model list could not be fetched just now; try /video again in a minute)",
        "zh": "（暂时无法获取模型列表；请一分钟后再发送 /video）",
    },
    "video.queued": {
        "en": "🎬 {prompt}\n⏳ Queued at the gateway…",
        "zh": "🎬 {prompt}\n⏳ 已在网关排队…",
    },
    "video.progress": {"en": "🎬 {prompt}\n{bar} {percent}", "zh": "🎬 {prompt}\n{bar} {percent}"},
    "video.again": {"en": "🔁 Again", "zh": "🔁 再来一次"},
    "video.again_started": {"en": "🔁 Making it again…", "zh": "🔁 正在重新生成…"},
    "video.not_yours": {
        "en": "Only the person who asked for this video can make it again. Send your own /video your prompt.",
        "zh": "只有发起这个视频的人才能重新生成。请发送你自己的 /video 描述。",
    },
    "video.unknown": {
        "en": "This video is no longer known. Send /video your prompt to make a new one.",
        "zh": "找不到这个视频了。请发送 /video 描述 重新生成。",
    },
    "video.failed": {
        "en": "❌ The video failed: {reason}\nChange the prompt or the options and send /video again.",
        "zh": "❌ 视频生成失败：{reason}\n请修改描述或选项后再次发送 /video。",
    },
    "video.refused": {
        "en": "❌ The gateway refused the video: {reason}\nCheck the prompt and options (/video shows them).",
        "zh": "❌ 网关拒绝了这个视频：{reason}\n请检查描述和选项（发送 /video 查看）。",
    },
    "video.model_unavailable": {
        "en": "🧩 The video model {model} is not available. Send /video to see the models you can use.",
        "zh": "🧩 视频模型 {model} 当前不可用。发送 /video 查看可用的模型。",
    },
    "video.timeout": {
        "en": "⌛ The video was not ready after {minutes} min and was given up. Try again with /video.",
        "zh": "⌛ 视频在 {minutes} 分钟内没有完成，已放弃。请再次发送 /video。",
    },
    "video.fate_unknown": {
        "en": "⚠️ A restart cut off sending your video request, so it may or may not have started. "
        "It was not counted against your daily limit; send /video again if nothing arrives.",
        "zh": "⚠️ 重启打断了视频请求的提交，它可能已开始也可能没有。"
        "此次不计入每日额度；如果没有收到视频，请再次发送 /video。",
    },
    "video.undeliverable": {
        "en": "⚠️ The video was made but could not be delivered: {reason}\nSend /video again to make a new one.",
        "zh": "⚠️ 视频已生成但无法发送：{reason}\n请再次发送 /video 重新生成。",
    },
    "video.first_last_unsupported": {
        "en": "🎞 {model} cannot take a first and a last frame. Add --model with a veo model (see /video), "
        "or send a single photo.",
        "zh": "🎞 {model} 不支持首尾帧。请用 --model 指定 veo 模型（发送 /video 查看），或只发送一张照片。",
    },
    "video.album_size": {
        "en": "🎞 Send one photo (image to video) or two photos in one album (first and last frame) "
        "with the caption /video your prompt.",
        "zh": "🎞 请发送一张照片（图生视频）或在一个相册中发送两张照片（首尾帧），并附上说明 /video 描述。",
    },
    "video.photo_too_big": {
        "en": "📦 That photo is too big for the bot to fetch (20 MB). Send a smaller one with /video your prompt.",
        "zh": "📦 照片太大，机器人无法下载（上限 20 MB）。请发送更小的图片并附上 /video 描述。",
    },
    "video.bad_option": {
        "en": "Unknown option {value}. Options: --model NAME, --seconds N, --portrait, --landscape, --size WxH.",
        "zh": "未知选项 {value}。可用选项：--model 模型名、--seconds N、--portrait、--landscape、--size 宽x高。",
    },
    "video.bad_model": {
        "en": "--model needs a model name, e.g. --model sora-2. Send /video to see the models.",
        "zh": "--model 后面需要模型名称，例如 --model sora-2。发送 /video 查看可用模型。",
    },
    "video.bad_seconds": {
        "en": "--seconds needs a whole number from 1 to 60, e.g. --seconds 8.",
        "zh": "--seconds 需要 1 到 60 之间的整数，例如 --seconds 8。",
    },
    "video.bad_size": {
        "en": "--size needs WIDTHxHEIGHT, e.g. --size 1280x720 (or use --portrait / --landscape).",
        "zh": "--size 需要 宽x高 格式，例如 --size 1280x720（或使用 --portrait / --landscape）。",
    },
    "video.no_prompt": {
        "en": "Write what the video should show after the options, e.g. /video --seconds 8 a fox running in snow.",
        "zh": "请在选项后写出视频内容，例如 /video --seconds 8 雪地里奔跑的狐狸。",
    },
}
