"""The Bot API transport: python-telegram-bot's `BaseRequest` on an aiohttp session.

PTB's default `HTTPXRequest` spends about 1.7 ms of CPU per call on loopback, and 4–5 ms once a few dozen
calls are in flight (httpcore's pool bookkeeping grows with the queue); this one about 0.8–1.0 ms at any
depth (`python -m benchmarks.telegram_transport`). A busy turn is four to six Bot API calls, so the
transport was the largest share of the bot's CPU. PTB documents `BaseRequest` as the way to plug in
another HTTP library; this one keeps its contract: `TimedOut` when no answer came in time, `NetworkError`
with a message starting `TRANSPORT_ERROR_PREFIX` when the connection failed, and the status and body of
any answer (PTB turns non-2xx into its own errors).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.request import getproxies_environment, proxy_bypass

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData
from yarl import URL

# PTB's HTTPXRequest says "httpx.<Error>: …" for a failed connection; ours says "aiohttp.<Error>: …".
TRANSPORT_ERROR_PREFIX = "aiohttp."
_TRANSPORT_PREFIXES = (TRANSPORT_ERROR_PREFIX, "httpx.")
_TOKEN_IN_PATH = re.compile(r"(/bot)[^/\s]+")  # /bot<token>/method and /file/bot<token>/path


def is_transport_message(message: str) -> bool:
    """A `NetworkError` message that means no answer came (either transport), not an HTTP error answer."""
    return message.startswith(_TRANSPORT_PREFIXES)


def _seconds(value: ODVInput[float], default: float | None) -> float | None:
    return default if isinstance(value, DefaultValue) else value


class AiohttpRequest(BaseRequest):
    """One pooled aiohttp session for Bot API calls (PTB makes one instance for getUpdates, one for the rest)."""

    __slots__ = ("_connect", "_media_write", "_pool_size", "_proxies", "_read", "_session", "_write")

    def __init__(
        self,
        *,
        connection_pool_size: int = 256,
        connect_timeout: float | None = 10.0,
        read_timeout: float | None = 30.0,
        write_timeout: float | None = 30.0,
        media_write_timeout: float | None = 60.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._connect = connect_timeout
        self._read = read_timeout
        self._write = write_timeout
        self._media_write = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[URL, str | None] = {}  # origin → proxy; the bot talks to one or two origins

    @property
    def read_timeout(self) -> float | None:
        return self._read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            # Not trust_env: aiohttp would then read ~/.netrc and the proxy variables in a worker thread on
            # every call (two executor jobs a call); the proxy is looked up once per origin instead.
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size, ttl_dns_cache=300),
                headers={"User-Agent": self.USER_AGENT},
                cookie_jar=aiohttp.DummyCookieJar(),  # the Bot API sets none; nothing a proxy sets is sent back
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        files = request_data.multipart_data if request_data else None
        fields = request_data.json_parameters if request_data else None
        timeout = self._timeout(read_timeout, write_timeout, connect_timeout, pool_timeout, uploads=bool(files))
        try:
            async with self._session.request(
                method, url, data=_body(fields, files), timeout=timeout, proxy=self._proxy_for(url)
            ) as response:
                return response.status, await response.read()
        except TimeoutError as error:  # aiohttp's timeouts (ServerTimeoutError too) are TimeoutError subclasses
            raise TimedOut from error
        except aiohttp.ClientError as error:
            # some of aiohttp's errors quote the URL, and a Bot API URL holds the token
            text = _TOKEN_IN_PATH.sub(r"\1<token>", str(error))
            raise NetworkError(f"{TRANSPORT_ERROR_PREFIX}{type(error).__name__}: {text}") from None

    def _proxy_for(self, url: str) -> str | None:
        """HTTPS_PROXY / HTTP_PROXY / NO_PROXY, as httpx honoured them for PTB; read once per origin."""
        origin = URL(url).origin()
        if origin not in self._proxies:
            proxies = getproxies_environment()
            bypass = proxy_bypass(origin.host or "")  # NO_PROXY
            self._proxies[origin] = None if bypass else proxies.get(origin.scheme) or proxies.get("all")
        return self._proxies[origin]

    def _timeout(
        self,
        read: ODVInput[float],
        write: ODVInput[float],
        connect: ODVInput[float],
        pool: ODVInput[float],
        *,
        uploads: bool,
    ) -> aiohttp.ClientTimeout:
        """aiohttp has no write timeout: the whole call is bounded by connect + write + read instead."""
        read_s = _seconds(read, self._read)
        write_s = _seconds(write, self._media_write if uploads else self._write)
        connect_s = _seconds(connect, self._connect)
        pool_s = _seconds(pool, None)
        parts = [read_s, write_s, connect_s]
        total = None if None in parts else sum(part for part in parts if part is not None)
        # aiohttp's `connect` covers waiting for a pooled connection too
        waiting = None if connect_s is None else connect_s + (pool_s or 0.0)
        return aiohttp.ClientTimeout(total=total, connect=waiting, sock_connect=connect_s, sock_read=read_s)


def _body(fields: dict[str, str] | None, files: dict[str, Any] | None) -> aiohttp.FormData | dict[str, str] | None:
    """Form-encoded parameters, or multipart when a file goes with them (as PTB's own transport sends)."""
    if not files:
        return fields
    form = aiohttp.FormData()
    for name, value in (fields or {}).items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in files.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form
