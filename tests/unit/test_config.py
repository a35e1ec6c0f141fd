"""bot/config.py: the fixed configuration interface (docs/architecture.md, "Configuration") and its error messages."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

import bot
from bot.config import Settings, describe_error
from bot.core.access import AccessPolicy

TOKEN = "123456:AAE-secret_Token-value"
KEY = "sk-wenwen-super-secret"
FIELDS = [name.upper() for name in Settings.model_fields]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No setting leaks in from the machine, and no .env is found in the working folder."""
    for name in list(os.environ):
        if name.upper() in FIELDS:
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def policy(s: Settings) -> AccessPolicy:
    return AccessPolicy(s.allowed_user_ids, s.admin_user_ids)


def load(monkeypatch: pytest.MonkeyPatch, **env: str) -> Settings:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Settings(_env_file=None)  # type: ignore[call-arg]


def failure(monkeypatch: pytest.MonkeyPatch, **env: str) -> str:
    with pytest.raises(ValidationError) as caught:
        load(monkeypatch, **env)
    return describe_error(caught.value)


def assert_one_clean_line(line: str, variable: str, *secrets: str) -> None:
    assert "\n" not in line and "\r" not in line, line
    assert variable in line, line
    assert "Traceback" not in line
    for secret in secrets:
        assert secret not in line, line
        assert secret.split(":")[-1] not in line, line


# ---------------------------------------------------------------------------------- defaults


def test_defaults_match_the_design_table(monkeypatch: pytest.MonkeyPatch) -> None:
    s = load(monkeypatch, TELEGRAM_BOT_TOKEN=TOKEN, WENWEN_API_KEY=KEY)
    assert s.telegram_bot_token.get_secret_value() == TOKEN
    assert s.wenwen_api_key.get_secret_value() == KEY
    assert s.wenwen_base_url == "https://api.wenwen-ai.com"
    assert s.telegram_api_url == "https://api.telegram.org"
    assert s.database_path == Path("data/wenwen-bot.sqlite3")
    assert s.default_model == "gpt-4o-mini"
    assert s.mj_poll_interval == 3
    assert s.webhook_url is None  # long polling
    # ALLOWED_USER_IDS empty: nobody but admins; ADMIN_USER_IDS empty: no admins
    assert not policy(s).allows(1001)
    assert not policy(s).is_admin(1001)


def test_secrets_never_show_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    s = load(monkeypatch, TELEGRAM_BOT_TOKEN=TOKEN, WENWEN_API_KEY=KEY)
    for text in (repr(s), str(s), str(s.model_dump())):
        assert TOKEN not in text and KEY not in text


def test_every_variable_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    s = load(
        monkeypatch,
        TELEGRAM_BOT_TOKEN=TOKEN,
        WENWEN_API_KEY=KEY,
        WENWEN_BASE_URL="http://127.0.0.1:9000/",
        TELEGRAM_API_URL="http://localhost:8081",
        DATABASE_PATH=str(tmp_path / "x" / "db.sqlite3"),
        ALLOWED_USER_IDS="5",
        ADMIN_USER_IDS="6",
        DEFAULT_MODEL="deepseek-chat",
        MJ_POLL_INTERVAL="1.5",
    )
    assert s.wenwen_base_url == "http://127.0.0.1:9000"  # no trailing slash: paths are appended
    assert s.telegram_api_url == "http://localhost:8081"
    assert s.database_path == tmp_path / "x" / "db.sqlite3"
    assert s.default_model == "deepseek-chat"
    assert s.mj_poll_interval == 1.5
    assert policy(s).allows(5) and policy(s).allows(6) and not policy(s).allows(7)
    assert policy(s).is_admin(6) and not policy(s).is_admin(5)


def test_dotenv_file_is_read_and_the_environment_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        f"TELEGRAM_BOT_TOKEN={TOKEN}\nWENWEN_API_KEY={KEY}\nDEFAULT_MODEL=from-dotenv\nMJ_POLL_INTERVAL=7\n"
    )
    monkeypatch.setenv("MJ_POLL_INTERVAL", "2")
    s = Settings()  # type: ignore[call-arg]
    assert s.wenwen_api_key.get_secret_value() == KEY
    assert s.default_model == "from-dotenv"
    assert s.mj_poll_interval == 2


# ---------------------------------------------------------------------------------- access lists


