"""bot/wenwen/public_fetch.py: model-written URLs are fetched only from public addresses (or the gateway).

Real HTTP on loopback. Guarded fetches that must succeed use a resolver that answers a public address and an
inner network backend that records the address it is asked to connect to and then dials loopback instead.
"""

from __future__ import annotations

import asyncio
import re
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from ipaddress import ip_address
from typing import Any

import httpcore
import pytest
from aiohttp import web

from bot.wenwen.errors import WenwenError
from bot.wenwen.public_fetch import (
    FetchNetworkError,
    FetchStatusError,
    FetchTimeoutError,
    FetchTooLargeError,
    Origin,
    PublicFetcher,
    Resolver,
    UnsafeUrlError,
    is_public_address,
    literal_ip,
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
MB = 1 << 20


@dataclass
class LoopServer:
    """An aiohttp app on 127.0.0.1 that records every request that reaches it."""

    routes: dict[str, Handler]
    seen: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)  # set at teardown: frees stalled handlers
    port: int = 0
    runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @web.middleware
    async def _record(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self.seen.append((request.path_qs, {k.lower(): v for k, v in request.headers.items()}))
        return await handler(request)

    async def start(self) -> None:
        app = web.Application(middlewares=[self._record])
        for path, handler in self.routes.items():
            app.router.add_get(path, handler)
        self.runner = web.AppRunner(app, access_log=None, handler_cancellation=True, shutdown_timeout=2.0)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", 0).start()
        self.port = int(self.runner.addresses[0][1])


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[dict[str, Handler]], Awaitable[LoopServer]]]:
    started: list[LoopServer] = []

    async def make(routes: dict[str, Handler]) -> LoopServer:
        server = LoopServer(routes)
        await server.start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.release.set()
        assert server.runner is not None
        await server.runner.cleanup()


@pytest.fixture
async def fetchers() -> AsyncIterator[Callable[..., PublicFetcher]]:
    made: list[PublicFetcher] = []

    def make(gateway_url: str, **kwargs: Any) -> PublicFetcher:
        made.append(PublicFetcher(gateway_url, **kwargs))
        return made[-1]

    yield make
    for fetcher in made:
        await fetcher.aclose()


def table(answers: dict[str, list[str]]) -> Resolver:
    async def resolve(host: str, port: int) -> list[str]:
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return answers[host]

    return resolve


class TlsProbe(httpcore.AsyncNetworkStream):
    """A stream that records the TLS server name httpcore asks for, then stops the handshake."""

    server_hostname: str | None = None

    async def start_tls(
        self,
        ssl_context: Any,
        server_hostname: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's signature
    ) -> Any:
        self.server_hostname = server_hostname
        raise httpcore.ConnectError("TLS stopped by the test")

    async def aclose(self) -> None:
        return None


class RecordingBackend(httpcore.AsyncNetworkBackend):
    """The guard's inner backend: records (host, port) it is asked for, then dials loopback (or a TLS probe)."""

    def __init__(self, probe: TlsProbe | None = None) -> None:
        self.connects: list[tuple[str, int]] = []
        self.probe = probe
        self._real = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's signature
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.connects.append((host, port))
        if self.probe is not None:
            return self.probe
        return await self._real.connect_tcp("127.0.0.1", port, timeout=timeout)


def body(text: str) -> Handler:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=text.encode(), content_type="image/png")

    return handler


def redirect(location: str) -> Handler:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(status=302, headers={"Location": location})

    return handler


# ── address rules ────────────────────────────────────────────────────────────────────────────────────────────

