"""Photos, voice and image messages, in English and Chinese."""

MEDIA_MESSAGES: dict[str, dict[str, str]] = {
    "cmd.image": {
        "en": "Draw an image (e.g. /image a cat --wide --hd)",
        "zh": "生成图片（如 /image 一只猫 --wide --hd）",
    },
    "cmd.tts": {"en": "Read a text aloud", "zh": "朗读一段文字"},
    "cmd.voice": {"en": "Spoken replies on or off", "zh": "开启或关闭语音回复"},
    "vision.default_prompt": {"en": "Describe this image.", "zh": "请描述这张图片。"},
    "vision.switched": {
        "en": "👁 {chat_model} cannot see images, so {model} answers messages with pictures.",
        "zh": "👁 {chat_model} 无法识别图片，带图片的消息将由 {model} 回答。",
    },
    "vision.unreadable": {
        "en": "🖼 {count} of the images in this chat could not be read as pictures (an unsupported format such as "
        "HEIC, or a broken file), so I answer without them. Send them as JPEG or PNG photos to include them.",
        "zh": "🖼 本对话中有 {count} 张图片无法读取（HEIC 等不支持的格式或文件损坏），本次回答未包含它们。"
        "请以 JPEG 或 PNG 图片重新发送。",
    },
    "image.unreadable": {
        "en": "🖼 I cannot read this file as a picture (an unsupported format such as HEIC, or a broken file). "
        "Send it as a JPEG or PNG photo.",
        "zh": "🖼 无法将这个文件识别为图片（HEIC 等不支持的格式或文件损坏）。请以 JPEG 或 PNG 图片发送。",
    },
    "file.too_big": {
        "en": "📦 This file is larger than 20 MB, the most Telegram lets bots download. Send a smaller one.",
        "zh": "📦 文件超过 20 MB，Telegram 不允许机器人下载这么大的文件。请发送小一些的文件。",
    },
    "file.unsupported": {
        "en": "📎 I can read photos and images, voice notes and audio, PDF, Word (.docx) and text files, and text "
        "— not this kind of file.",
        "zh": "📎 我可以处理图片、语音和音频、PDF、Word（.docx）和文本文件以及文字，暂不支持这种文件。",
    },
    "document.default_prompt": {"en": "Summarise this file.", "zh": "请总结这个文件。"},
    "document.cut": {
        "en": "✂️ <b>{name}</b> is longer than I can read at once, so I read the beginning (about {kept}%); "
        "about {left}% was left out.",
        "zh": "✂️ <b>{name}</b> 太长，无法一次读完：我只读了开头部分（约 {kept}%），约 {left}% 未读取。",
    },
    "document.cut_pages": {
        "en": "✂️ <b>{name}</b> is longer than I can read at once, so I read the beginning, up to page {kept} "
        "of {total}; the remaining {left} pages were left out.",
        "zh": "✂️ <b>{name}</b> 太长，无法一次读完：我只读到第 {kept} 页（共 {total} 页），其余 {left} 页未读取。",
    },
    "document.scanned": {
        "en": "📄 This PDF has no text I can read — it looks like scanned pages (pictures of text). "
        "Send the pages as photos, or a PDF with a text layer.",
        "zh": "📄 这个 PDF 里没有可读取的文字，看起来是扫描的页面（文字的图片）。"
        "请把页面作为图片发送，或发送带文字层的 PDF。",
    },
    "document.encrypted": {
        "en": "🔒 This PDF is password-protected, so I cannot read it. Send a copy without the password.",
        "zh": "🔒 这个 PDF 受密码保护，无法读取。请发送去掉密码的副本。",
    },
    "document.empty": {
        "en": "📄 <b>{name}</b> has no text in it.",
        "zh": "📄 <b>{name}</b> 里没有文字。",
    },
    "document.unreadable": {
        "en": "📄 I could not read the text of <b>{name}</b>: the file is damaged, or too large or too complex to "
        "unpack.",
        "zh": "📄 无法读取 <b>{name}</b> 的文字：文件已损坏，或过大、过于复杂而无法解压。",
    },
    "voice.too_big": {
        "en": "📦 This recording is larger than 25 MB, the most the transcription service accepts. Send a shorter one.",
        "zh": "📦 这段录音超过 25 MB，超出了语音识别服务的上限。请发送短一些的录音。",
    },
    "voice.tts_failed": {
        "en": "🔇 I could not make the voice for this ({reason}). The text above is the whole answer; "
        "if this keeps happening, the bot's owner should check TTS_MODEL and TTS_VOICE.",
        "zh": "🔇 无法生成语音（{reason}）。上面的文字就是完整回答；"
        "如果一直如此，请机器人管理员检查 TTS_MODEL 和 TTS_VOICE。",
    },
    "voice.empty": {
        "en": "🔇 I could not hear any words in that recording.",
        "zh": "🔇 这段录音里没有识别到文字。",
    },
    "voice.transcript": {"en": "🎤 ", "zh": "🎤 "},
    "voice.on": {
        "en": "🔊 Spoken replies are on: answers also arrive as voice notes. /voice off turns them off.",
        "zh": "🔊 已开启语音回复：回答也会以语音发送。发送 /voice off 关闭。",
    },
    "voice.off": {
        "en": "🔇 Spoken replies are off. /voice on turns them on.",
        "zh": "🔇 已关闭语音回复。发送 /voice on 开启。",
    },
    "tts.usage": {
        "en": "Send /tts followed by the text to read, or reply /tts to a message.",
        "zh": "请在 /tts 后写上要朗读的文字，或用 /tts 回复一条消息。",
    },
    "image.usage": {
        "en": "Send /image followed by what to draw, e.g. /image a lighthouse at dusk --wide --hd\n"
        "Options: --wide, --tall, --square, --hd, --size WxH, --quality, --style",
        "zh": "请在 /image 后写上要画的内容，例如 /image 黄昏的灯塔 --wide --hd\n"
        "选项：--wide、--tall、--square、--hd、--size 宽x高、--quality、--style",
    },
    "edit.usage": {
        "en": "Send a photo with the caption /edit and what to change, e.g. /edit make the sky purple",
        "zh": "请发送图片并写上说明 /edit 以及要修改的内容，例如 /edit 把天空变成紫色",
    },
    "image.failed": {
        "en": "🖼 The image could not be made: {reason}",
        "zh": "🖼 图片生成失败：{reason}",
    },
}
