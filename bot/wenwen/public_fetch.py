"""Download URLs that a model wrote (Markdown images) without letting it reach internal addresses (SSRF guard).

Every address a host resolves to must be public, on every redirect hop, and the socket is opened to the very
address that was checked, so DNS cannot rebind between check and connect. The one exception is the gateway's
own origin, which may live on loopback or a LAN. No credentials, cookies or Referer are ever sent.
"""

from __future__ import annotations

import asyncio
import re
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from http.cookiejar import CookieJar, DefaultCookiePolicy
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network

import httpcore
import httpx

from .errors import ErrorKind, WenwenError, classify

Address = IPv4Address | IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]

_DEFAULT_PORTS = {"http": 80, "https": 443}
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_USER_AGENT = "wenwen-bot/0.1"
# What socket.inet_aton may read as IPv4: 1–4 dotted parts, each decimal, octal (0…) or hex (0x…)
_INET_ATON_LIKE = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+)){0,3}", re.IGNORECASE)
# Explicit, because `is_global` lets multicast through and its lists differ between Python versions
_BLOCKED = tuple(
    ip_network(net)
    for net in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
        "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15",
        "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
        "::/8", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32", "fc00::/7", "fe80::/10",
        "fec0::/10", "ff00::/8",
    )
)  # fmt: skip
_NAT64 = ip_network("64:ff9b::/96")


class PublicFetchError(WenwenError):
    """A download of a model-written URL failed. Messages never hold the URL's path, query or any secret."""


class UnsafeUrlError(PublicFetchError):
    """Refused by the rules: scheme, non-public address, too many redirects."""

    kind = ErrorKind.FORBIDDEN


class FetchTooLargeError(PublicFetchError):
    kind = ErrorKind.TOO_LARGE


class FetchNetworkError(PublicFetchError):
    kind = ErrorKind.NETWORK


class FetchTimeoutError(FetchNetworkError):
    """The deadline, or a connect/read timeout, ran out."""


class FetchStatusError(PublicFetchError):
    """The server answered something other than 200 (its body is not kept: it is untrusted text)."""


@dataclass(frozen=True, slots=True)
class Origin:
    scheme: str
    host: str  # lowercased, IPv6 without brackets
    port: int  # default port filled in

    @classmethod
    def of(cls, url: str | httpx.URL) -> Origin:
        # httpx parses here too, so the origin compared is the one httpx will connect to (no parser mismatch)
        try:
            parsed = url if isinstance(url, httpx.URL) else httpx.URL(url)
        except httpx.InvalidURL:
            raise UnsafeUrlError("not a valid URL") from None
        if parsed.scheme not in _DEFAULT_PORTS:
            raise UnsafeUrlError(f"scheme {parsed.scheme[:16]!r} is not allowed")
        if not parsed.host:
            raise UnsafeUrlError("URL has no host")
        return cls(parsed.scheme, parsed.host.lower(), parsed.port or _DEFAULT_PORTS[parsed.scheme])


def literal_ip(host: str) -> Address | None:
    """The address a host name spells, including inet_aton forms (`2130706433`, `0x7f000001`, `0177.0.0.1`, `127.1`)."""
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        return ip_address(host)
    except ValueError:
        pass
    # getaddrinfo reads these as IPv4 too, so they must be checked as such
    if _INET_ATON_LIKE.fullmatch(host):
        try:
            return IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def _embedded_ipv4(address: IPv6Address) -> IPv4Address | None:
    if address.ipv4_mapped is not None:  # unwrapped by hand: Python 3.11's is_global gets ::ffff:a.b.c.d wrong
        return address.ipv4_mapped
    if address in _NAT64:
        return IPv4Address(int(address) & 0xFFFFFFFF)
    return address.sixtofour


