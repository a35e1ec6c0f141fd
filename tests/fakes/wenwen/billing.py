"""The key's own balance: ``GET /api/usage/token`` and the OpenAI-style
``GET /v1/dashboard/billing/subscription`` / ``GET /v1/dashboard/billing/usage``.

Stock new-api (``controller.GetTokenUsage``, ``controller.GetSubscription``/``GetUsage`` with
``DisplayTokenStatEnabled``): the figures are the token's own; granted = remain + used, in quota
units (``QUOTA_PER_UNIT`` = 500 000 per USD); an unlimited token publishes 100 000 000 as its USD
limit; ``total_usage`` is in cents. Billing failures are HTTP 200 with ``{"error": {…}}``.

    ww.billing.set(granted=1_000_000, used=250_000, unlimited=False, expires_at=0)
    ww.billing.set(hard_limit_usd=5.0, usage_cents=120.0)   # override the derived USD figures
    ww.billing.offered = False                              # all three 404 like LiteLLM/OpenAI
    ww.billing.offer(USAGE_TOKEN, False)                    # one route only
    ww.billing.usage_token_failure = (200, "token not found")   # new-api's {"success": false, …}
    ww.billing.billing_failure = "record not found"         # {"error": {…}} with HTTP 200
    ww.billing.slash_route = True                           # /api/usage/token → 301 → /api/usage/token/
    ww.billing.raw[USAGE_TOKEN] = {"code": 0, "data": {"total_granted": "12"}}  # another fork's shape

The routes are registered public and authenticate themselves, because a route that is not
offered must answer 404 before any auth (as on a gateway that has no such route at all).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .errors import json_response
from .state import lazy_state

if TYPE_CHECKING:
    from .server import FakeWenwen

USAGE_TOKEN = "/api/usage/token"
SUBSCRIPTION = "/v1/dashboard/billing/subscription"
BILLING_USAGE = "/v1/dashboard/billing/usage"
ROUTES = (USAGE_TOKEN, SUBSCRIPTION, BILLING_USAGE)
QUOTA_PER_UNIT = 500_000
UNLIMITED_USD = 100_000_000.0
NOT_FOUND_BODY = '{"detail":"Not Found"}'  # FastAPI's (LiteLLM); set an HTML page to play a proxy


@dataclass
class BillingState:
    """The token the fake's API key stands for, and which routes exist."""

    name: str = "Default Token"
    granted: int = 1_000_000
    used: int = 0
    unlimited: bool = False
    expires_at: int = 0  # unix seconds; 0 (or -1 in the DB) = never
    model_limits: dict[str, bool] = field(default_factory=dict)
    model_limits_enabled: bool = False
    hard_limit_usd: float | None = None  # None: derived from granted (and unlimited)
    usage_cents: float | None = None  # None: derived from used
    not_offered: set[str] = field(default_factory=set)
    not_found_body: str = NOT_FOUND_BODY
    usage_token_failure: tuple[int, str] | None = None  # (status, message) of a {"success": false} answer
    billing_failure: str | None = None  # message of an {"error": {…}} answer (HTTP 200) on both billing routes
    # True: the route is /api/usage/token/ as current new-api registers it (Group("/token").GET("/")),
    # and gin's RedirectTrailingSlash answers the bare path with a 301 there
    slash_route: bool = False
    # route → a body answered as is (HTTP 200, after auth): a JSON value, or a str sent as text/HTML
    raw: dict[str, Any] = field(default_factory=dict)

    def set(self, **values: Any) -> None:
        for key, value in values.items():
            if not hasattr(self, key) or key.startswith("_"):
                raise AttributeError(f"BillingState has no field {key!r}")
            setattr(self, key, value)

    @property
    def offered(self) -> bool:
        return not self.not_offered

    @offered.setter
    def offered(self, value: bool) -> None:
        self.not_offered = set() if value else set(ROUTES)

    def offer(self, route: str, offered: bool = True) -> None:
        if route not in ROUTES:
            raise ValueError(f"unknown billing route {route!r}; one of {ROUTES}")
        (self.not_offered.discard if offered else self.not_offered.add)(route)

    @property
    def available(self) -> int:
        return self.granted - self.used

    def usd_limit(self) -> float:
        if self.hard_limit_usd is not None:
            return self.hard_limit_usd
        return UNLIMITED_USD if self.unlimited else self.granted / QUOTA_PER_UNIT

    def cents_used(self) -> float:
        return self.usage_cents if self.usage_cents is not None else self.used / QUOTA_PER_UNIT * 100


