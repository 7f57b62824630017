"""One canonical spelling per indicator, so the platform stores it once and the sensor matches
it by plain string or integer comparison.

Lists are often big (a million lines), so the common case, an already canonical IPv4 address
or lower-case ASCII domain, is recognised by one precompiled regular expression and never
goes through `ipaddress`, which costs ten times more.
"""

from __future__ import annotations

import ipaddress
import re

import idna

from vigie.engines.indicators.model import IndicatorProblemError, IndicatorType, cut

__all__ = [
    "infer_and_normalise",
    "infer_type",
    "normalise",
    "refang",
]

_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
# Dotted quad without leading zeros: exactly what str(IPv4Address) writes back.
CANONICAL_IPV4 = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}")
_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
# Lower-case ASCII name, labels of 1-63 characters, the last one not all digits (that would be
# an address). The underscore is allowed: real DNS names carry it (_dmarc, SRV records) and
# blocklists list such names.
CANONICAL_DOMAIN = re.compile(rf"(?=.{{1,253}}\Z)(?:{_LABEL}\.)*(?![0-9]+\Z){_LABEL}")
_LOOKS_IPV4 = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}(?:/[0-9]{1,2})?")
_LOOKS_IPV6 = re.compile(r"[0-9a-fA-F:]*:[0-9a-fA-F:.]*(?:%[^/\s]+)?(?:/[0-9]{1,3})?")
_HEX = re.compile(r"[0-9a-fA-F]+")
_URL = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)(.*)", re.DOTALL)
_HAS_SPACE = re.compile(r"[\s\x00-\x1f\x7f]")
# Defanged forms analysts paste from reports: example[.]com, 1.2.3(.)4, hxxps[:]//, user[@]x.
_DEFANGED_DOT = re.compile(r"\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)", re.IGNORECASE)
_DEFANGED_AT = re.compile(r"\[@\]|\(@\)|\[at\]|\(at\)", re.IGNORECASE)
_DEFANGED_SCHEME = re.compile(r"^(?:hxxp|hxtp|htxp)(s?)(\[:\]|:)?", re.IGNORECASE)
_HASH_LENGTHS = {32: IndicatorType.MD5, 40: IndicatorType.SHA1, 64: IndicatorType.SHA256}


def _bad(value: str, type_: IndicatorType, reason: str) -> IndicatorProblemError:
    return IndicatorProblemError(
        "bad_value", {"value": cut(value), "type": type_.value, "reason": reason}
    )


def refang(value: str) -> str:
    """The usable form of a defanged value (`hxxp://example[.]com` -> `http://example.com`)."""
    value = _DEFANGED_SCHEME.sub(lambda m: "http" + m.group(1) + (":" if m.group(2) else ""), value)
    value = _DEFANGED_DOT.sub(".", value)
    value = _DEFANGED_AT.sub("@", value)
    return value.replace("[:]", ":").replace("[://]", "://")


def _maybe_defanged(value: str) -> bool:
    return "[" in value or "(" in value or "{" in value or value[:2].lower() == "hx"


def _domain(value: str, original: str, type_: IndicatorType) -> str:
    name = value.lower()
    if name.endswith("."):
        name = name[:-1]
    # "*.example.com" and maltrail's ".xyz" both mean "this name and everything below it",
    # which is how a domain indicator matches anyway.
    if name.startswith("*."):
        name = name[2:]
    elif name.startswith("."):
        name = name[1:]
    if CANONICAL_DOMAIN.fullmatch(name):
        return name
    if not name.isascii():
        name = _to_punycode(name, original, type_)
        if CANONICAL_DOMAIN.fullmatch(name):
            return name
    raise _bad(original, type_, "not_a_domain")


