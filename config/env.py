"""The one place Kitabkhana reads its environment.

Every setting that may differ between a laptop, CI and production comes from an
environment variable read here, so nothing else calls ``os.environ``.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

_TRUE = {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Environment:
    data_dir: Path
    database_url: str | None
    secret_key: str
    debug: bool
    allowed_hosts: list[str]
    search_backend: str
    task_backend: str
    redis_url: str
    oai_repository_identifier: str = ""
    admin_email: str = ""
    union_matching: bool = True
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_tls: bool = True
    mail_from: str = "Kitabkhana <noreply@localhost>"
    trusted_proxy: str = ""
    reading_room_networks: tuple[str, ...] = ()


def read_environment(environ: dict[str, str] | None = None) -> Environment:
    env = os.environ if environ is None else environ
    data_dir = Path(env.get("KITABKHANA_DATA_DIR", "var")).expanduser().resolve()
    debug = env.get("KITABKHANA_DEBUG", "").strip().lower() in _TRUE
    hosts = env.get("KITABKHANA_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
    return Environment(
        data_dir=data_dir,
        database_url=env.get("KITABKHANA_DATABASE_URL") or None,
        # A fixed key is only acceptable for the embedded, loopback-only default; production sets its own.
        secret_key=env.get("KITABKHANA_SECRET_KEY", "kitabkhana-embedded-insecure-key-set-KITABKHANA_SECRET_KEY"),
        debug=debug,
        allowed_hosts=[h.strip() for h in hosts.split(",") if h.strip()],
        search_backend=env.get(
            "KITABKHANA_SEARCH_BACKEND", "kitabkhana.catalogue.search.tantivy_backend.TantivySearchBackend"
        ),
        task_backend=env.get("KITABKHANA_TASK_BACKEND", "kitabkhana.tasks.backends.ThreadTaskBackend"),
        redis_url=env.get("KITABKHANA_REDIS_URL", "redis://127.0.0.1:6379/0"),
        oai_repository_identifier=env.get("KITABKHANA_OAI_REPOSITORY_IDENTIFIER", ""),
        admin_email=env.get("KITABKHANA_ADMIN_EMAIL", ""),
        # Off only for a bulk load followed by `kitabkhana clusters --rebuild`.
        union_matching=env.get("KITABKHANA_UNION_MATCHING", "1").strip().lower() in _TRUE,
        # Without an SMTP host, mail (deposit claims) is written to files under the data directory.
        smtp_host=env.get("KITABKHANA_SMTP_HOST", ""),
        smtp_port=int(env.get("KITABKHANA_SMTP_PORT", "587")),
        smtp_user=env.get("KITABKHANA_SMTP_USER", ""),
        smtp_password=env.get("KITABKHANA_SMTP_PASSWORD", ""),
        smtp_tls=env.get("KITABKHANA_SMTP_TLS", "1").strip().lower() in _TRUE,
        mail_from=env.get("KITABKHANA_MAIL_FROM", "Kitabkhana <noreply@localhost>"),
        # The reverse proxy's address: its X-Forwarded-For becomes the reader's address (reading rooms).
        trusted_proxy=env.get("KITABKHANA_TRUSTED_PROXY", ""),
        reading_room_networks=_networks(env.get("KITABKHANA_READING_ROOM_NETWORKS", "")),
    )


def _networks(text: str) -> tuple[str, ...]:
    """Reading-room address blocks, comma-separated CIDR; a mistyped one stops the start, naming it."""
    networks = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        try:
            networks.append(str(ipaddress.ip_network(part, strict=False)))
        except ValueError as exc:
            raise ValueError(f"KITABKHANA_READING_ROOM_NETWORKS: {part!r} is not an address block ({exc})") from None
    return tuple(networks)
