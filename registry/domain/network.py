"""Which network addresses Podium may send webhooks to (the SSRF policy).

A webhook URL is user input that the server will call, so only globally routable addresses are
contacted. `ipaddress.is_global` alone is not enough: in CPython 3.11 it calls NAT64 addresses
(`64:ff9b::7f00:1` is 127.0.0.1 behind NAT64) and multicast global, and it has had wrong ranges
before, so an explicit deny list backs it, and addresses that embed an IPv4 address (IPv4-mapped,
NAT64, 6to4, Teredo) are judged by that IPv4 address too. Operators open private networks with an
explicit allowlist of CIDRs (for receivers inside their network, and tests on loopback), never with a
global "allow private" switch. The policy judges numbers only; the sender applies it to the address
of the connected socket, so every spelling of a host and every DNS answer ends in this one check.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field

from registry.domain.errors import InvalidParameter

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

DENIED_NETWORKS: tuple[IPNetwork, ...] = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",  # CGNAT: neither private nor global in ipaddress's eyes
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local, including the cloud metadata address 169.254.169.254
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "224.0.0.0/4",  # multicast (224.0.0.1 is "global" to ipaddress)
        "240.0.0.0/4",
        "::/128",
        "::1/128",
        "64:ff9b::/96",  # NAT64 (is_global is True for these in CPython 3.11)
        "64:ff9b:1::/48",  # local-use NAT64
        "fc00::/7",
        "fe80::/10",
        "fec0::/10",
        "ff00::/8",
        "fd00:ec2::254/128",  # AWS's IPv6 metadata address
    )
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: str


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, NAT64, 6to4, Teredo client), if any."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    return None


def parse_networks(value: str | None, setting: str = "PODIUM_WEBHOOK_ALLOWED_NETWORKS") -> list[IPNetwork]:
    """CIDRs separated by commas or spaces (`127.0.0.0/8, 10.1.0.0/16`); a bare address is a /32."""
    networks: list[IPNetwork] = []
    for item in (value or "").replace(",", " ").split():
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise InvalidParameter(f"{setting}: {item!r} is not a CIDR such as 10.0.0.0/8.") from None
    return networks


@dataclass(frozen=True)
class AddressPolicy:
    """Allow globally routable addresses, plus whatever the operator's allowlist names."""

    allowed_networks: tuple[IPNetwork, ...] = ()
    # Ports that public receivers may use; None allows any. Allowlisted networks may use any port.
    allowed_ports: frozenset[int] | None = field(default=frozenset({80, 443}))

    def in_allowlist(self, address: IPAddress) -> bool:
        candidates = [address]
        inner = embedded_ipv4(address)
        if inner is not None:
            candidates.append(inner)
        return any(c in n for c in candidates for n in self.allowed_networks if c.version == n.version)

    def judge(self, address: IPAddress | str, port: int | None = None) -> Verdict:
        """May Podium open a connection to `address` (and `port`)?"""
        ip = ipaddress.ip_address(address.split("%", 1)[0] if isinstance(address, str) else address)
        if self.in_allowlist(ip):
            return Verdict(True, f"{ip} is in the allowed networks")
        inner = embedded_ipv4(ip)
        for candidate in (ip, inner):
            if candidate is None:
                continue
            if not candidate.is_global or any(candidate in n for n in _same_family(candidate)):
                shown = f"{ip} ({inner})" if inner is not None else str(ip)
                return Verdict(
                    False,
                    f"{shown} is not a public address; to deliver to it, add its network to "
                    "PODIUM_WEBHOOK_ALLOWED_NETWORKS",
                )
        if port is not None and self.allowed_ports is not None and port not in self.allowed_ports:
            allowed = ", ".join(str(p) for p in sorted(self.allowed_ports))
            return Verdict(
                False,
                f"port {port} is not allowed for public receivers (allowed: {allowed}); set "
                "PODIUM_WEBHOOK_ALLOWED_PORTS",
            )
        return Verdict(True, f"{ip} is a public address")


def _same_family(address: IPAddress) -> Iterable[IPNetwork]:
    return (n for n in DENIED_NETWORKS if n.version == address.version)


def parse_ports(value: str | None, setting: str = "PODIUM_WEBHOOK_ALLOWED_PORTS") -> frozenset[int] | None:
    """`80,443` (the default), or `*` for any port."""
    if value is None or value.strip() == "":
        return frozenset({80, 443})
    if value.strip() == "*":
        return None
    ports: set[int] = set()
    for item in value.replace(",", " ").split():
        if not item.isdigit() or not 0 < int(item) < 65536:
            raise InvalidParameter(f"{setting}: {item!r} is not a port number (or use '*').")
        ports.add(int(item))
    return frozenset(ports)


def literal_address(host: str) -> IPAddress | None:
    """The address a host names when it is an IP literal in any spelling, else None.

    `inet_aton` accepts the legacy IPv4 spellings resolvers also accept (`2130706433`, `0x7f.1`,
    `0177.0.0.1`), so a URL cannot slip a loopback address past a check at registration.
    """
    text = host.strip("[]")
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(text))
    except OSError:
        return None
