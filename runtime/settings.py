"""Service settings: one pydantic-settings class read from the environment (prefix ``EMS_``).

Built once at an entry point (``ems up``, ``ems serve``, the API factory) and passed in; library code never
reads the environment. Cadences are in seconds, HiGHS time limit in seconds, gap as a fraction.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_SECRET = "dev-secret-change-me"  # noqa: S105 - the development default, refused in production
DEFAULT_ADMIN_PASSWORD = "ems-dev-password"  # noqa: S105 - the development default, refused in production
MIN_SECRET_CHARS = 32
MIN_PASSWORD_CHARS = 12


def _loopback(host: str) -> bool:
    """True for localhost and loopback IP addresses (127.0.0.0/8, ::1)."""
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class UnsafeSettingsError(ValueError):
    """A setting is unsafe for production; the message names the setting and the fix."""


class Settings(BaseSettings):
    """Everything the service needs to run; environment variables are ``EMS_<FIELD>`` (case-insensitive)."""

    model_config = SettingsConfigDict(env_prefix="EMS_", extra="ignore")

    mode: str = Field(
        "development",
        pattern=r"^(development|production)$",
        description="'development' allows default credentials; 'production' refuses them.",
    )
    database_url: str = Field("sqlite:///./var/ems.db", description="SQLAlchemy URL (SQLite file or PostgreSQL).")
    scenario: str = Field("yamaguchi", description="Built-in scenario name or path to a scenario YAML file.")
    simulate: bool = Field(True, description="True: start in-process device simulators; False: real devices.")
    device_maps: Annotated[list[Path], NoDecode] = Field(
        default_factory=list,
        description="Folders of vendor device maps (YAML, docs/device-maps.md) searched before the packaged ones, "
        "separated by ':' (os.pathsep): EMS_DEVICE_MAPS=/etc/ems/maps:/opt/site/maps.",
    )
    ocpp_host: str = Field("127.0.0.1", description="Address the OCPP 1.6J central system listens on.")
    ocpp_port: int = Field(
        9000, ge=0, le=65535, description="Port of the OCPP 1.6J central system: ws://host:port/<charge point id>."
    )
    dry_run: bool = Field(False, description="True: compute set-points and audit them but never write devices.")
    weather_file: str | None = Field(
        None,
        description="Path to a weather file the PV forecaster uses (Open-Meteo CSV/JSON or a JMA hourly CSV, "
        "read by forecasts.providers on every forecast run); None = clear sky (pvlib, offline).",
    )
    weather_fetch: bool = Field(
        False,
        description="True: fetch Open-Meteo's JMA forecast (models=jma_seamless) for the city every "
        "weather_fetch_interval_s and forecast PV on the newest stored one (EMS_WEATHER_FILE, if set, wins).",
    )
    weather_fetch_interval_s: float = Field(3600.0, gt=0, description="Seconds between weather fetches.")
    weather_timeout_s: float = Field(10.0, gt=0, le=120, description="Time-out in seconds of a weather fetch.")
    jepx_spot_source: str | None = Field(
        None,
        description="Today's published JEPX spot prices for the live plan: a JEPX spot file (spot_YYYY.csv / "
        "spot_summary_YYYY.csv, Shift_JIS) or an http(s) URL template with {fiscal_year}; read on every "
        "optimise. None = the shipped recorded prices (a proxy year outside FY2023-FY2024).",
    )
    jepx_timeout_s: float = Field(10.0, gt=0, le=120, description="Time-out in seconds of a JEPX price download.")
    highs_time_limit_s: float = Field(30.0, gt=0, le=3600, description="HiGHS time limit per solve in seconds.")
    highs_mip_gap: float = Field(
        1e-4,
        ge=0,
        le=1,
        description="HiGHS relative MIP gap (fraction); the solve also stops within 100 JPY absolute. 1 % of a "
        "city-day's net cost (~6,000 JPY) would be a third of the optimiser's saving, hence the tight default.",
    )
    highs_threads: int = Field(1, ge=1, le=64, description="HiGHS threads.")
    uncertainty_reserve: Literal["auto", "on", "off"] = Field(
        "auto",
        description="Shelters' extra reserve for load-forecast error (P90 - P50 of critical load, runtime.loop.bands): "
        "auto = only from bands learned from the facilities' own (or the city's pooled) stored forecast-vs-measured "
        "pairs; on = also the shipped household bands where none are learned; off = none.",
    )
    poll_interval_s: float = Field(10.0, gt=0, le=3600, description="Seconds between device polls.")
    forecast_interval_s: float = Field(1800.0, gt=0, description="Seconds between forecasts (30 min).")
    optimise_interval_s: float = Field(1800.0, gt=0, description="Seconds between optimisations (slot-aligned).")
    dispatch_resend_s: float = Field(50.0, gt=0, description="Seconds between set-point re-sends (< watchdogs).")
    stale_after_s: float = Field(60.0, gt=0, description="Age in seconds after which a reading is stale.")
    safe_after_s: float = Field(300.0, gt=0, description="Age in seconds after which safe set-points are sent.")
    retention_days: int = Field(30, ge=1, le=3650, description="Days raw readings are kept (aggregates are kept).")
    misfire_grace_s: int = Field(30, ge=1, description="APScheduler misfire grace time in seconds.")
    host: str = Field("127.0.0.1", description="HTTP bind address.")
    port: int = Field(8000, ge=1, le=65535, description="HTTP port.")
    secret_key: SecretStr = Field(
        SecretStr(DEFAULT_SECRET),
        description="Key of the session-token hashes. Unset in development: a random key generated once per "
        "installation and kept beside the database (runtime.installation); required (>= 32 chars) in production.",
    )
    admin_user: str = Field("operator", min_length=1, description="Initial operator account name.")
    admin_password: SecretStr = Field(SecretStr(DEFAULT_ADMIN_PASSWORD), description="Initial operator password.")
    session_hours: float = Field(12.0, gt=0, le=720, description="Lifetime of a login token in hours.")
    login_free_attempts: int = Field(
        5, ge=1, le=100, description="Failed logins per account before back-off (then 1 s, 2 s, 4 s ... waits)."
    )
    login_address_free_attempts: int = Field(
        20, ge=1, le=1000, description="Failed logins per client address (any user name) before back-off."
    )
    login_backoff_s: float = Field(1.0, gt=0, le=60, description="First back-off wait in seconds; doubled each time.")
    login_backoff_max_s: float = Field(900.0, gt=0, le=86400, description="Longest back-off wait in seconds.")
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Addresses of reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed, "
        "comma-separated (EMS_TRUSTED_PROXIES=127.0.0.1); empty = none (cookies are Secure when the proxy says https).",
    )
    allowed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Origins besides the service's own allowed to send state-changing requests, comma-separated "
        "(e.g. https://ems.example.jp); any other Origin/Referer gets 403.",
    )
    metrics_token: SecretStr | None = Field(
        None, description="Bearer token /metrics requires; None = /metrics answers loopback clients only."
    )
    ngsi_broker_url: str | None = Field(
        None,
        description="NGSI-LD context broker of the city data platform (base URL, e.g. http://broker:1026); the "
        "loop upserts every entity there (POST /ngsi-ld/v1/entityOperations/upsert). None = no push.",
    )
    ngsi_push_interval_s: float = Field(60.0, gt=0, le=86400, description="Seconds between pushes to the broker.")
    ngsi_timeout_s: float = Field(10.0, gt=0, le=300, description="Time-out of one broker request in seconds.")
    ngsi_retries: int = Field(3, ge=0, le=10, description="Retries of a failed batch (time-out, 5xx, 429).")
    ngsi_backoff_s: float = Field(
        1.0, ge=0, le=60, description="First retry delay in seconds; doubled at each retry (at most 60 s)."
    )
    ngsi_batch_size: int = Field(100, ge=1, le=1000, description="Entities per upsert request.")
    ngsi_tenant: str | None = Field(
        None, pattern=r"^[A-Za-z0-9_-]{1,64}$", description="NGSILD-Tenant header for a multi-tenant broker."
    )
    ngsi_broker_token: SecretStr | None = Field(
        None, description="Bearer token for the broker (its API gateway / PEP proxy); None = no Authorization."
    )
    dask_workers: int | None = Field(
        None,
        ge=0,
        le=256,
        description="Worker processes of the local Dask cluster that runs batches (backtests, outage and "
        "investment sweeps); None = min(2, CPU cores); 0 = run the tasks in-process, one after the other "
        "(debugging). Ignored when EMS_DASK_SCHEDULER is set.",
    )
    dask_scheduler: str | None = Field(
        None,
        description="Address of an existing Dask scheduler (e.g. tcp://10.0.0.5:8786) to run batches on; "
        "None = start a local cluster for each batch and close it afterwards.",
    )
    invest_dir: Path = Field(
        Path("var/invest"),
        description="Folder where `ems invest` writes its last run (JSON, CSV, plots) and the API reads it.",
    )
    auto_approve: bool = Field(
        True,
        description="True (the demo): every loop plan is approved by 'auto' and dispatched; False: only a plan "
        "an operator approved is dispatched, and the last approved one stays in force.",
    )
    spool_dir: Path = Field(
        Path("./var/spool"),
        description="Folder of the durable audit spool used while the database is unwritable (keep it off the "
        "database's disk if you can): set-point audit records are fsynced here before the write.",
    )
    buffer_max_rows: int = Field(
        200_000, ge=100, le=10_000_000, description="Readings kept in memory while storage fails (oldest dropped)."
    )
    buffer_max_s: float = Field(
        6 * 3600.0, gt=0, description="Seconds of readings kept in memory while storage fails (older dropped)."
    )
    heavy_jobs: int = Field(
        2, ge=1, le=16, description="Heavy requests (outage plans, what-ifs) solved at once, each in its own process."
    )
    heavy_queue: int = Field(4, ge=0, le=100, description="Heavy requests queued beyond those; more get HTTP 429.")
    outage_runs_kept: int = Field(
        500,
        ge=1,
        description="Outage plan runs kept in the database (the most recent, each with its downloads, 25-40 kB a "
        "run): storing a new run deletes the oldest beyond this many; their pages, downloads and jobs then answer "
        "404 saying the run was pruned.",
    )
    read_cache: bool = Field(
        True,
        description="True: the read endpoints (status, city summary, plan in force) serve prepared bodies rebuilt "
        "when storage changes (runtime.reads); False: every read queries the database (the benchmark's baseline).",
    )
    read_cache_max_age_s: float = Field(
        2.0,
        gt=0,
        le=60,
        description="Seconds a prepared read (and a resolved login session or API key) is reused at most: the "
        "bound on the ages it shows and on seeing changes made by other processes (e.g. `ems users disable`).",
    )
    market_enabled: bool = Field(
        False, description="True: run the market-day jobs (bid, 需要調達計画, intraday) in the live loop."
    )
    market_dir: Path = Field(Path("var/market"), description="Folder of the market day's files (bids, plans).")
    market_bid_at: str = Field(
        "09:30", pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="JST time of the bid job (before the 10:00 close)."
    )
    market_plan_at: str = Field(
        "11:30", pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="JST time of the 計画値 job (due 12:00)."
    )

    @field_validator("device_maps", mode="before")
    @classmethod
    def _split_folders(cls, value: object) -> object:
        """EMS_DEVICE_MAPS is a path list like PATH; each folder must exist (a typo would hide its maps)."""
        if isinstance(value, str):
            value = [part for part in value.split(os.pathsep) if part.strip()]
        if isinstance(value, list):
            missing = [str(v) for v in value if not Path(v).is_dir()]
            if missing:
                raise ValueError(f"EMS_DEVICE_MAPS: {missing} is not a folder; give existing folders of map files")
        return value

    @field_validator("dask_scheduler")
    @classmethod
    def _scheduler_address(cls, value: str | None) -> str | None:
        """A Dask scheduler address: protocol://host:port (tcp, tls, ws, wss, inproc)."""
        if value is not None and not re.fullmatch(r"(tcp|tls|ws|wss|inproc)://[^\s/]+(:\d+)?(/[^\s]*)?", value):
            raise ValueError(
                f"EMS_DASK_SCHEDULER: '{value}' is not a Dask scheduler address; give protocol://host:port, "
                "e.g. tcp://127.0.0.1:8786 (or unset it to use a local cluster)"
            )
        return value

    @field_validator("trusted_proxies", "allowed_origins", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        """Comma-separated lists from the environment."""
        if isinstance(value, str):
            return [part.strip().rstrip("/") for part in value.split(",") if part.strip()]
        return value

    @field_validator("ngsi_broker_url")
    @classmethod
    def _broker_url(cls, value: str | None) -> str | None:
        """An http(s) base URL without spaces; the trailing slash is dropped."""
        if value is not None and not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", value):
            raise ValueError(
                f"EMS_NGSI_BROKER_URL: '{value}' is not an http(s) base URL; give the broker's address, "
                "e.g. http://broker:1026"
            )
        return value.rstrip("/") if value else value

    @property
    def development(self) -> bool:
        """True in development mode."""
        return self.mode == "development"

    @model_validator(mode="after")
    def _refuse_unsafe(self) -> Settings:
        if self.development:
            if not _loopback(self.host):
                raise UnsafeSettingsError(
                    f"EMS_HOST: '{self.host}' is not a loopback address, refused in development mode (default "
                    "credentials); bind 127.0.0.1, or set EMS_MODE=production with EMS_SECRET_KEY and "
                    "EMS_ADMIN_PASSWORD"
                )
            return self
        secret = self.secret_key.get_secret_value()
        if secret == DEFAULT_SECRET or len(secret) < MIN_SECRET_CHARS:
            raise UnsafeSettingsError(
                f"EMS_SECRET_KEY: the default or a short secret (< {MIN_SECRET_CHARS} chars) is refused in "
                "production mode; set EMS_SECRET_KEY to a long random value (e.g. `openssl rand -hex 32`)"
            )
        password = self.admin_password.get_secret_value()
        if password == DEFAULT_ADMIN_PASSWORD or len(password) < MIN_PASSWORD_CHARS:
            raise UnsafeSettingsError(
                f"EMS_ADMIN_PASSWORD: the default or a short password (< {MIN_PASSWORD_CHARS} chars) is refused "
                "in production mode; set EMS_ADMIN_PASSWORD to a strong password"
            )
        return self
