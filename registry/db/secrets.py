"""Secrets kept at rest (webhook signing secrets, GitHub tokens), encrypted with the server's key.

`PODIUM_SECRET_KEY` holds one or more keys separated by commas: the first encrypts, every one
decrypts, so an operator rotates by putting a new key first and keeping the old one until the
stored secrets have been rewritten. Each key is stretched with HKDF-SHA256 into a Fernet key
(AES-128-CBC + HMAC-SHA256, authenticated), so any long random string works as a key. A missing
key only matters when a secret has to be stored or read: the server runs without one.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from registry.domain.errors import NotConfigured

MIN_KEY_LENGTH = 32
_INFO = b"podium secret box v1"
HOW_TO_SET = (
    "Set PODIUM_SECRET_KEY on the server, the workers and the CLI to the same random string of at "
    "least 32 characters, e.g. export PODIUM_SECRET_KEY=$(python3 -c 'import secrets; "
    "print(secrets.token_urlsafe(32))')"
)


def _fernet(key: str) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(key.encode("utf-8"))
    return Fernet(base64.urlsafe_b64encode(derived))


class SecretBox:
    """Seals and opens short secrets with the server key(s); see the module docstring."""

    def __init__(self, keys: str | None) -> None:
        parts = [k.strip() for k in (keys or "").split(",") if k.strip()]
        short = [k for k in parts if len(k) < MIN_KEY_LENGTH]
        if short:
            raise NotConfigured(
                f"PODIUM_SECRET_KEY holds a key shorter than {MIN_KEY_LENGTH} characters. {HOW_TO_SET}."
            )
        self._box = MultiFernet([_fernet(k) for k in parts]) if parts else None

    @property
    def configured(self) -> bool:
        return self._box is not None

    def _require(self, doing: str) -> MultiFernet:
        if self._box is None:
            raise NotConfigured(f"Podium needs a secret key to {doing}. {HOW_TO_SET}.")
        return self._box

    def seal(self, plaintext: str) -> str:
        return self._require("store webhook secrets encrypted").encrypt(plaintext.encode("utf-8")).decode()

    def open(self, sealed: str) -> str:
        box = self._require("read webhook secrets")
        try:
            return box.decrypt(sealed.encode()).decode("utf-8")
        except InvalidToken:
            raise NotConfigured(
                "A stored webhook secret cannot be decrypted with PODIUM_SECRET_KEY: the key changed. "
                "Put the old key back after the new one (PODIUM_SECRET_KEY=new,old), or rotate the "
                "webhook's secret."
            ) from None
