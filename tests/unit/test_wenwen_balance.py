"""bot/wenwen/balance.py over real loopback HTTP against the fake gateway's billing routes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from bot.wenwen import ErrorKind, WenwenError
from bot.wenwen.balance import BalanceClient, BalanceNotOffered, KeyBalance
from bot.wenwen.http import GatewayHttp
from tests.fakes.wenwen import FakeWenwen
from tests.fakes.wenwen.billing import BILLING_USAGE, ROUTES, SUBSCRIPTION, USAGE_TOKEN
from tests.harness import API_KEY


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
async def make_balance(ww: FakeWenwen, sleeps: list[float]) -> AsyncIterator[Callable[..., BalanceClient]]:
    made: list[GatewayHttp] = []

    async def record_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    def factory(api_key: str = API_KEY) -> BalanceClient:
        http = GatewayHttp(ww.base_url, api_key, connect_timeout=2.0, read_timeout=10.0, sleep=record_sleep)
        made.append(http)
        return BalanceClient(http)

    yield factory
    for http in made:
        await http.aclose()


@pytest.fixture
def balance(make_balance: Callable[..., BalanceClient]) -> BalanceClient:
    return make_balance()


async def test_all_routes(ww: FakeWenwen, balance: BalanceClient) -> None:
    ww.billing.set(name="bot key", granted=5_000_000, used=1_250_000, expires_at=1_900_000_000)
    result = await balance.balance()
    assert result == KeyBalance(
        name="bot key",
        granted=5_000_000,
        used=1_250_000,
        available=3_750_000,
        unlimited=False,
        expires_at=1_900_000_000,
        usd_limit=10.0,
        usd_used=2.5,
    )
    assert result.usd_available == 7.5
    assert {r.path for r in ww.requests} == set(ROUTES)  # one request each, nothing retried
    assert len(ww.requests) == 3


async def test_only_token_usage(ww: FakeWenwen, balance: BalanceClient) -> None:
    ww.billing.offer(SUBSCRIPTION, False)
    ww.billing.offer(BILLING_USAGE, False)
    ww.billing.set(granted=1_000, used=400)
    result = await balance.balance()
    assert (result.granted, result.used, result.available) == (1_000, 400, 600)
    assert result.usd_limit is None and result.usd_used is None and result.usd_available is None
    assert result.expires_at is None  # 0 = never


async def test_only_billing(ww: FakeWenwen, balance: BalanceClient) -> None:
    ww.billing.offer(USAGE_TOKEN, False)
    ww.billing.set(hard_limit_usd=20.0, usage_cents=550.0, expires_at=1_800_000_000)
    result = await balance.balance()
    assert (result.name, result.granted, result.used, result.available) == (None, None, None, None)
    assert (result.usd_limit, result.usd_used, result.usd_available) == (20.0, 5.5, 14.5)
    assert result.expires_at == 1_800_000_000 and not result.unlimited  # from access_until


async def test_only_billing_usage(ww: FakeWenwen, balance: BalanceClient) -> None:
    ww.billing.offer(USAGE_TOKEN, False)
    ww.billing.offer(SUBSCRIPTION, False)
    ww.billing.set(usage_cents=42.0)
    result = await balance.balance()
    assert result.usd_used == 0.42 and result.usd_limit is None and result.usd_available is None


@pytest.mark.parametrize("body", ['{"detail":"Not Found"}', "<html><h1>404 Not Found</h1><hr>nginx</html>"])
async def test_none_offered(ww: FakeWenwen, balance: BalanceClient, body: str) -> None:
    ww.billing.offered = False
    ww.billing.not_found_body = body
    with pytest.raises(BalanceNotOffered) as caught:
        await balance.balance()
    assert caught.value.kind is ErrorKind.NOT_FOUND and not caught.value.retryable
    assert len(ww.requests) == 3  # a 404 is not retried


async def test_html_200_from_a_web_ui_is_not_offered(ww: FakeWenwen, balance: BalanceClient) -> None:
    """A proxy or SPA catch-all that serves its index page for unknown paths."""
    page = "<!doctype html><html><body><div id=root></div></body></html>"
    for route in ROUTES:
        ww.billing.raw[route] = page
    with pytest.raises(BalanceNotOffered):
        await balance.balance()


async def test_wrong_key_is_invalid_key(ww: FakeWenwen, make_balance: Callable[..., BalanceClient]) -> None:
    with pytest.raises(WenwenError) as caught:
        await make_balance("sk-not-the-key").balance()
    assert caught.value.kind is ErrorKind.INVALID_KEY and caught.value.status == 401
    assert caught.value.message == "Invalid Bearer token"  # /api/usage/token's own answer comes first
    assert not isinstance(caught.value, BalanceNotOffered)


async def test_wrong_key_on_billing_only(ww: FakeWenwen, make_balance: Callable[..., BalanceClient]) -> None:
    ww.billing.offer(USAGE_TOKEN, False)
    with pytest.raises(WenwenError) as caught:
        await make_balance("sk-not-the-key").balance()
    assert caught.value.kind is ErrorKind.INVALID_KEY
    assert caught.value.message == "无效的令牌" and caught.value.request_id  # the OpenAI envelope, id split off


async def test_new_api_success_false_with_200(ww: FakeWenwen, balance: BalanceClient, sleeps: list[float]) -> None:
    ww.billing.offer(SUBSCRIPTION, False)
    ww.billing.offer(BILLING_USAGE, False)
    ww.billing.usage_token_failure = (200, "token not found")
    with pytest.raises(WenwenError) as caught:
        await balance.balance()
    assert caught.value.kind is ErrorKind.INVALID_KEY and caught.value.message == "token not found"
    assert caught.value.code is None and caught.value.status == 200
    assert sleeps == []  # a refused key is not asked again


async def test_billing_error_envelope_with_200_keeps_the_other_part(ww: FakeWenwen, balance: BalanceClient) -> None:
    """new-api's billing routes fail with HTTP 200 {"error": …}; the quota part is still shown."""
    ww.billing.billing_failure = "record not found"
    ww.billing.set(granted=900, used=100)
    result = await balance.balance()
    assert (result.granted, result.available, result.usd_limit, result.usd_used) == (900, 800, None, None)


