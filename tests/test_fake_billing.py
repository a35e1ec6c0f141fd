"""The fake's balance routes (tests/fakes/wenwen/billing.py) over real loopback HTTP."""

from __future__ import annotations

import httpx
import pytest

from tests.fakes.wenwen import FakeWenwen
from tests.fakes.wenwen.billing import BILLING_USAGE, QUOTA_PER_UNIT, ROUTES, SUBSCRIPTION, USAGE_TOKEN

KEY = "sk-test-wenwen-key"


async def get(fake: FakeWenwen, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {KEY}"} if headers is None else headers
    async with httpx.AsyncClient(base_url=fake.base_url) as client:
        return await client.get(path, headers=headers)


async def test_token_usage_defaults(fake: FakeWenwen) -> None:
    response = await get(fake, USAGE_TOKEN)
    assert response.status_code == 200
    body = response.json()
    assert body["code"] is True and body["message"] == "ok"
    assert body["data"] == {
        "object": "token_usage",
        "name": "Default Token",
        "total_granted": 1_000_000,
        "total_used": 0,
        "total_available": 1_000_000,
        "unlimited_quota": False,
        "model_limits": {},
        "model_limits_enabled": False,
        "expires_at": 0,
    }
    assert fake.requests_to(USAGE_TOKEN)[0].headers["authorization"] == f"Bearer {KEY}"


async def test_set_drives_all_three_routes(fake: FakeWenwen) -> None:
    fake.billing.set(granted=2_000_000, used=500_000, expires_at=1_900_000_000, name="bot")
    data = (await get(fake, USAGE_TOKEN)).json()["data"]
    assert (data["total_granted"], data["total_used"], data["total_available"]) == (2_000_000, 500_000, 1_500_000)
    assert data["expires_at"] == 1_900_000_000 and data["name"] == "bot"
    sub = (await get(fake, SUBSCRIPTION)).json()
    assert sub["object"] == "billing_subscription" and sub["has_payment_method"] is True
    assert sub["hard_limit_usd"] == sub["soft_limit_usd"] == sub["system_hard_limit_usd"] == 2_000_000 / QUOTA_PER_UNIT
    assert sub["access_until"] == 1_900_000_000
    usage = (await get(fake, BILLING_USAGE)).json()
    assert usage == {"object": "list", "total_usage": 100.0}  # 500 000 units = $1 = 100 cents


async def test_usd_overrides_and_unlimited(fake: FakeWenwen) -> None:
    fake.billing.set(hard_limit_usd=5.5, usage_cents=120.0)
    assert (await get(fake, SUBSCRIPTION)).json()["hard_limit_usd"] == 5.5
    assert (await get(fake, BILLING_USAGE)).json()["total_usage"] == 120.0
    fake.billing.set(hard_limit_usd=None, unlimited=True)
    assert (await get(fake, SUBSCRIPTION)).json()["hard_limit_usd"] == 100_000_000
    assert (await get(fake, USAGE_TOKEN)).json()["data"]["unlimited_quota"] is True
    with pytest.raises(AttributeError):
        fake.billing.set(granted_units=1)


async def test_sk_prefix_is_optional(fake: FakeWenwen) -> None:
    bare = {"Authorization": f"Bearer {KEY.removeprefix('sk-')}"}
    for path in ROUTES:
        assert (await get(fake, path, bare)).status_code == 200, path


async def test_token_usage_auth_failures(fake: FakeWenwen) -> None:
    missing = await get(fake, USAGE_TOKEN, {})
    assert missing.status_code == 401
    assert missing.json() == {"success": False, "message": "No Authorization header"}
    for header in (f"Token {KEY}", "Bearer sk-wrong"):
        wrong = await get(fake, USAGE_TOKEN, {"Authorization": header})
        assert wrong.status_code == 401, header
        assert wrong.json() == {"success": False, "message": "Invalid Bearer token"}


async def test_billing_routes_use_token_auth(fake: FakeWenwen) -> None:
    for path in (SUBSCRIPTION, BILLING_USAGE):
        response = await get(fake, path, {"Authorization": "Bearer sk-wrong"})
        assert response.status_code == 401
        error = response.json()["error"]
        assert error["message"].startswith("无效的令牌 (request id: ") and error["type"] == "new_api_error"


async def test_not_offered_answers_404_before_auth(fake: FakeWenwen) -> None:
    fake.billing.offered = False
    for path in ROUTES:
        response = await get(fake, path, {})
        assert response.status_code == 404, path
        assert response.json() == {"detail": "Not Found"}
    fake.billing.offered = True
    fake.billing.offer(SUBSCRIPTION, False)
    assert [(await get(fake, path)).status_code for path in ROUTES] == [200, 404, 200]
    fake.billing.offer(SUBSCRIPTION)
    assert fake.billing.offered
    with pytest.raises(ValueError, match="unknown billing route"):
        fake.billing.offer("/v1/credits", False)


async def test_not_offered_as_an_html_page(fake: FakeWenwen) -> None:
    fake.billing.offered = False
    fake.billing.not_found_body = "<html><body><h1>404 Not Found</h1>nginx</body></html>"
    response = await get(fake, USAGE_TOKEN)
    assert response.status_code == 404 and response.headers["content-type"].startswith("text/html")


async def test_scripted_failures(fake: FakeWenwen) -> None:
    fake.billing.usage_token_failure = (200, "token not found")
    response = await get(fake, USAGE_TOKEN)
    assert response.status_code == 200 and response.json() == {"success": False, "message": "token not found"}
    fake.billing.billing_failure = "record not found"
    sub, usage = await get(fake, SUBSCRIPTION), await get(fake, BILLING_USAGE)
    assert sub.status_code == usage.status_code == 200
    assert sub.json() == {"error": {"message": "record not found", "type": "upstream_error"}}
    assert usage.json() == {"error": {"message": "record not found", "type": "new_api_error"}}


async def test_slash_route_redirects_like_gin(fake: FakeWenwen) -> None:
    plain = await get(fake, USAGE_TOKEN + "/")
    assert plain.status_code == 301 and plain.headers["location"] == USAGE_TOKEN
    fake.billing.slash_route = True
    moved = await get(fake, USAGE_TOKEN, {})  # the redirect comes before any auth
    assert moved.status_code == 301 and moved.headers["location"] == USAGE_TOKEN + "/"
    assert (await get(fake, USAGE_TOKEN + "/")).json()["code"] is True


async def test_raw_bodies_are_answered_as_is(fake: FakeWenwen) -> None:
    fake.billing.raw[USAGE_TOKEN] = {"code": 0, "data": {"total_granted": "12"}}
    fake.billing.raw[SUBSCRIPTION] = "<html>a web UI</html>"
    assert (await get(fake, USAGE_TOKEN)).json() == {"code": 0, "data": {"total_granted": "12"}}
    page = await get(fake, SUBSCRIPTION)
    assert page.status_code == 200 and page.text == "<html>a web UI</html>"
    assert (await get(fake, USAGE_TOKEN, {"Authorization": "Bearer sk-wrong"})).status_code == 401  # auth first
