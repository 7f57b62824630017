"""A guard on user-supplied webhook URLs against server-side request forgery.

An administrator of an establishment types the URL; the platform's workers send to it from inside
the operator's network. Without a guard, a URL could reach the cloud metadata service, the
database, or any internal host. Rules:
- http(s) only, https unless VIGIE_WEBHOOK_ALLOW_HTTP; no credentials in the URL;
- the host is resolved and EVERY address must be public: loopback, private (RFC 1918,
  fc00::/7), link-local (169.254/16 with the metadata service, fe80::/10), multicast,
  unspecified, reserved, shared CGNAT 100.64/10, and IPv6 forms embedding an IPv4 address
  (mapped, 6to4, Teredo, NAT64) of those are refused;
- VIGIE_WEBHOOK_ALLOWED_NETWORKS (CIDR list) lets an operator allow an internal receiver.
The check runs when the channel is saved and again at every send, and the sender connects to the
address it checked (no second resolution): a name that resolves to a public address at save
time and to 127.0.0.1 later (DNS rebinding) is refused at send time.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Sequence[str]]

_SHARED_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class UnsafeURL(ValueError):
    """A URL the platform refuses to send to. `code` says why; `detail` names the culprit."""

    def __init__(self, code: str, detail: str = "") -> None:
        self.code = code
        self.detail = detail
        super().__init__(f"{code}: {detail}" if detail else code)


class UnresolvableHost(UnsafeURL):
    """The name does not resolve now: may be temporary when sending."""


@dataclass(frozen=True, slots=True)
class Target:
    scheme: str
    host: str  # the name, sent as Host and as TLS server name
    port: int
    request_target: str  # path and query
    addresses: tuple[IPAddress, ...]  # checked addresses, to connect to


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


@lru_cache(maxsize=8)
def _parse_networks(values: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value, strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"VIGIE_WEBHOOK_ALLOWED_NETWORKS: {value!r} is not a network (e.g. 10.1.2.0/24)"
            ) from None
    return tuple(networks)


def allowed_networks() -> tuple[IPNetwork, ...]:
    return _parse_networks(tuple(settings.VIGIE_WEBHOOK_ALLOWED_NETWORKS))


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.is_site_local:
        return False
    return not (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_unspecified
        or address.is_reserved
        or (isinstance(address, ipaddress.IPv4Address) and address in _SHARED_CGNAT)
        or not address.is_global
    )


def is_allowed_address(address: IPAddress) -> bool:
    candidates: list[IPAddress] = [address]
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            # ::ffff:127.0.0.1 is 127.0.0.1 to the kernel: judge (and allow) it as such.
            if address.ipv4_mapped is not None:
                candidates = [embedded]
            else:
                candidates.append(embedded)
    networks = allowed_networks()
    if all(any(c in net for net in networks if c.version == net.version) for c in candidates):
        return True
    return all(_is_public(candidate) for candidate in candidates)


def check_url(url: str, *, resolver: Resolver = system_resolver) -> Target:
    """The checked target of `url`, or UnsafeURL. Resolves the host name (blocking)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise UnsafeURL("malformed", "") from None
    scheme = parts.scheme.lower()
    allowed_schemes = {"https", "http"} if settings.VIGIE_WEBHOOK_ALLOW_HTTP else {"https"}
    if scheme not in allowed_schemes:
        raise UnsafeURL("scheme", scheme or "")
    if parts.username is not None or parts.password is not None:
        raise UnsafeURL("credentials")
    host = parts.hostname
    if not host:
        raise UnsafeURL("host")
    port = port or (443 if scheme == "https" else 80)
    request_target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        raw = [str(literal)]
    else:
        try:
            raw = list(resolver(host, port))
        except (OSError, UnicodeError) as exc:
            raise UnresolvableHost("resolve", host) from exc
        if not raw:
            raise UnresolvableHost("resolve", host)
    addresses: list[IPAddress] = []
    for value in raw:
        # getaddrinfo gives "fe80::1%eth0" for scoped addresses: the scope is not an address.
        address = ipaddress.ip_address(value.split("%", 1)[0])
        if not is_allowed_address(address):
            raise UnsafeURL("address", str(address))
        if address not in addresses:
            addresses.append(address)
    return Target(
        scheme=scheme,
        host=host,
        port=port,
        request_target=request_target,
        addresses=tuple(addresses),
    )
