"""The SSRF guard on real sockets: names resolved (through a patched resolver) to addresses Podium
must not contact are refused at connect, before a byte is sent; the allowlist opens exactly the
networks it names; the check runs on every connection, so DNS rebinding between attempts is caught."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from registry.domain.network import AddressPolicy, Verdict
from registry.domain.webhook_settings import WebhookSettings
from registry.domain.webhooks import Kind
from tests.fixtures.receivers import Canary, Receiver, verify_delivery
from tests.fixtures.webhooks import fast_settings
from webhooks.sender import Job, Result, send
from webhooks.ssrf import Deadlines, ForbiddenAddress, guarded_pool

CLOSED = AddressPolicy(allowed_networks=(), allowed_ports=None)
SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def _job(url: str) -> Job:
    return Job(
        delivery_id=1,
        claim="c",
        number=1,
        round_attempts=1,
        redelivery=False,
        test=True,
        webhook_id=1,
        kind=Kind.HTTP,
        url=url,
        message_id="evt_" + "0" * 32,
        document={"id": "evt_" + "0" * 32, "type": "webhook.test", "data": {}},
        secrets=(SECRET,),
    )


@pytest.fixture
def deadlines() -> Iterator[Deadlines]:
    d = Deadlines()
    yield d
    d.close()


Attempt = Callable[[str, WebhookSettings], Result]


@pytest.fixture
def attempt(deadlines: Deadlines) -> Attempt:
    def run(url: str, settings: WebhookSettings) -> Result:
        return send(_job(url), guarded_pool(), deadlines, settings)

    return run


@pytest.fixture
def resolve(monkeypatch: pytest.MonkeyPatch) -> Callable[[str, list[tuple[str, int]]], None]:
    """`resolve(name, [(ip, port), ...])`: each lookup of `name` answers with the next address."""
    real = socket.getaddrinfo
    answers: dict[str, list[tuple[str, int]]] = {}

    def lookup(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host in answers:
            ip, real_port = answers[host].pop(0) if len(answers[host]) > 1 else answers[host][0]
            family = socket.AF_INET6 if ":" in ip else socket.AF_INET
            return [(family, socket.SOCK_STREAM, 6, "", (ip, real_port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", lookup)

    def add(name: str, addresses: list[tuple[str, int]]) -> None:
        answers[name] = list(addresses)

    return add


def test_a_public_name_resolving_to_loopback_is_refused_before_a_byte_is_sent(
    attempt: Attempt, resolve: Callable[..., None], canary: Canary
) -> None:
    resolve("hooks.example.com", [("127.0.0.1", canary.port)])
    result = attempt("http://hooks.example.com/hook", fast_settings(policy=CLOSED))
    assert not result.success
    assert result.error is not None and "SSRF guard" in result.error and "127.0.0.1" in result.error
    canary.close()  # joins its thread: every byte it will ever see has been counted
    assert canary.bytes == 0


def test_loopback_is_refused_without_the_allowlist_and_delivered_with_it(
    attempt: Attempt, receiver: Receiver
) -> None:
    url = receiver.url.replace("127.0.0.1", "localhost")
    refused = attempt(url, fast_settings(policy=CLOSED))
    assert "SSRF guard" in (refused.error or "")
    assert receiver.requests() == []
    allowed = attempt(url, fast_settings())
    assert allowed.success
    (got,) = receiver.wait_for(1)
    verify_delivery(got, SECRET)


def test_ipv4_mapped_addresses_are_judged_as_the_ipv4_address_they_carry(
    attempt: Attempt, resolve: Callable[..., None], receiver: Receiver
) -> None:
    resolve("mapped.example.com", [("::ffff:127.0.0.1", receiver.port)])
    refused = attempt("http://mapped.example.com/hook", fast_settings(policy=CLOSED))
    assert "(127.0.0.1) is not a public address" in (refused.error or "")
    # The allowlist names 127.0.0.0/8; the mapped form of an allowed address is allowed too.
    assert attempt("http://mapped.example.com/hook", fast_settings()).success


def test_dns_rebinding_between_attempts_is_caught(
    attempt: Attempt, resolve: Callable[..., None], canary: Canary
) -> None:
    """The name first resolves to an allowed receiver, then to a forbidden address."""
    allowed = Receiver(host="127.0.0.2")
    try:
        only_that_host = AddressPolicy(
            allowed_networks=(ipaddress.ip_network("127.0.0.2/32"),), allowed_ports=None
        )
        settings = fast_settings(policy=only_that_host)
        resolve("rebind.example.com", [("127.0.0.2", allowed.port), ("127.0.0.1", canary.port)])
        assert attempt(f"http://rebind.example.com:{allowed.port}/hook", settings).success
        second = attempt(f"http://rebind.example.com:{allowed.port}/hook", settings)
        assert "127.0.0.1 is not a public address" in (second.error or "")
        assert len(allowed.wait_for(1)) == 1
        canary.close()
        assert canary.bytes == 0
    finally:
        allowed.stop()


@dataclass(frozen=True)
class CountingPolicy(AddressPolicy):
    calls: list[str] = field(default_factory=list)

    def judge(self, address: Any, port: int | None = None) -> Verdict:
        self.calls.append(str(address))
        return super().judge(address, port)


def test_the_check_runs_once_per_connection_and_every_attempt_connects_afresh(
    attempt: Attempt, receiver: Receiver
) -> None:
    policy = CountingPolicy(allowed_networks=(ipaddress.ip_network("127.0.0.0/8"),), allowed_ports=None)
    settings = replace(fast_settings(), policy=policy)
    for _ in range(3):
        assert attempt(receiver.url, settings).success
    assert policy.calls == ["127.0.0.1"] * 3
    assert receiver.connections == 3


def test_no_connection_outside_an_attempt(receiver: Receiver) -> None:
    with pytest.raises(ForbiddenAddress, match="inside a delivery attempt"):
        guarded_pool().request("POST", receiver.url, body=b"{}", timeout=2, retries=False)
    assert receiver.requests() == []


def test_a_scheme_the_operator_no_longer_allows_is_not_contacted(
    attempt: Attempt, receiver: Receiver
) -> None:
    result = attempt(receiver.url, fast_settings(schemes=frozenset({"https"})))
    assert "scheme" in (result.error or "")
    assert receiver.connections == 0