REFUSED = [
    "127.0.0.1", "127.255.255.254", "::1",  # loopback
    "10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1",  # private
    "169.254.169.254", "fe80::1",  # link-local (cloud metadata!)
    "100.64.0.1", "100.127.255.255",  # CGNAT
    "fc00::1", "fd12:3456::1",  # unique-local
    "224.0.0.1", "239.255.255.250", "ff02::1",  # multicast (is_global lets 224/4 through on 3.11)
    "0.0.0.0", "::", "0.1.2.3",  # unspecified, 0/8
    "240.0.0.1", "255.255.255.255", "192.0.2.1", "198.18.0.1", "2001:db8::1",  # reserved, broadcast, test nets
    "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::127.0.0.1",  # mapped / compatible
    "64:ff9b::7f00:1", "64:ff9b::a00:1", "2002:7f00:1::1", "2002:c0a8:101::1",  # NAT64 / 6to4 embeddings
]  # fmt: skip
ACCEPTED = [
    "8.8.8.8", "1.1.1.1", "11.0.0.1", "172.32.0.1", "100.128.0.1", "192.169.0.1",
    "2606:4700:4700::1111", "2001:4860:4860::8888", "::ffff:8.8.8.8", "64:ff9b::808:808",
]  # fmt: skip


@pytest.mark.parametrize("address", REFUSED)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not is_public_address(ip_address(address))


@pytest.mark.parametrize("address", ACCEPTED)
def test_public_addresses_are_accepted(address: str) -> None:
    assert is_public_address(ip_address(address))


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("2130706433", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("0xA9FEA9FE", "169.254.169.254"),
        ("[::1]", "::1"),
        ("8.8.8.8", "8.8.8.8"),
        ("example.com", None),
        ("face.bad", None),
        ("1.2.3.4.5", None),
        ("localhost", None),
    ],
)
def test_literal_ip_reads_inet_aton_spellings(host: str, expected: str | None) -> None:
    assert literal_ip(host) == (None if expected is None else ip_address(expected))


def test_origin_fills_default_ports_and_normalises_host() -> None:
    assert Origin.of("https://GW.Example/v1") == Origin("https", "gw.example", 443)
    assert Origin.of("http://gw.example:80/x") == Origin.of("http://gw.example")
    assert Origin.of("http://[::1]:8080/x") == Origin("http", "::1", 8080)


# ── fetching: refusals that must not even connect ───────────────────────────────────────────────────────────


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/x", "data:image/png;base64,AAAA",
                                 "javascript:alert(1)", "gopher://example.com/", "http:///no-host"])  # fmt: skip
async def test_other_schemes_are_refused(fetchers: Callable[..., PublicFetcher], url: str) -> None:
    backend = RecordingBackend()
    fetcher = fetchers("http://127.0.0.1:1", resolver=table({"example.com": ["8.8.8.8"]}), network_backend=backend)
    with pytest.raises(UnsafeUrlError):
        await fetcher.fetch(url, max_bytes=MB, deadline=5)
    assert backend.connects == []


@pytest.mark.parametrize(
    ("spelling", "reason"),
    [
        ("127.0.0.1", "address 127.0.0.1 is not public"),
        ("2130706433", "address 127.0.0.1 is not public"),
        ("0x7f000001", "address 127.0.0.1 is not public"),
        ("127.1", "address 127.0.0.1 is not public"),
        ("0x7f.0.0.1", "address 127.0.0.1 is not public"),
        ("0177.0.0.1", "not a valid URL"),  # httpx itself rejects four dotted parts with leading zeros
        ("[::ffff:127.0.0.1]", "address ::ffff:7f00:1 is not public"),
        ("[::1]", "address ::1 is not public"),
        ("localhost", "localhost is not public"),
        ("LOCALHOST", "localhost is not public"),
        ("img.localhost", "localhost is not public"),
    ],
)
async def test_loopback_that_is_not_the_gateway_is_refused_before_any_request(
    serve: Callable[..., Awaitable[LoopServer]], fetchers: Callable[..., PublicFetcher], spelling: str, reason: str
) -> None:
    gateway = await serve({"/f": body("gateway")})
    other = await serve({"/f": body("secret")})
    fetcher = fetchers(gateway.url)
    with pytest.raises(UnsafeUrlError) as caught:
        await fetcher.fetch(f"http://{spelling}:{other.port}/f", max_bytes=MB, deadline=5)
    assert caught.value.message == reason
    assert other.seen == [] and gateway.seen == []


