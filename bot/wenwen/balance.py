"""The API key's own balance: new-api's `/api/usage/token` and the OpenAI-style billing routes.

new-api answers `GET /api/usage/token` in quota units (500 000 per USD by default, a deployment
setting) and `/v1/dashboard/billing/{subscription,usage}` in the site's display currency (USD by
default; `total_usage` in cents). Gateways without these routes (LiteLLM, OpenAI) answer 404.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

import httpx
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

from .errors import ErrorKind, WenwenError, WenwenNetworkError, error_from_response
from .http import GatewayHttp

log = logging.getLogger("bot.wenwen")
T = TypeVar("T")

USAGE_TOKEN = "/api/usage/token"
SUBSCRIPTION = "/v1/dashboard/billing/subscription"
BILLING_USAGE = "/v1/dashboard/billing/usage"
UNLIMITED_USD = 100_000_000.0  # what new-api publishes as the limit of an unlimited token
_TIMEOUT = httpx.Timeout(20.0, connect=5.0)  # a status query, not a generation
_NOT_OFFERED_STATUS = (404, 405, 501)
_REDIRECTS = (301, 302, 307, 308)  # gin redirects /api/usage/token to /api/usage/token/
_KEY_WORDS = re.compile(r"token|令牌|key|authori[sz]|bearer", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class KeyBalance:
    name: str | None
    granted: int | None  # quota units
    used: int | None
    available: int | None
    unlimited: bool
    expires_at: int | None  # unix seconds; None = never
    usd_limit: float | None  # hard_limit_usd from the billing routes (None when unlimited)
    usd_used: float | None  # total_usage / 100

    @property
    def usd_available(self) -> float | None:
        if self.usd_limit is None or self.usd_used is None:
            return None
        return self.usd_limit - self.usd_used


class BalanceNotOffered(WenwenError):
    """The gateway has none of the balance routes (404s, or an answer that is not one)."""

    kind = ErrorKind.NOT_FOUND


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip().replace(",", "").replace("_", ""))
        except ValueError:
            return None
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    return None


def _integer(value: Any) -> int | None:
    number = _number(value)
    return None if number is None else round(number)


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value) if isinstance(value, bool | int | float) else False


LooseInt = Annotated[int | None, BeforeValidator(_integer)]
LooseFloat = Annotated[float | None, BeforeValidator(_number)]
LooseBool = Annotated[bool, BeforeValidator(_flag)]
LooseText = Annotated[str | None, BeforeValidator(lambda v: None if v in (None, "") else str(v))]


class TokenUsage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: LooseText = None
    total_granted: LooseInt = None
    total_used: LooseInt = None
    total_available: LooseInt = None
    unlimited_quota: LooseBool = False
    expires_at: LooseInt = None


class Subscription(BaseModel):
    model_config = ConfigDict(extra="ignore")

    hard_limit_usd: LooseFloat = None
    system_hard_limit_usd: LooseFloat = None
    soft_limit_usd: LooseFloat = None
    access_until: LooseInt = None


class BillingUsage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    total_usage: LooseFloat = None


def _error(status: int, body: bytes, headers: Any) -> WenwenError:
    """A typed error for an error answer, or BalanceNotOffered when it says the route is not there."""
    error = error_from_response(status, body, headers)
    if error.code == "None":  # {"success": false, "message": …} has no code
        error.code = None
    # OpenAI itself: "… must be made with a session key (that is, it can only be made from the browser)"
    if status in _NOT_OFFERED_STATUS or "session key" in error.message.lower():
        return BalanceNotOffered(error.message, status=status, request_id=error.request_id)
    if error.kind in (ErrorKind.UPSTREAM, ErrorKind.BAD_REQUEST) and _KEY_WORDS.search(error.message):
        error.kind = ErrorKind.INVALID_KEY  # new-api's 200 {"success": false, "message": "token not found"}
    if status == 429:  # new-api limits /api/usage to 20 calls per 20 minutes: a retry in seconds only burns them
        error.retryable_override = False
    return error


def _refused(body: Any) -> bool:
    """new-api's {"success": false} / {"code": false}, and the {"error": …} it sends with HTTP 200."""
    if not isinstance(body, dict):
        return False
    code = body.get("code")
    # "code": true (new-api) or 0/200 (other forks) is success; an error number comes without data
    numbered = type(code) is int and code not in (0, 200) and not isinstance(body.get("data"), dict)
    failed_code = code is False or numbered
    return body.get("success") is False or failed_code or body.get("error") not in (None, "", {})


def _token_usage(body: dict[str, Any]) -> TokenUsage:
    data = body.get("data")
    fields = TokenUsage.model_fields
    if not isinstance(data, dict):  # some forks answer without the envelope
        data = body
    if not any(key in data for key in fields if key != "name"):
        raise BalanceNotOffered(f"{USAGE_TOKEN} answered without usage figures")
    return TokenUsage.model_validate(data)