@pytest.mark.parametrize(
    ("raw", "allowed", "denied"),
    [
        ("1, 2", [1, 2], [3, 0]),
        ("1,2,", [1, 2], [3]),
        (" 42 ", [42], [4, 2]),
        ("*", [1, 2, 999_999_999], []),
        ("", [], [1, 2]),
    ],
)
def test_allowed_user_ids(monkeypatch: pytest.MonkeyPatch, raw: str, allowed: list[int], denied: list[int]) -> None:
    s = load(monkeypatch, TELEGRAM_BOT_TOKEN=TOKEN, WENWEN_API_KEY=KEY, ALLOWED_USER_IDS=raw)
    for user in allowed:
        assert policy(s).allows(user), (raw, user)
    for user in denied:
        assert not policy(s).allows(user), (raw, user)
    assert not policy(s).is_admin(1)


def test_admins_are_allowed_even_with_an_empty_list(monkeypatch: pytest.MonkeyPatch) -> None:
    s = load(monkeypatch, TELEGRAM_BOT_TOKEN=TOKEN, WENWEN_API_KEY=KEY, ALLOWED_USER_IDS="", ADMIN_USER_IDS="9001")
    assert policy(s).allows(9001) and policy(s).is_admin(9001)
    assert not policy(s).allows(1001)


# ---------------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"ALLOWED_USER_IDS": "1, abc"}, "ALLOWED_USER_IDS"),
        ({"ALLOWED_USER_IDS": "@alice"}, "ALLOWED_USER_IDS"),
        ({"ADMIN_USER_IDS": "*"}, "ADMIN_USER_IDS"),
        ({"ADMIN_USER_IDS": "12;x"}, "ADMIN_USER_IDS"),
        ({"WENWEN_BASE_URL": "api.wenwen-ai.com"}, "WENWEN_BASE_URL"),
        ({"WENWEN_BASE_URL": "ftp://api.wenwen-ai.com"}, "WENWEN_BASE_URL"),
        ({"TELEGRAM_API_URL": "http://"}, "TELEGRAM_API_URL"),
        ({"MJ_POLL_INTERVAL": "0"}, "MJ_POLL_INTERVAL"),
        ({"MJ_POLL_INTERVAL": "often"}, "MJ_POLL_INTERVAL"),
        ({"DEFAULT_MODEL": "  "}, "DEFAULT_MODEL"),
        ({"WENWEN_API_KEY": "   "}, "WENWEN_API_KEY"),
        ({"TELEGRAM_BOT_TOKEN": "not-a-token-secret"}, "TELEGRAM_BOT_TOKEN"),
        ({"TELEGRAM_BOT_TOKEN": "123456:"}, "TELEGRAM_BOT_TOKEN"),
    ],
)
def test_invalid_value_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], variable: str
) -> None:
    values = {"TELEGRAM_BOT_TOKEN": TOKEN, "WENWEN_API_KEY": KEY} | env
    line = failure(monkeypatch, **values)
    assert line.startswith("configuration error: ")
    assert_one_clean_line(line, variable, TOKEN, KEY, *(v for v in env.values() if "secret" in v))
    assert "(and" not in line, "only one thing is wrong"


@pytest.mark.parametrize("missing", ["TELEGRAM_BOT_TOKEN", "WENWEN_API_KEY"])
def test_missing_required_variable(monkeypatch: pytest.MonkeyPatch, missing: str) -> None:
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "WENWEN_API_KEY": KEY}
    del env[missing]
    line = failure(monkeypatch, **env)
    assert_one_clean_line(line, missing, TOKEN, KEY)
    assert "required" in line


def test_several_problems_name_the_first_and_count_the_rest(monkeypatch: pytest.MonkeyPatch) -> None:
    line = failure(monkeypatch, ALLOWED_USER_IDS="x", WENWEN_BASE_URL="nope")
    assert_one_clean_line(line, "TELEGRAM_BOT_TOKEN")
    assert "(and 3 more problems)" in line