def is_public_address(address: Address) -> bool:
    if isinstance(address, IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return is_public_address(embedded)
    if any(address in net for net in _BLOCKED):
        return False
    special = address.is_private or address.is_loopback or address.is_link_local or address.is_multicast
    return address.is_global and not (special or address.is_reserved or address.is_unspecified)


async def _getaddrinfo(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves once, checks every address, then connects to a checked address literal (never the name again)."""

    def __init__(self, resolver: Resolver | None = None, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self._resolve = resolver or _getaddrinfo
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's signature
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        # TLS is started afterwards by httpcore with the origin host name, so SNI and verification are unchanged
        failure: Exception = httpcore.ConnectError("host has no address")
        for address in await self.public_addresses(host, port):
            try:
                return await self._inner.connect_tcp(
                    str(address), port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except httpcore.ConnectError as error:
                failure = error
        raise failure

    async def public_addresses(self, host: str, port: int) -> list[Address]:
        name = host.lower().rstrip(".")
        if name == "localhost" or name.endswith(".localhost"):  # RFC 6761: always loopback, whatever DNS says
            raise UnsafeUrlError("localhost is not public")
        literal = literal_ip(host)
        if literal is not None:
            addresses = [literal]
        else:
            try:
                found = await self._resolve(host, port)
            except OSError as error:
                raise httpcore.ConnectError(f"cannot resolve host: {error}") from None
            addresses = []
            for text in dict.fromkeys(found):
                parsed = literal_ip(text)
                if parsed is None:
                    raise UnsafeUrlError("resolver returned something that is not an address")
                addresses.append(parsed)
        for address in addresses:  # all, not just the first: the connect may fall through to any of them
            if not is_public_address(address):
                raise UnsafeUrlError(f"address {address} is not public")
        return addresses

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _GuardedTransport(httpx.AsyncHTTPTransport):
    def __init__(self, backend: httpcore.AsyncNetworkBackend, ssl_context: ssl.SSLContext, limits: httpx.Limits):
        super().__init__(verify=ssl_context, trust_env=False, limits=limits)
        # httpx <0.29 (pinned in pyproject.toml) has no public way to pass a network backend, so the private
        # pool it just built is replaced by the same pool plus the guard.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=backend,
        )


def _client(transport: httpx.AsyncBaseTransport, timeout: httpx.Timeout) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=transport,
        timeout=timeout,
        trust_env=False,  # no proxy or netrc from the environment: a proxy would connect past the guard
        follow_redirects=False,  # every hop is checked in PublicFetcher._follow
        cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),  # empty allow-list: no cookie kept
        # identity: a compressed body could inflate far past max_bytes inside a single chunk
        headers={"User-Agent": _USER_AGENT, "Accept-Encoding": "identity"},
    )


class PublicFetcher:
    """Downloads URLs from model output; only public addresses, or exactly the gateway's origin."""

    def __init__(
        self,
        gateway_url: str,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 20.0,
        max_redirects: int = 5,
        resolver: Resolver | None = None,
        network_backend: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self._gateway = Origin.of(gateway_url)
        self._max_redirects = max_redirects
        ssl_context = httpx.create_ssl_context()  # like GatewayHttp: certifi, or SSL_CERT_FILE/SSL_CERT_DIR
        limits = httpx.Limits(max_connections=20, max_keepalive_connections=5)
        timeout = httpx.Timeout(read_timeout, connect=connect_timeout, pool=connect_timeout)
        guard = GuardedBackend(resolver, network_backend)
        self._guarded = _client(_GuardedTransport(guard, ssl_context, limits), timeout)
        # the gateway may be private; it gets a client without the guard, and still without the API key
        self._plain = _client(httpx.AsyncHTTPTransport(verify=ssl_context, trust_env=False, limits=limits), timeout)

    async def aclose(self) -> None:
        await self._guarded.aclose()
        await self._plain.aclose()

    async def fetch(self, url: str, *, max_bytes: int, deadline: float) -> tuple[bytes, str]:
        """(body, content type) of a 200 answer; raises a PublicFetchError subclass otherwise."""
        try:
            async with asyncio.timeout(deadline):
                return await self._follow(httpx.URL(url), max_bytes)
        except TimeoutError:
            raise FetchTimeoutError(f"download did not finish within {deadline:g} s") from None
        except httpx.InvalidURL:
            raise UnsafeUrlError("not a valid URL") from None
        except httpx.TimeoutException as error:
            raise FetchTimeoutError(f"download timed out ({type(error).__name__})") from None
        except httpx.HTTPError as error:
            # httpx's transport messages hold the address at most, never our headers
            raise FetchNetworkError(f"{type(error).__name__}: {error}"[:300]) from None

    async def _follow(self, url: httpx.URL, max_bytes: int) -> tuple[bytes, str]:
        for _hop in range(self._max_redirects + 1):
            # chosen per hop: a redirect from the gateway to anywhere else goes through the guard again
            client = self._plain if Origin.of(url) == self._gateway else self._guarded
            if url.userinfo:  # httpx would turn user:password@ into an Authorization header
                raise UnsafeUrlError("URL carries credentials")
            response = await client.send(client.build_request("GET", url), stream=True)
            try:
                location = response.headers.get("location")
                if response.status_code in _REDIRECTS and location:
                    url = response.url.join(location)
                    continue
                return await _read_body(response, max_bytes)
            finally:
                await response.aclose()
        raise UnsafeUrlError(f"more than {self._max_redirects} redirects")


async def _read_body(response: httpx.Response, max_bytes: int) -> tuple[bytes, str]:
    status = response.status_code
    if status != 200:
        raise FetchStatusError("download failed", status=status, kind=classify(status, "", None))
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchTooLargeError(f"file of {declared} bytes is larger than {max_bytes} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > max_bytes:  # stop here: the rest is never read, the connection is dropped
            raise FetchTooLargeError(f"file larger than {max_bytes} bytes")
        chunks.append(chunk)
    return b"".join(chunks), response.headers.get("content-type", "application/octet-stream")