def _subscription(body: dict[str, Any]) -> Subscription:
    if body.get("object") != "billing_subscription" and not any(key.endswith("_usd") for key in body):
        raise BalanceNotOffered(f"{SUBSCRIPTION} answered without a limit")
    return Subscription.model_validate(body)


def _billing_usage(body: dict[str, Any]) -> BillingUsage:
    if "total_usage" not in body:
        raise BalanceNotOffered(f"{BILLING_USAGE} answered without total_usage")
    return BillingUsage.model_validate(body)


class BalanceClient:
    def __init__(self, http: GatewayHttp) -> None:
        self._http = http

    async def _get(self, path: str) -> httpx.Response:
        """GET, following a same-origin redirect (the key never leaves the gateway)."""
        url = httpx.URL(path)
        for _ in range(3):
            request = self._http.client.build_request("GET", url, timeout=_TIMEOUT)
            try:
                response = await self._http.send(request)
            except WenwenNetworkError as error:
                error.retryable_override = True  # a GET changes nothing: safe to send again
                raise
            location = response.headers.get("location")
            if response.status_code not in _REDIRECTS or not location:
                return response
            target = request.url.join(location)
            if (target.scheme, target.host, target.port) != (request.url.scheme, request.url.host, request.url.port):
                return response
            url = target
        return response

    async def _part(self, path: str, parse: Callable[[dict[str, Any]], T]) -> T | WenwenError:
        """One route's answer, or the error it ended with (BalanceNotOffered when it is not there)."""

        async def attempt() -> T:
            response = await self._get(path)
            try:
                body = response.json()
            except ValueError:
                if response.is_success:  # an HTML page from a proxy or a web UI's catch-all route
                    raise BalanceNotOffered(f"{path} answered with a page, not JSON") from None
                body = None
            if not response.is_success or _refused(body):
                raise _error(response.status_code, response.content, response.headers)
            if not isinstance(body, dict):
                raise BalanceNotOffered(f"{path} answered with a JSON {type(body).__name__}")
            try:
                return parse(body)
            except ValidationError as error:  # pragma: no cover - every field is lenient
                raise WenwenError(f"unexpected {path} answer: {error}") from None

        try:
            return await self._http.with_retries(attempt)
        except WenwenError as error:
            return error

    async def balance(self) -> KeyBalance:
        """The key's quota and spend; any part may be missing, BalanceNotOffered when all are."""
        usage, subscription, spent = await asyncio.gather(
            self._part(USAGE_TOKEN, _token_usage),
            self._part(SUBSCRIPTION, _subscription),
            self._part(BILLING_USAGE, _billing_usage),
        )
        parts = (usage, subscription, spent)
        failures = [p for p in parts if isinstance(p, WenwenError) and not isinstance(p, BalanceNotOffered)]
        if all(isinstance(p, WenwenError) for p in parts):
            if failures:
                raise failures[0]
            raise BalanceNotOffered("the gateway offers no balance routes", status=404)
        for failure in failures:  # a partial answer is still worth showing
            log.warning("balance: one route failed, showing the rest: %s", failure)
        return _combine(
            None if isinstance(usage, WenwenError) else usage,
            None if isinstance(subscription, WenwenError) else subscription,
            None if isinstance(spent, WenwenError) else spent,
        )


def _combine(usage: TokenUsage | None, subscription: Subscription | None, spent: BillingUsage | None) -> KeyBalance:
    usage = usage or TokenUsage()
    granted, used, available = usage.total_granted, usage.total_used, usage.total_available
    # any two of the three give the third
    if granted is None and used is not None and available is not None:
        granted = used + available
    elif available is None and granted is not None and used is not None:
        available = granted - used
    elif used is None and granted is not None and available is not None:
        used = granted - available
    limit = None
    if subscription is not None:
        limit = next(
            (v for v in (subscription.hard_limit_usd, subscription.system_hard_limit_usd) if v is not None),
            subscription.soft_limit_usd,
        )
    unlimited = usage.unlimited_quota or (limit is not None and limit >= UNLIMITED_USD)
    expires = usage.expires_at
    if expires is None and subscription is not None:
        expires = subscription.access_until
    if expires and expires > 10**11:  # milliseconds (new-api's /api/token/status convention)
        expires //= 1000
    return KeyBalance(
        name=usage.name,
        granted=granted,
        used=used,
        available=available,
        unlimited=unlimited,
        expires_at=expires if expires and expires > 0 else None,
        usd_limit=None if unlimited else limit,
        usd_used=None if spent is None or spent.total_usage is None else spent.total_usage / 100,
    )