def test_a_secret_in_a_bad_token_never_appears(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
    line = failure(monkeypatch, TELEGRAM_BOT_TOKEN=f"bot{secret}", WENWEN_API_KEY=KEY)
    assert_one_clean_line(line, "TELEGRAM_BOT_TOKEN", secret, KEY)


# ---------------------------------------------------------------------------------- the program


def run_program(tmp_path: Path, *command: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", str(tmp_path))} | extra_env
    # the code under test, also when the package is not installed (PYTHONPATH is no setting of the bot)
    env["PYTHONPATH"] = str(Path(bot.__file__).resolve().parent.parent)
    return subprocess.run(list(command), cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False)


def test_python_m_bot_without_settings_exits_2_with_one_line(tmp_path: Path) -> None:
    result = run_program(tmp_path, sys.executable, "-m", "bot")
    assert result.returncode == 2, result
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "TELEGRAM_BOT_TOKEN" in lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / "data").exists(), "nothing is created before the settings are valid"


def test_python_m_bot_with_a_bad_token_does_not_print_it(tmp_path: Path) -> None:
    bad = "not-a-token-AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
    result = run_program(tmp_path, sys.executable, "-m", "bot", TELEGRAM_BOT_TOKEN=bad, WENWEN_API_KEY=KEY)
    assert result.returncode == 2, result
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "TELEGRAM_BOT_TOKEN" in lines[0]
    assert bad not in result.stderr + result.stdout
    assert KEY not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_console_script_behaves_the_same(tmp_path: Path) -> None:
    script = shutil.which("wenwen-bot") or str(Path(sys.executable).with_name("wenwen-bot"))
    if not Path(script).exists():
        pytest.skip("wenwen-bot console script is not installed")
    result = run_program(tmp_path, script)
    assert result.returncode == 2, result
    assert "TELEGRAM_BOT_TOKEN" in result.stderr
    assert "Traceback" not in result.stderr


# ---------------------------------------------------------------------------------- crowd safety


@pytest.mark.parametrize("variable", ["WENWEN_BASE_URL", "TELEGRAM_API_URL"])
@pytest.mark.parametrize("url", ["http://api.example.com", "http://10.0.0.5:3000", "http://gateway.internal"])
def test_plain_http_to_another_machine_is_refused(monkeypatch: pytest.MonkeyPatch, variable: str, url: str) -> None:
    line = failure(monkeypatch, TELEGRAM_BOT_TOKEN=TOKEN, WENWEN_API_KEY=KEY, **{variable: url})
    assert_one_clean_line(line, variable, TOKEN, KEY)
    assert "https://" in line


@pytest.mark.parametrize("url", ["http://127.0.0.1:3000", "http://localhost:8081", "http://[::1]:9000", "https://x.org"])
def test_plain_http_to_this_machine_is_allowed(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    s = load(monkeypatch, TELEGRAM_BOT_TOKEN=TOKEN, WENWEN_API_KEY=KEY, WENWEN_BASE_URL=url, TELEGRAM_API_URL=url)
    assert s.wenwen_base_url == url and s.telegram_api_url == url


def test_log_level_is_validated_like_every_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    line = failure(monkeypatch, TELEGRAM_BOT_TOKEN=TOKEN, WENWEN_API_KEY=KEY, LOG_LEVEL="LOUD")
    assert_one_clean_line(line, "LOG_LEVEL", TOKEN, KEY)
    assert load(monkeypatch, TELEGRAM_BOT_TOKEN=TOKEN, WENWEN_API_KEY=KEY, LOG_LEVEL="debug").log_level == "DEBUG"


def test_a_bad_log_level_stops_the_command_with_one_line(tmp_path: Path) -> None:
    env = {"PATH": os.environ["PATH"], "TELEGRAM_BOT_TOKEN": TOKEN, "WENWEN_API_KEY": KEY, "LOG_LEVEL": "verbose"}
    result = subprocess.run([sys.executable, "-m", "bot"], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.strip().startswith("configuration error: LOG_LEVEL")
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_mcp_tokens_are_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    servers = '[{"name": "docs", "url": "https://mcp.example.org/sse", "authorization_token": "mcp-tok-123456"}]'
    s = load(monkeypatch, TELEGRAM_BOT_TOKEN=TOKEN, WENWEN_API_KEY=KEY, MCP_SERVERS=servers)
    for text in (repr(s), str(s), str(s.model_dump()), repr(s.mcp_servers[0].server())):
        assert "mcp-tok-123456" not in text
    assert s.mcp_servers[0].server().to_wire()["authorization_token"] == "mcp-tok-123456"


def test_mcp_servers_must_use_https(monkeypatch: pytest.MonkeyPatch) -> None:
    line = failure(monkeypatch, TELEGRAM_BOT_TOKEN=TOKEN, WENWEN_API_KEY=KEY, MCP_SERVERS="docs=http://mcp.example")
    assert_one_clean_line(line, "MCP_SERVERS", TOKEN, KEY)


def test_the_log_filter_knows_every_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.__main__ import secret_values, webhook_secret

    servers = '[{"name": "d", "url": "https://mcp.example.org", "authorization_token": "mcp-tok-abcdef"}]'
    s = load(
        monkeypatch,
        TELEGRAM_BOT_TOKEN=TOKEN,
        WENWEN_API_KEY=KEY,
        MCP_SERVERS=servers,
        WEBHOOK_URL="https://bot.example.org/hook",
    )
    assert {TOKEN, KEY, "mcp-tok-abcdef", webhook_secret(s)} <= set(secret_values(s))
    assert webhook_secret(s) not in repr(s)