def _to_punycode(name: str, original: str, type_: IndicatorType) -> str:
    try:
        # IDNA 2008 with the UTS 46 mapping, as registries and browsers apply it today.
        return idna.encode(name, uts46=True).decode("ascii")
    except idna.IDNAError:
        pass
    try:
        # IDNA 2003 still resolves names IDNA 2008 forbids (emoji, some symbols), and
        # malicious domains use exactly those.
        return name.encode("idna").decode("ascii")
    except UnicodeError:
        raise _bad(original, type_, "bad_idna") from None


def _address(value: str, original: str, type_: IndicatorType) -> tuple[IndicatorType, str]:
    """An address, or a network with `/len` (a /32 or /128 is the bare address)."""
    if "/" in value:
        try:
            network = ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise _bad(original, type_, "not_an_address") from None
        family = IndicatorType.IPV4 if network.version == 4 else IndicatorType.IPV6
        if network.prefixlen == network.max_prefixlen:
            return family, network.network_address.compressed
        return family, network.with_prefixlen
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        raise _bad(original, type_, "not_an_address") from None
    family = IndicatorType.IPV4 if address.version == 4 else IndicatorType.IPV6
    return family, address.compressed


def _ip(value: str, original: str, type_: IndicatorType) -> tuple[IndicatorType, str]:
    if CANONICAL_IPV4.fullmatch(value):
        return IndicatorType.IPV4, value
    return _address(value.lower(), original, type_)


def _cidr(value: str, original: str) -> tuple[IndicatorType, str]:
    try:
        network = ipaddress.ip_network(value.lower(), strict=False)
    except ValueError:
        raise _bad(original, IndicatorType.CIDR, "not_a_network") from None
    return IndicatorType.CIDR, network.with_prefixlen


def _host(value: str, original: str, type_: IndicatorType) -> str:
    """The host of a URL: a name, an IPv4 address, or an IPv6 address in brackets."""
    if value.startswith("[") and value.endswith("]"):
        try:
            return "[" + ipaddress.IPv6Address(value[1:-1]).compressed + "]"
        except ValueError:
            raise _bad(original, type_, "bad_host") from None
    if CANONICAL_IPV4.fullmatch(value):
        return value
    if _LOOKS_IPV4.fullmatch(value):
        try:
            return ipaddress.IPv4Address(value).compressed
        except ValueError:
            raise _bad(original, type_, "bad_host") from None
    return _domain(value, original, type_)


def _url(value: str, original: str) -> tuple[IndicatorType, str]:
    if _HAS_SPACE.search(value):
        raise _bad(original, IndicatorType.URL, "bad_character")
    match = _URL.fullmatch(value)
    if match is None:
        raise _bad(original, IndicatorType.URL, "not_absolute")
    scheme, authority, rest = match.groups()
    userinfo, at, hostport = authority.rpartition("@")
    host, port = hostport, ""
    if hostport.startswith("["):
        end = hostport.find("]")
        if end >= 0 and hostport[end + 1 : end + 2] == ":":
            host, port = hostport[: end + 1], hostport[end + 2 :]
    elif ":" in hostport:
        host, _, port = hostport.rpartition(":")
    if not host or (port and not port.isdigit()):
        raise _bad(original, IndicatorType.URL, "bad_host")
    host = _host(host, original, IndicatorType.URL)
    # Path, query and fragment are kept byte for byte: servers treat them case-sensitively.
    return IndicatorType.URL, (
        f"{scheme.lower()}://{userinfo}{at}{host}{':' if port else ''}{port}{rest}"
    )


def _hash(value: str, original: str, type_: IndicatorType) -> tuple[IndicatorType, str]:
    expected = {IndicatorType.MD5: 32, IndicatorType.SHA1: 40, IndicatorType.SHA256: 64}[type_]
    if len(value) != expected or not _HEX.fullmatch(value):
        raise _bad(original, type_, "not_a_hash")
    return type_, value.lower()