async def test_localhost_is_refused_whatever_the_resolver_says(fetchers: Callable[..., PublicFetcher]) -> None:
    backend = RecordingBackend()
    fetcher = fetchers("http://gw.example", resolver=table({"localhost": ["8.8.8.8"]}), network_backend=backend)
    with pytest.raises(UnsafeUrlError, match="localhost is not public"):
        await fetcher.fetch("http://localhost/x", max_bytes=MB, deadline=5)
    assert backend.connects == []


@pytest.mark.parametrize(
    ("answers", "reason"),
    [(["127.0.0.1"], "address 127.0.0.1 is not public"), (["8.8.8.8", "10.0.0.1"], "address 10.0.0.1 is not public")],
)
async def test_every_resolved_address_must_be_public(
    fetchers: Callable[..., PublicFetcher], answers: list[str], reason: str
) -> None:
    backend = RecordingBackend()
    fetcher = fetchers("http://gw.example", resolver=table({"evil.example": answers}), network_backend=backend)
    with pytest.raises(UnsafeUrlError) as caught:
        await fetcher.fetch("http://evil.example/x", max_bytes=MB, deadline=5)
    assert caught.value.message == reason
    assert not caught.value.retryable
    assert backend.connects == []


async def test_same_host_with_other_port_or_scheme_than_the_gateway_is_refused(
    serve: Callable[..., Awaitable[LoopServer]], fetchers: Callable[..., PublicFetcher]
) -> None:
    gateway = await serve({"/f": body("gateway")})
    other = await serve({"/f": body("other")})
    fetcher = fetchers(f"{gateway.url}/v1")
    for url in (f"https://127.0.0.1:{gateway.port}/f", f"{other.url}/f", f"http://localhost:{gateway.port}/f"):
        with pytest.raises(UnsafeUrlError):
            await fetcher.fetch(url, max_bytes=MB, deadline=5)
    assert gateway.seen == [] and other.seen == []


async def test_credentials_in_the_url_are_refused(
    serve: Callable[..., Awaitable[LoopServer]], fetchers: Callable[..., PublicFetcher]
) -> None:
    gateway = await serve({"/f": body("gateway")})
    gateway_with_user = gateway.url.replace("http://", "http://user:pw@")
    fetcher = fetchers(gateway.url)
    with pytest.raises(UnsafeUrlError, match="credentials"):  # httpx would send it as Basic auth
        await fetcher.fetch(f"{gateway_with_user}/f", max_bytes=MB, deadline=5)
    assert gateway.seen == []


# ── the gateway's own origin ────────────────────────────────────────────────────────────────────────────────


async def test_gateway_origin_is_fetched_without_credentials_cookies_or_referer(
    serve: Callable[..., Awaitable[LoopServer]], fetchers: Callable[..., PublicFetcher]
) -> None:
    async def set_cookie(request: web.Request) -> web.Response:
        response = web.Response(body=b"first", content_type="image/png")
        response.set_cookie("sid", "s3cret")
        return response

    gateway = await serve({"/first": set_cookie, "/second": body("second")})
    fetcher = fetchers(f"{gateway.url}/v1")
    assert await fetcher.fetch(f"{gateway.url}/first", max_bytes=MB, deadline=5) == (b"first", "image/png")
    assert await fetcher.fetch(f"{gateway.url}/second", max_bytes=MB, deadline=5) == (b"second", "image/png")
    assert [path for path, _ in gateway.seen] == ["/first", "/second"]
    for _, headers in gateway.seen:
        assert not {"authorization", "x-api-key", "cookie", "referer"} & headers.keys()


