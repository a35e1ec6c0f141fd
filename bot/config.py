"""Settings from the environment and an optional `.env` (fixed interface: docs/architecture.md, "Configuration")."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from .core.access import AccessList
from .wenwen.types import McpServer

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def _check_url(value: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} is not an http(s) URL with a host name")
    return value.strip().rstrip("/")


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_secure_url(value: str) -> str:
    """http:// only to this machine: the key or token in every request would travel in clear text."""
    checked = _check_url(value)
    parts = urlsplit(checked)
    if parts.scheme == "http" and not _is_loopback(parts.hostname or ""):
        raise ValueError("must use https:// (http:// is only for this machine: secrets would go unencrypted)")
    return checked


class McpServerSetting(BaseModel):
    """One MCP_SERVERS entry; the token is a secret."""

    name: str = Field(min_length=1)
    url: str
    authorization_token: SecretStr | None = None

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _check_secure_url(value)

    def server(self) -> McpServer:
        token = self.authorization_token.get_secret_value() if self.authorization_token else None
        return McpServer(self.name, self.url, token)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True)

    # --- fixed interface (docs/architecture.md, "Configuration") ---
    telegram_bot_token: SecretStr
    wenwen_api_key: SecretStr
    wenwen_base_url: str = "https://api.wenwen-ai.com"
    telegram_api_url: str = "https://api.telegram.org"
    database_path: Path = Path("data/wenwen-bot.sqlite3")
    # postgresql://user:password@host/db selects PostgreSQL instead of SQLite at DATABASE_PATH (a secret: it
    # holds the password; never logged)
    database_url: SecretStr | None = None
    allowed_user_ids: Annotated[AccessList, NoDecode] = Field(default_factory=AccessList)
    admin_user_ids: Annotated[AccessList, NoDecode] = Field(default_factory=AccessList)
    default_model: str = "gpt-4o-mini"
    mj_poll_interval: float = Field(default=3.0, gt=0)
    mj_task_timeout: float = Field(default=600.0, gt=0)
    mj_progress_interval: float = Field(default=5.0, ge=0)

    # --- webhook mode (long polling when WEBHOOK_URL is empty) ---
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = Field(default=8080, ge=1, le=65535)

    # --- several processes on one DATABASE_URL (webhook mode; README "Several processes") ---
    replicas: int = Field(default=1, ge=1, le=30)  # processes sharing Telegram's 30/s and 20/min budgets
    lease_seconds: float = Field(default=10.0, ge=1, le=120)  # a dead process's leases expire this soon

    # --- wenwen client ---
    wenwen_connect_timeout: float = Field(default=5.0, gt=0)
    wenwen_read_timeout: float = Field(default=120.0, gt=0)
    wenwen_retries: int = Field(default=2, ge=0, le=5)

    # --- conversation ---
    max_context_tokens: int = Field(default=16000, ge=500)
    max_answer_tokens: int | None = Field(default=None, ge=16)
    title_model: str | None = None  # conversation titles; unset: DEFAULT_MODEL, "off": the first message's words
    embedding_model: str | None = None  # /find by meaning too (messages embedded in the background); unset: off

    # --- photos, voice, images ---
    vision_model: str = "gpt-4o-mini"
    image_history_turns: int = Field(default=3, ge=0, le=50)
    transcribe_model: str = "whisper-1"
    tts_model: str = "tts-1"
    tts_voice: str = "alloy"
    image_model: str = "dall-e-3"
    image_edit_model: str = "gpt-image-1"
    video_model: str = "sora-2"  # /video without --model
    video_poll_interval: float = Field(default=5.0, gt=0)
    video_task_timeout: float = Field(default=1800.0, gt=0)
    document_max_tokens: int = Field(default=30000, ge=256)  # text read from one document (estimated tokens)

    # --- chat formats, tools ---
    model_formats: str = "claude-*=messages"
    mcp_servers: Annotated[list[McpServerSetting], NoDecode] = Field(default_factory=list)

    # --- rendering ---
    stream_interval_private: float = Field(default=1.0, ge=0.05)
    stream_interval_group: float = Field(default=3.0, ge=0.5)
    show_usage_footer: bool = False

    # --- the owner's controls (unset = unlimited) ---
    daily_request_limit: int | None = Field(default=None, ge=1)
    daily_token_limit: int | None = Field(default=None, ge=1)
    daily_image_limit: int | None = Field(default=None, ge=1)
    low_balance_usd: float | None = Field(default=None, ge=0)

    # --- running it for months ---
    health_port: int | None = Field(default=None, ge=1, le=65535)
    health_listen: str = "127.0.0.1"
    log_format: str = "text"
    shutdown_grace: float = Field(default=8.0, ge=0, le=300)
    history_retention_days: int | None = Field(default=None, ge=1)

    log_level: str = "INFO"

    @field_validator("wenwen_base_url", "telegram_api_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _check_secure_url(value)

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        url = value.get_secret_value().strip()
        if not url.startswith(("postgresql://", "postgres://")):
            raise ValueError("must be a postgresql://user:password@host/database URL")  # the value is not shown
        return SecretStr(url)

    def database_target(self) -> Path | str:
        """What storage opens: the PostgreSQL URL when DATABASE_URL is set, else the SQLite file."""
        return self.database_url.get_secret_value() if self.database_url else self.database_path

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        checked = _check_url(value)
        if not checked.startswith("https://"):
            raise ValueError("Telegram only delivers webhooks to https:// URLs")
        return checked

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
        return level

    @field_validator("log_format")
    @classmethod
    def _log_format(cls, value: str) -> str:
        fmt = value.strip().lower()
        if fmt not in ("text", "json"):
            raise ValueError("must be text or json")
        return fmt

    @field_validator("mcp_servers", mode="before")
    @classmethod
    def _mcp(cls, value: Any) -> list[Any]:
        """`name=https://…,other=https://…` or a JSON list of {"name","url"[, "authorization_token"]}."""
        if isinstance(value, list):
            return value
        if not value or not str(value).strip():
            return []
        if str(value).strip().startswith("["):
            try:
                items = json.loads(str(value))
            except ValueError:
                raise ValueError("is not valid JSON (expected a list of {name, url})") from None
            if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
                raise ValueError("each MCP server needs a name and a url")
            return items
        pairs = [part.partition("=") for part in str(value).split(",")]
        return [{"name": name.strip(), "url": url.strip()} for name, _, url in pairs]

    @field_validator("allowed_user_ids", mode="before")
    @classmethod
    def _allowed(cls, value: Any) -> AccessList:
        return AccessList.parse(value, allow_everyone=True)

    @field_validator("admin_user_ids", mode="before")
    @classmethod
    def _admins(cls, value: Any) -> AccessList:
        return AccessList.parse(value, allow_everyone=False)

    @field_validator("telegram_bot_token")
    @classmethod
    def _token(cls, value: SecretStr) -> SecretStr:
        bot_id, _, secret = value.get_secret_value().strip().partition(":")
        if not bot_id.isdigit() or not secret:
            raise ValueError("does not look like a BotFather token (<digits>:<secret>)")
        return SecretStr(value.get_secret_value().strip())

    @field_validator("wenwen_api_key")
    @classmethod
    def _key(cls, value: SecretStr) -> SecretStr:
        key = value.get_secret_value().strip()
        if not key:
            raise ValueError("is empty")
        return SecretStr(key)

    @field_validator("default_model")
    @classmethod
    def _model(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("is empty")
        return value.strip()


def describe_error(error: ValidationError) -> str:
    """One line naming the variable and what is wrong — never the value (it may be a secret)."""
    first = error.errors(include_input=False, include_url=False)[0]
    name = str(first["loc"][0]).upper() if first["loc"] else "settings"
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "missing":
        message = "is required but not set"
    more = len(error.errors()) - 1
    suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return f"configuration error: {name} {message}{suffix}"
