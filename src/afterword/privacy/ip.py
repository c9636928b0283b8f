"""IP addresses as Afterword stores them.

Shown and kept: the network prefix only (IPv4 /24, IPv6 /48), enough to moderate and to
spot a flood, not enough to name a household. For rate limits and reputation a keyed hash
of the full address is used; rotating the key (see ``hash_ip``'s ``epoch``) unlinks old hashes.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
from datetime import UTC, datetime


def parse_ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        ip = ipaddress.ip_address(value.strip().split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        return ip.ipv4_mapped
    return ip


def _network(value: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    ip = parse_ip(value)
    if ip is None:
        return None
    # From the parsed address, not its text: parsing is most of the cost, on every request.
    return ipaddress.ip_network((ip, 24 if ip.version == 4 else 48), strict=False)


# A dotted quad as ``ipaddress`` writes it (no leading zeros, each part under 256), which is
# what nearly every address arrives as: its /24 is its text up to the last dot. Parsing it
# was 7 µs of an Akismet check.
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_CANONICAL_IPV4 = re.compile(rf"(?:{_OCTET}\.){{3}}{_OCTET}")


def anonymize_ip(value: str) -> str:
    """``203.0.113.77`` -> ``203.0.113.0``; ``2001:db8:1:2::5`` -> ``2001:db8:1::``; junk -> ``""``."""
    if _CANONICAL_IPV4.fullmatch(value):
        return value[:value.rindex(".")] + ".0"
    net = _network(value)
    return "" if net is None else str(net.network_address)


def ip_prefix(value: str) -> str:
    """The prefix in CIDR form (``203.0.113.0/24``), the unit for velocity limits."""
    net = _network(value)
    return "" if net is None else str(net)


def hash_ip(value: str, secret: bytes, epoch: str = "") -> str:
    """Keyed digest of the full address; ``epoch`` (e.g. the month) rotates the key."""
    ip = parse_ip(value)
    if ip is None:
        return ""
    return hmac.new(secret + epoch.encode(), ip.packed, hashlib.sha256).hexdigest()[:32]


def ip_epoch(when: datetime, rotation_days: int) -> str:
    """The key period ``when`` falls in: a new one every ``rotation_days`` since 1970.

    Every worker and machine computes the same epoch from the clock alone, so rotation needs
    no coordination; the retention job erases hashes made under earlier periods.
    """
    return f"e{int(when.timestamp()) // (rotation_days * 86400)}"


def epoch_start(when: datetime, rotation_days: int) -> datetime:
    """When the key period containing ``when`` began (hashes older than this are unlinkable)."""
    period = rotation_days * 86400
    return datetime.fromtimestamp(int(when.timestamp()) // period * period, UTC)


def current_hash_ip(value: str, secret: bytes, rotation_days: int,
                    now: datetime | None = None) -> str:
    """``hash_ip`` under the key of the current period."""
    return hash_ip(value, secret, ip_epoch(now or datetime.now(UTC), rotation_days))