async def test_gateway_relative_redirects_are_followed_up_to_the_limit(
    serve: Callable[..., Awaitable[LoopServer]], fetchers: Callable[..., PublicFetcher]
) -> None:
    async def hop(request: web.Request) -> web.Response:
        left = int(request.match_info["left"])
        if left == 0:
            return web.Response(body=b"end", content_type="image/gif")
        return web.Response(status=307, headers={"Location": f"../r/{left - 1}"})

    gateway = await serve({"/r/{left}": hop})
    fetcher = fetchers(gateway.url, max_redirects=5)
    assert await fetcher.fetch(f"{gateway.url}/r/5", max_bytes=MB, deadline=5) == (b"end", "image/gif")
    gateway.seen.clear()
    with pytest.raises(UnsafeUrlError, match="more than 5 redirects"):
        await fetcher.fetch(f"{gateway.url}/r/6", max_bytes=MB, deadline=5)
    assert len(gateway.seen) == 6  # the first request and five redirects, never the seventh


async def test_gateway_redirect_to_another_loopback_port_is_refused(
    serve: Callable[..., Awaitable[LoopServer]], fetchers: Callable[..., PublicFetcher]
) -> None:
    other = await serve({"/x": body("internal")})
    gateway = await serve({"/away": redirect(f"http://127.0.0.1:{other.port}/x")})
    fetcher = fetchers(gateway.url)
    with pytest.raises(UnsafeUrlError, match=re.escape("address 127.0.0.1 is not public")):
        await fetcher.fetch(f"{gateway.url}/away", max_bytes=MB, deadline=5)
    assert [path for path, _ in gateway.seen] == ["/away"]
    assert other.seen == []


async def test_gateway_error_status_is_typed(
    serve: Callable[..., Awaitable[LoopServer]], fetchers: Callable[..., PublicFetcher]
) -> None:
    gateway = await serve({})
    with pytest.raises(FetchStatusError) as caught:
        await fetchers(gateway.url).fetch(f"{gateway.url}/missing", max_bytes=MB, deadline=5)
    assert caught.value.status == 404 and isinstance(caught.value, WenwenError)