def _email(value: str, original: str) -> tuple[IndicatorType, str]:
    local, at, domain = value.rpartition("@")
    if not at or not local or _HAS_SPACE.search(local):
        raise _bad(original, IndicatorType.EMAIL, "not_an_email")
    if domain.startswith((".", "*")):
        raise _bad(original, IndicatorType.EMAIL, "not_an_email")
    # The local part stays as written: RFC 5321 lets servers treat it case-sensitively.
    return IndicatorType.EMAIL, local + "@" + _domain(domain, original, IndicatorType.EMAIL)


def normalise(type_: IndicatorType, value: str) -> tuple[IndicatorType, str]:
    """The canonical value and its (possibly refined) type.

    A domain or ipv4/ipv6 value that is really another family is refined (an `ip` column
    holding an IPv6 address gives IPV6; a `domain` holding an address gives that address).
    Raises IndicatorProblemError("bad_value", {"value", "type", "reason"}).
    """
    text = value.strip()
    if not text:
        raise _bad(value, type_, "empty")
    if _maybe_defanged(text):
        text = refang(text)
    if type_ is IndicatorType.DOMAIN:
        if CANONICAL_DOMAIN.fullmatch(text):
            return IndicatorType.DOMAIN, text
        if _LOOKS_IPV4.fullmatch(text) or ":" in text:
            return _ip(text, value, type_)
        return IndicatorType.DOMAIN, _domain(text, value, type_)
    if type_ is IndicatorType.IPV4 or type_ is IndicatorType.IPV6:
        return _ip(text, value, type_)
    if type_ is IndicatorType.CIDR:
        return _cidr(text, value)
    if type_ is IndicatorType.URL:
        return _url(text, value)
    if type_ is IndicatorType.EMAIL:
        return _email(text, value)
    return _hash(text, value, type_)


def infer_type(value: str) -> IndicatorType | None:
    """The type a bare value has by its shape, for lists that do not say; None when none.

    Beyond a scheme, a value of the form `host/path` (maltrail's URL trails) also infers as
    URL; use `infer_and_normalise`, which gives such a value its `http://`.
    """
    text = value.strip()
    if not text:
        return None
    if _maybe_defanged(text):
        text = refang(text)
    if CANONICAL_IPV4.fullmatch(text):
        return IndicatorType.IPV4
    if "://" in text:
        return IndicatorType.URL
    if _LOOKS_IPV4.fullmatch(text):
        return IndicatorType.CIDR if "/" in text else IndicatorType.IPV4
    if "@" in text:
        return IndicatorType.EMAIL
    if ":" in text and _LOOKS_IPV6.fullmatch(text):
        return IndicatorType.CIDR if "/" in text else IndicatorType.IPV6
    hash_type = _HASH_LENGTHS.get(len(text))
    if hash_type is not None and _HEX.fullmatch(text):
        return hash_type
    if "/" in text:
        host = text.split("/", 1)[0].split(":", 1)[0]
        if host and (CANONICAL_IPV4.fullmatch(host) or "." in host):
            return IndicatorType.URL
        return None
    if "." in text.strip("."):
        return IndicatorType.DOMAIN
    if text.startswith(".") and len(text) > 1:
        return IndicatorType.DOMAIN  # ".xyz": a whole top-level domain (maltrail)
    return None


def infer_and_normalise(value: str) -> tuple[IndicatorType, str]:
    """infer_type then normalise, with the fast path for canonical IPv4 addresses and domains.

    Raises IndicatorProblemError("unknown_type", {"value"}) when the shape says nothing, or
    "bad_value" when it does but the value is unusable.
    """
    if CANONICAL_IPV4.fullmatch(value):
        return IndicatorType.IPV4, value
    if "." in value and CANONICAL_DOMAIN.fullmatch(value):
        return IndicatorType.DOMAIN, value
    type_ = infer_type(value)
    if type_ is None:
        raise IndicatorProblemError("unknown_type", {"value": cut(value)})
    if type_ is IndicatorType.URL:
        text = value.strip()
        if "://" not in text and "://" not in refang(text):
            # A scheme-less trail names what an HTTP request shows: host and path.
            return normalise(type_, "http://" + text)
    return normalise(type_, value)