class BillingMixin:
    """``billing`` of FakeWenwen."""

    @property
    def billing(self) -> BillingState:
        return lazy_state(self, "_billing_state", BillingState)


def _token_usage_auth(fake: FakeWenwen, request: web.Request) -> web.Response | None:
    """``GetTokenUsage``'s own header check (401s), then the key lookup."""
    header = request.headers.get("Authorization", "")
    if not header:
        return json_response({"success": False, "message": "No Authorization header"}, 401)
    parts = header.split(" ")
    if len(parts) != 2 or parts[0].lower() != "bearer":
        return json_response({"success": False, "message": "Invalid Bearer token"}, 401)
    if parts[1].removeprefix("sk-") != fake.api_key.removeprefix("sk-"):
        return json_response({"success": False, "message": "Invalid Bearer token"}, 401)
    return None


def register(fake: FakeWenwen, app: web.Application) -> None:
    from .server import public  # server.py imports this module

    state = fake.billing

    def text(body: str, status: int) -> web.Response:
        content_type = "text/html" if body.lstrip().startswith("<") else "application/json"
        return web.Response(text=body, status=status, content_type=content_type, charset="utf-8")

    def not_found() -> web.Response:
        return text(state.not_found_body, 404)

    def raw(route: str) -> web.Response | None:
        if route not in state.raw:
            return None
        body = state.raw[route]
        return text(body, 200) if isinstance(body, str) else json_response(body)

    @public
    async def usage_token(request: web.Request) -> web.StreamResponse:
        if USAGE_TOKEN in state.not_offered:
            return not_found()
        if request.path.endswith("/") != state.slash_route:  # gin redirects before any middleware
            target = USAGE_TOKEN + "/" if state.slash_route else USAGE_TOKEN
            body = f'<a href="{target}">Moved Permanently</a>.\n\n'
            return web.Response(text=body, status=301, content_type="text/html", headers={"Location": target})
        refused = _token_usage_auth(fake, request)
        if refused is not None:
            return refused
        if (scripted := raw(USAGE_TOKEN)) is not None:
            return scripted
        if state.usage_token_failure is not None:
            status, message = state.usage_token_failure
            return json_response({"success": False, "message": message}, status)
        data = {
            "object": "token_usage",
            "name": state.name,
            "total_granted": state.granted,
            "total_used": state.used,
            "total_available": state.available,
            "unlimited_quota": state.unlimited,
            "model_limits": state.model_limits,
            "model_limits_enabled": state.model_limits_enabled,
            "expires_at": max(state.expires_at, 0),
        }
        return json_response({"code": True, "message": "ok", "data": data})

    def billing_route(route: str, body: Any, error_type: str) -> Any:
        @public
        async def handler(request: web.Request) -> web.StreamResponse:
            if route in state.not_offered:
                return not_found()
            fake._authenticate(request)  # TokenAuth: the OpenAI-style 401 envelope
            if (scripted := raw(route)) is not None:
                return scripted
            if state.billing_failure is not None:
                return json_response({"error": {"message": state.billing_failure, "type": error_type}})
            return json_response(body())

        return handler

    def subscription() -> dict[str, Any]:
        limit = state.usd_limit()
        return {
            "object": "billing_subscription",
            "has_payment_method": True,
            "soft_limit_usd": limit,
            "hard_limit_usd": limit,
            "system_hard_limit_usd": limit,
            "access_until": max(state.expires_at, 0),
        }

    def usage() -> dict[str, Any]:
        return {"object": "list", "total_usage": state.cents_used()}

    app.router.add_get(USAGE_TOKEN, usage_token, allow_head=False)
    app.router.add_get(USAGE_TOKEN + "/", usage_token, allow_head=False)
    # new-api's error types differ per route: upstream_error for subscription, new_api_error for usage
    app.router.add_get(SUBSCRIPTION, billing_route(SUBSCRIPTION, subscription, "upstream_error"), allow_head=False)
    app.router.add_get(BILLING_USAGE, billing_route(BILLING_USAGE, usage, "new_api_error"), allow_head=False)
