"""Settings, read once from PODIUM_* environment variables and CLI flags.

Nothing else in Podium reads the environment: `create_app`, the CLI and the worker receive a
Settings object and hand what each part needs down to it.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

DEFAULT_HOME = Path(".podium")


class ConfigError(ValueError):
    """The configuration cannot work; the message says what to change."""


def _bool(value: str, name: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"{name}={value!r}: expected on/off, true/false, yes/no or 1/0.")


def is_loopback(host: str) -> bool:
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Settings:
    database_url: str = f"sqlite:///{DEFAULT_HOME / 'podium.db'}"
    artifacts_uri: str = str(DEFAULT_HOME / "artifacts")
    s3_endpoint_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 5000
    workers: int = 2
    threads: int = 8
    # Off is allowed only on loopback (see `check`).
    auth: bool = False
    secret_key: str | None = None
    auto_migrate: bool = True
    log_level: str = "info"
    # Extra settings owned by feature areas (webhooks, UI...), by their PODIUM_* names.
    extra: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from PODIUM_* variables, then `overrides` (CLI flags; None means unset)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name == "extra":
                continue
            raw = env.get(f"PODIUM_{f.name.upper()}")
            if raw is None or raw == "":
                continue
            values[f.name] = _convert(f.name, raw)
        if "s3_endpoint_url" not in values and env.get("MLFLOW_S3_ENDPOINT_URL"):
            # MLflow users already have this set for their S3-compatible store.
            values["s3_endpoint_url"] = env["MLFLOW_S3_ENDPOINT_URL"]
        values["extra"] = {k: v for k, v in env.items() if k.startswith("PODIUM_")}
        for key, value in overrides.items():
            if value is not None:
                values[key] = value
        settings = cls(**values)
        settings.check()
        return settings

    def with_overrides(self, **overrides: Any) -> Settings:
        clean = {k: v for k, v in overrides.items() if v is not None}
        updated = replace(self, **clean)
        updated.check()
        return updated

    def check(self) -> None:
        """Refuse configurations that cannot be safe or cannot work."""
        if not self.auth and not is_loopback(self.host):
            raise ConfigError(
                f"Refusing to listen on {self.host} with authentication off: anyone who can reach "
                "this address could change the registry. Turn auth on (PODIUM_AUTH=on or --auth) "
                "and create tokens with `podium tokens create`, or listen on 127.0.0.1."
            )
        if not 0 < self.port < 65536:
            raise ConfigError(f"Port {self.port} is out of range.")
        if self.workers < 1 or self.threads < 1:
            raise ConfigError("workers and threads must be at least 1.")

    def setting(self, name: str, default: str | None = None) -> str | None:
        """A feature area's own PODIUM_* setting (e.g. 'PODIUM_WEBHOOK_ALLOWED_NETWORKS')."""
        return self.extra.get(name, default)


def _convert(name: str, raw: str) -> Any:
    if name in ("port", "workers", "threads"):
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"PODIUM_{name.upper()}={raw!r}: expected an integer.") from None
    if name in ("auth", "auto_migrate"):
        return _bool(raw, f"PODIUM_{name.upper()}")
    return raw
