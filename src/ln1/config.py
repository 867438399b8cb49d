"""Settings for every ln1 process, read from environment variables prefixed ``LN1_``.

Everything is optional: with no configuration at all ln1 runs on one machine with its
state under ``data_dir`` (the SQLite database and the model cache). PostgreSQL is switched
on by ``LN1_DATABASE_URL``; settings for the broker, Redis and storage arrive with the parts
that use them.
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url


class Settings(BaseSettings):
    """Process configuration; one instance is built at start-up and passed around."""

    model_config = SettingsConfigDict(env_prefix="LN1_", extra="ignore")

    data_dir: Path = Field(default=Path(".ln1"), description="Folder for embedded state.")
    cache_dir: Path | None = Field(
        default=None, description="Derived files (trained models); data_dir/cache when unset."
    )
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; SQLite under data_dir when unset."
    )
    cloudflare_account_id: str | None = None
    cloudflare_api_token: SecretStr | None = None
    cloudflare_base_url: str | None = Field(
        default=None,
        description="Workers AI base: the Cloudflare API when unset, or an AI Gateway URL "
        "(https://gateway.ai.cloudflare.com/v1/{account_id}/{gateway}/workers-ai), or a "
        "local stand-in speaking the same contract.",
    )
    ai_text_model: str = Field(
        default="@cf/meta/llama-3.1-8b-instruct",
        description="Workers AI text model for chat answers, intent resolution and long texts.",
    )
    ai_chat_timeout_s: float = Field(
        default=6.0,
        description="A chat answer (or intent resolution) the model has not started within "
        "this falls back to the deterministic path.",
    )
    ai_audio_max_bytes: int = Field(
        default=25 << 20, description="Largest audio file a transcription task accepts."
    )
    ai_audio_max_seconds: float = Field(
        default=1800.0, description="Longest audio (seconds) a transcription task accepts."
    )

    edge_secret: SecretStr | None = Field(
        default=None,
        description="Secret the edge Workers sign forwarded webhooks with (HMAC-SHA256); "
        "POST /v1/webhooks/{source} answers 503 while it is unset.",
    )
    require_edge_proxy: bool = Field(
        default=False,
        description="Refuse /v1 requests that did not come through the security-proxy Worker "
        "(its signed origin header, keyed with LN1_EDGE_SECRET); see ln1.proxy.",
    )

    host: str = "127.0.0.1"
    port: int = 8000
    tls_certfile: Path | None = Field(
        default=None, description="Serve HTTPS/WSS with this certificate chain (PEM)."
    )
    tls_keyfile: Path | None = Field(default=None, description="The certificate's private key.")
    log_format: Literal["console", "json"] = "console"
    log_level: str = "INFO"

    intent_threshold: float = Field(
        default=0.45, description="Below this IntentEngine confidence the answer asks back."
    )
    runner_heartbeat_s: float = Field(
        default=10.0, description="How often a connected runner says it is alive."
    )
    runner_heartbeat_timeout_s: float = Field(
        default=35.0, description="A runner not heard from for this long is offline."
    )
    runner_order_timeout_s: float = Field(
        default=30.0, description="An order's deadline: the runner refuses it after this."
    )
    max_upload_bytes: int = Field(
        default=1 << 30, description="Largest file a user may upload (POST /v1/files)."
    )
    broker_url: str | None = Field(
        default=None,
        description="Celery broker; default Redis when LN1_REDIS_URL is set, else a SQLite "
        "file under the data folder.",
    )
    worker_processes: int = Field(
        default=2,
        ge=0,
        description="Worker processes `ln1 up` runs next to the API; 0 when workers run "
        "elsewhere (`ln1 worker` on other machines).",
    )
    api_processes: int = Field(
        default_factory=lambda: min(4, os.cpu_count() or 1),
        ge=1,
        description="API processes `ln1 up` serves with, on one shared port (default: one "
        "per core, at most 4). Turns of one thread still run one at a time across them.",
    )
    task_time_limit_s: float = Field(
        default=3600.0, description="A task running longer than this is stopped (hard limit)."
    )
    redis_url: str | None = Field(
        default=None,
        description="Redis for more than one API process: orders reach runners on any of them.",
    )
    redis_prefix: str = Field(
        default="ln1", description="Prefix of ln1's Redis keys and channels (one per install)."
    )

    @model_validator(mode="after")
    def _proxy_check_needs_the_secret(self) -> Settings:
        """Requiring the proxy without the secret it signs with would refuse everything."""
        secret = self.edge_secret.get_secret_value() if self.edge_secret else ""
        if self.require_edge_proxy and not secret:
            raise ValueError("LN1_REQUIRE_EDGE_PROXY needs LN1_EDGE_SECRET (the proxy's secret)")
        return self

    @cached_property
    def sqlalchemy_url(self) -> str:
        """The async SQLAlchemy URL the application uses."""
        if not self.database_url:
            return f"sqlite+aiosqlite:///{(self.data_dir / 'ln1.db').resolve()}"
        url = make_url(self.database_url)
        backend = url.get_backend_name()
        if backend == "sqlite":
            url = url.set(drivername="sqlite+aiosqlite")
        elif backend == "postgresql":
            url = url.set(drivername="postgresql+psycopg")
        else:
            raise ValueError(f"unsupported database backend {backend!r}: use SQLite or PostgreSQL")
        return url.render_as_string(hide_password=False)

    @property
    def is_sqlite(self) -> bool:
        return self.sqlalchemy_url.startswith("sqlite")

    @property
    def cloudflare_configured(self) -> bool:
        return bool(self.cloudflare_account_id and self.cloudflare_api_token)

    @property
    def model_cache_dir(self) -> Path:
        return self.cache_dir or self.data_dir / "cache"

    @property
    def celery_broker_url(self) -> str:
        if self.broker_url:
            return self.broker_url
        if self.redis_url:
            return self.redis_url
        return f"sqla+sqlite:///{(self.data_dir / 'broker.sqlite').resolve()}"

    @property
    def celery_result_backend(self) -> str:
        if self.redis_url:
            return self.redis_url
        return f"db+sqlite:///{(self.data_dir / 'task-results.sqlite').resolve()}"

    @property
    def storage_dir(self) -> Path:
        """Uploaded files and artifacts (local storage, the embedded default)."""
        return self.data_dir / "storage"

    @property
    def run_dir(self) -> Path:
        """What the API processes of one ``ln1 up`` share at run time: locks, relay ports."""
        return self.data_dir / "run"

    def ensure_data_dir(self) -> Path:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return self.data_dir
