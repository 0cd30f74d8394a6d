"""The SSRF address policy: only globally routable addresses, plus an explicit allowlist."""

from __future__ import annotations

import ipaddress

import pytest

from registry.domain.errors import InvalidParameter
from registry.domain.network import AddressPolicy, embedded_ipv4, literal_address, parse_networks, parse_ports

POLICY = AddressPolicy()

DENIED = [
    "127.0.0.1",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata
    "100.64.0.1",  # CGNAT: neither private nor global to ipaddress
    "0.0.0.0",
    "224.0.0.1",  # multicast: is_global is True in CPython 3.11
    "255.255.255.255",
    "::",
    "::1",
    "fe80::1",
    "fc00::1",
    "fd00:ec2::254",  # AWS's IPv6 metadata address
    "64:ff9b::7f00:1",  # NAT64 form of 127.0.0.1: is_global is True in CPython 3.11
    "64:ff9b::a9fe:a9fe",  # NAT64 form of 169.254.169.254
    "64:ff9b:1::1",
    "::ffff:127.0.0.1",
    "::ffff:169.254.169.254",
    "2002:7f00:1::1",  # 6to4 wrapping 127.0.0.1
    "ff02::1",
]
ALLOWED = ["8.8.8.8", "1.1.1.1", "140.82.112.3", "2606:4700:4700::1111", "2a00:1450:4001:80b::200e"]


@pytest.mark.parametrize("address", DENIED)
def test_non_global_addresses_are_denied(address: str) -> None:
    verdict = POLICY.judge(address, 443)
    assert not verdict.allowed
    assert "PODIUM_WEBHOOK_ALLOWED_NETWORKS" in verdict.reason


@pytest.mark.parametrize("address", ALLOWED)
def test_global_addresses_are_allowed_on_default_ports(address: str) -> None:
    assert POLICY.judge(address, 443).allowed
    assert POLICY.judge(address, 80).allowed
    verdict = POLICY.judge(address, 8443)
    assert not verdict.allowed and "PODIUM_WEBHOOK_ALLOWED_PORTS" in verdict.reason


def test_is_global_gaps_are_covered_by_the_deny_list() -> None:
    # Why the deny list exists: these pass `is_global` in this Python.
    assert ipaddress.ip_address("64:ff9b::7f00:1").is_global
    assert not POLICY.judge("64:ff9b::7f00:1", 443).allowed


def test_the_allowlist_opens_exactly_what_it_names_on_any_port() -> None:
    policy = AddressPolicy(allowed_networks=tuple(parse_networks("127.0.0.0/8, 10.1.0.0/16")))
    assert policy.judge("127.0.0.1", 9999).allowed
    assert policy.judge("::ffff:127.0.0.1", 9999).allowed  # the same host, IPv4-mapped
    assert policy.judge("10.1.200.3", 9999).allowed
    assert not policy.judge("10.2.0.1", 443).allowed
    assert not policy.judge("169.254.169.254", 80).allowed
    assert not policy.judge("::1", 443).allowed


def test_embedded_ipv4() -> None:
    assert str(embedded_ipv4(ipaddress.ip_address("::ffff:10.0.0.1"))) == "10.0.0.1"
    assert str(embedded_ipv4(ipaddress.ip_address("64:ff9b::a00:1"))) == "10.0.0.1"
    assert str(embedded_ipv4(ipaddress.ip_address("2002:a00:1::"))) == "10.0.0.1"
    assert embedded_ipv4(ipaddress.ip_address("2606:4700::1")) is None
    assert embedded_ipv4(ipaddress.ip_address("10.0.0.1")) is None


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),  # decimal
        ("0x7f.1", "127.0.0.1"),  # hex, short form
        ("0177.0.0.1", "127.0.0.1"),  # octal
        ("[::ffff:127.0.0.1]", "::ffff:7f00:1"),
        ("169.254.169.254", "169.254.169.254"),
        ("hooks.example.com", None),
    ],
)
def test_literal_addresses_in_every_spelling(host: str, expected: str | None) -> None:
    found = literal_address(host)
    assert (str(found) if found is not None else None) == expected


def test_settings_are_checked() -> None:
    with pytest.raises(InvalidParameter, match="not a CIDR"):
        parse_networks("10.0.0.0/33")
    with pytest.raises(InvalidParameter, match="not a port"):
        parse_ports("443,https")
    assert parse_ports("*") is None
    assert parse_ports(None) == frozenset({80, 443})
    assert parse_ports("8443 443") == frozenset({443, 8443})