async def test_billing_error_envelope_alone_raises(ww: FakeWenwen, balance: BalanceClient, sleeps: list[float]) -> None:
    ww.billing.offer(USAGE_TOKEN, False)
    ww.billing.billing_failure = "database is locked"
    with pytest.raises(WenwenError) as caught:
        await balance.balance()
    assert caught.value.kind is ErrorKind.UPSTREAM and caught.value.message == "database is locked"
    assert sleeps  # an upstream failure of a GET is retried
    assert len(ww.requests_to(SUBSCRIPTION)) == 3  # 1 + 2 retries


async def test_unlimited_quota(ww: FakeWenwen, balance: BalanceClient) -> None:
    ww.billing.set(unlimited=True, granted=0, used=123_456)
    result = await balance.balance()
    assert result.unlimited and result.used == 123_456
    assert result.usd_limit is None and result.usd_available is None  # not new-api's 100 000 000 stand-in


async def test_unlimited_seen_from_billing_alone(ww: FakeWenwen, balance: BalanceClient) -> None:
    ww.billing.offer(USAGE_TOKEN, False)
    ww.billing.set(unlimited=True)
    result = await balance.balance()
    assert result.unlimited and result.usd_limit is None


async def test_string_numbers_and_other_envelopes(ww: FakeWenwen, balance: BalanceClient) -> None:
    ww.billing.raw[USAGE_TOKEN] = {
        "code": 0,
        "data": {"name": 7, "total_granted": "1,000,000", "total_used": "250000.0", "unlimited_quota": "false"},
    }
    ww.billing.raw[SUBSCRIPTION] = {"object": "billing_subscription", "hard_limit_usd": "2", "access_until": "0"}
    ww.billing.raw[BILLING_USAGE] = {"object": "list", "total_usage": "50"}
    result = await balance.balance()
    assert result == KeyBalance(
        name="7",
        granted=1_000_000,
        used=250_000,
        available=750_000,  # derived from the other two
        unlimited=False,
        expires_at=None,
        usd_limit=2.0,
        usd_used=0.5,
    )


async def test_missing_fields_and_junk_values(ww: FakeWenwen, balance: BalanceClient) -> None:
    ww.billing.raw[USAGE_TOKEN] = {"code": True, "data": {"total_available": "lots", "total_used": None}}
    ww.billing.raw[SUBSCRIPTION] = {"object": "billing_subscription"}
    ww.billing.raw[BILLING_USAGE] = {"object": "list", "total_usage": float("nan")}
    result = await balance.balance()
    assert (result.granted, result.used, result.available) == (None, None, None)
    assert (result.usd_limit, result.usd_used, result.unlimited) == (None, None, False)


async def test_unrelated_json_is_not_offered(ww: FakeWenwen, balance: BalanceClient) -> None:
    """Some other service on those paths: JSON, but none of the figures."""
    for route in ROUTES:
        ww.billing.raw[route] = {"status": "ok"}
    with pytest.raises(BalanceNotOffered):
        await balance.balance()


async def test_follows_gins_trailing_slash_redirect(ww: FakeWenwen, balance: BalanceClient) -> None:
    ww.billing.slash_route = True  # current new-api registers /api/usage/token/
    ww.billing.set(granted=10, used=3)
    result = await balance.balance()
    assert result.available == 7
    followed = ww.requests_to(USAGE_TOKEN + "/")
    assert len(followed) == 1 and followed[0].headers["authorization"] == f"Bearer {API_KEY}"


async def test_session_key_refusal_is_not_offered(ww: FakeWenwen, balance: BalanceClient) -> None:
    """OpenAI itself refuses the billing routes for API keys with this message."""
    ww.billing.offer(USAGE_TOKEN, False)
    message = "Your request to GET /dashboard/billing/usage must be made with a session key (that is, …)."
    ww.billing.billing_failure = message
    with pytest.raises(BalanceNotOffered):
        await balance.balance()


async def test_rate_limited_usage_token_is_not_retried(
    ww: FakeWenwen, balance: BalanceClient, sleeps: list[float]
) -> None:
    """new-api's CriticalRateLimit on /api/usage: the billing half is shown, the 429 not asked again."""
    ww.billing.usage_token_failure = (429, "Too Many Requests")
    ww.billing.set(hard_limit_usd=3.0, usage_cents=100.0)
    result = await balance.balance()
    assert (result.granted, result.usd_limit, result.usd_used) == (None, 3.0, 1.0)
    assert len(ww.requests_to(USAGE_TOKEN)) == 1 and sleeps == []