async def test_proxy_from_the_environment_is_not_used(
    serve: Callable[..., Awaitable[LoopServer]], fetchers: Callable[..., PublicFetcher], monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = await serve({"/{tail:.*}": body("from the proxy")})
    gateway = await serve({"/f": body("direct")})
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.setenv(name, proxy.url)
    backend = RecordingBackend()
    fetcher = fetchers(gateway.url, resolver=table({"img.example": ["8.8.8.8"]}), network_backend=backend)
    assert await fetcher.fetch(f"{gateway.url}/f", max_bytes=MB, deadline=5) == (b"direct", "image/png")
    assert await fetcher.fetch(f"http://img.example:{gateway.port}/f", max_bytes=MB, deadline=5) == (
        b"direct",
        "image/png",
    )
    assert backend.connects == [("8.8.8.8", gateway.port)]
    assert proxy.seen == []


# ── guarded fetches of public hosts ─────────────────────────────────────────────────────────────────────────


async def test_public_host_connects_to_the_checked_address_only(
    serve: Callable[..., Awaitable[LoopServer]], fetchers: Callable[..., PublicFetcher]
) -> None:
    public = await serve({"/pic": body("picture")})
    backend = RecordingBackend()
    fetcher = fetchers("http://gw.example", resolver=table({"img.example": ["8.8.8.8"]}), network_backend=backend)
    got = await fetcher.fetch(f"http://img.example:{public.port}/pic", max_bytes=MB, deadline=5)
    assert got == (b"picture", "image/png")
    # the socket goes to the literal that was checked; the name is never handed on to be resolved again
    assert backend.connects == [("8.8.8.8", public.port)]
    [(_, headers)] = public.seen
    assert headers["host"] == f"img.example:{public.port}" and "authorization" not in headers


async def test_redirect_from_a_public_host_to_loopback_is_refused(
    serve: Callable[..., Awaitable[LoopServer]], fetchers: Callable[..., PublicFetcher]
) -> None:
    internal = await serve({"/x": body("internal")})
    public = await serve({"/jump": redirect(f"http://127.0.0.1:{internal.port}/x")})
    backend = RecordingBackend()
    fetcher = fetchers("http://gw.example", resolver=table({"img.example": ["8.8.8.8"]}), network_backend=backend)
    with pytest.raises(UnsafeUrlError, match=re.escape("address 127.0.0.1 is not public")):
        await fetcher.fetch(f"http://img.example:{public.port}/jump", max_bytes=MB, deadline=5)
    assert backend.connects == [("8.8.8.8", public.port)]
    assert internal.seen == []


async def test_tls_uses_the_host_name_not_the_address() -> None:
    probe = TlsProbe()
    backend = RecordingBackend(probe)
    fetcher = PublicFetcher("http://gw.example", resolver=table({"img.example": ["8.8.8.8"]}), network_backend=backend)
    try:
        with pytest.raises(FetchNetworkError):
            await fetcher.fetch("https://img.example/pic", max_bytes=MB, deadline=5)
    finally:
        await fetcher.aclose()
    assert backend.connects == [("8.8.8.8", 443)]
    assert probe.server_hostname == "img.example"


async def test_unresolvable_host_is_a_network_error(fetchers: Callable[..., PublicFetcher]) -> None:
    fetcher = fetchers("http://gw.example", resolver=table({}), network_backend=RecordingBackend())
    with pytest.raises(FetchNetworkError) as caught:
        await fetcher.fetch("http://nx.example/x", max_bytes=MB, deadline=5)
    assert not isinstance(caught.value, UnsafeUrlError)


# ── bounds ──────────────────────────────────────────────────────────────────────────────────────────────────


async def test_streamed_body_over_max_bytes_stops_reading(
    serve: Callable[..., Awaitable[LoopServer]], fetchers: Callable[..., PublicFetcher]
) -> None:
    total, chunk = 64 * MB, b"x" * (64 << 10)
    progress = {"sent": 0, "finished": False}
    done = asyncio.Event()

    async def endless(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "image/png"})  # chunked: no Content-Length
        try:
            await response.prepare(request)
            while progress["sent"] < total:
                await response.write(chunk)
                progress["sent"] += len(chunk)
            progress["finished"] = True
        except ConnectionError:
            pass
        finally:
            done.set()  # also on cancellation when the client hangs up
        return response

    gateway = await serve({"/big": endless})
    with pytest.raises(FetchTooLargeError):
        await fetchers(gateway.url).fetch(f"{gateway.url}/big", max_bytes=MB, deadline=30)
    await asyncio.wait_for(done.wait(), 10)
    assert not progress["finished"]
    assert int(progress["sent"]) < total


async def test_content_length_over_max_bytes_is_refused_before_reading(
    serve: Callable[..., Awaitable[LoopServer]], fetchers: Callable[..., PublicFetcher]
) -> None:
    gateway: LoopServer

    async def announced(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "image/png", "Content-Length": str(5 * MB)})
        await response.prepare(request)
        await response.write(b"0123456789")
        await gateway.release.wait()  # the rest never comes: reading the body would run into the deadline
        return response

    gateway = await serve({"/big": announced})
    with pytest.raises(FetchTooLargeError, match="5242880"):
        await fetchers(gateway.url).fetch(f"{gateway.url}/big", max_bytes=MB, deadline=10)


async def test_deadline_bounds_a_stalled_server(
    serve: Callable[..., Awaitable[LoopServer]], fetchers: Callable[..., PublicFetcher]
) -> None:
    gateway: LoopServer

    async def stall(request: web.Request) -> web.Response:
        await gateway.release.wait()
        return web.Response(body=b"late")

    gateway = await serve({"/stall": stall})
    fetcher = fetchers(gateway.url, read_timeout=60.0)  # only the deadline can end this
    started = time.monotonic()
    with pytest.raises(FetchTimeoutError, match=re.escape("within 0.3 s")):
        await fetcher.fetch(f"{gateway.url}/stall", max_bytes=MB, deadline=0.3)
    assert time.monotonic() - started < 3
    assert len(gateway.seen) == 1
