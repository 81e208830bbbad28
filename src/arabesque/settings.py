"""The service's settings: one typed object, read once from the environment (and `./.env`), passed explicitly.

Every setting is an `ARABESQUE_*` variable, declared once below with its type, default and meaning; README.md's
*Settings* table lists the same (a test keeps them equal). The command line reads them once (`read_settings`) and
hands the `Settings` down: to the database and the master key (`cli/serve.py`), the application (`asgi.py`), the
worker (`WorkerSettings.from_settings`), the limits (`ServiceLimits.from_settings`), the egress policy. Nothing
below reads the environment, and nothing writes it.

- `./.env`, when present, supplies variables too; the environment wins over it. Only `ARABESQUE_*` names are
  taken from it (it is read, never copied into the environment).
- A value that does not parse, or is out of its range, stops the command with `SettingsError` naming the variable
  (no silent default: a typo in a limit would otherwise leave production on a value nobody chose). An empty value
  is the same as an unset one.
- `unknown_variables` lists the `ARABESQUE_*` names that are not settings, each with the closest setting's name
  when there is one: the command reports them at start, so a misspelt variable is seen rather than ignored.

Not settings, on purpose: `{secret.NAME}` placeholders in definitions read the process environment when a plugin
call is sent (`effects/http.py`); that is the definitions' own data, never an `ARABESQUE_*` variable. The
OpenTelemetry SDK reads its standard `OTEL_*` variables itself.

Why pydantic and not pydantic-settings: pydantic (already here, through FastAPI) does the typed parsing and the
range checks; what pydantic-settings adds (reading `os.environ` and `.env` itself) is what this module needs to
control — reading a given mapping (tests, the processes of `serve --workers`), errors worded with the variable's
name, comma-separated lists, and reporting unknown names — so the two dozen lines that merge the environment
with `.env` are written here, with python-dotenv parsing the file.
"""

from __future__ import annotations

import difflib
import ipaddress
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SecretStr, ValidationError, field_validator

__all__ = [
    "MIN_SECRET_KEY_CHARS",
    "NOT_SETTINGS",
    "PREFIX",
    "Settings",
    "SettingsError",
    "read_settings",
    "settings_variables",
    "unknown_variables",
]

PREFIX = "ARABESQUE_"
MIN_SECRET_KEY_CHARS = 32
# `ARABESQUE_*` variables read by the test suite and the benchmarks, never by the service: not reported as unknown.
NOT_SETTINGS = frozenset({"ARABESQUE_TEST_PG", "ARABESQUE_SCREENSHOTS", "ARABESQUE_SCALE_RUNS"})


class SettingsError(Exception):
    """One or more settings are invalid; the message names each variable and what is wrong with it."""


def _comma_separated(value: Any) -> Any:
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


CommaSeparated = Annotated[tuple[str, ...], BeforeValidator(_comma_separated)]
SecretList = Annotated[tuple[SecretStr, ...], BeforeValidator(_comma_separated)]


def _setting(default: Any, variable: str, doc: str, **constraints: Any) -> Any:
    return Field(default, validation_alias=variable, description=doc, **constraints)


class Settings(BaseModel):
    """Every setting of the service (`read_settings` builds it from the environment); frozen."""

    model_config = ConfigDict(frozen=True, extra="ignore", validate_by_name=True, validate_by_alias=True)

    # -- storage ---------------------------------------------------------------------------------------------
    data_dir: Path = _setting(
        Path("./arabesque-data"),
        "ARABESQUE_DATA_DIR",
        "The SQLite database, uploaded files and (without `ARABESQUE_SECRET_KEY`) the key file",
    )
    database_url: str | None = Field(
        None,
        validation_alias="ARABESQUE_DATABASE_URL",
        description="The database, e.g. `postgresql+psycopg://user@host/db`; default SQLite in the data directory",
        repr=False,  # may hold a password
    )

    # -- secrets at rest ---------------------------------------------------------------------------------------
    secret_key: SecretStr | None = _setting(
        None,
        "ARABESQUE_SECRET_KEY",
        f"The master key (at least {MIN_SECRET_KEY_CHARS} characters; `arabesque secrets generate-key`); required "
        "on PostgreSQL, else the data directory's key file",
    )
    previous_secret_keys: SecretList = _setting(
        (),
        "ARABESQUE_PREVIOUS_SECRET_KEYS",
        "Keys being rotated out, comma-separated: they open secrets, never seal them",
    )

    # -- HTTP ----------------------------------------------------------------------------------------------------
    trusted_proxies: CommaSeparated = _setting(
        (),
        "ARABESQUE_TRUSTED_PROXIES",
        "Addresses or CIDRs, comma-separated, whose `X-Forwarded-For` / `-Proto` are honoured; none by default",
    )
    api_threads: int = _setting(
        3,
        "ARABESQUE_API_THREADS",
        "Threads per API process for blocking work (each holds a database transaction); `serve --threads` wins",
        gt=0,
    )
    max_in_flight: int = _setting(
        32,
        "ARABESQUE_MAX_IN_FLIGHT",
        "Requests one API process works on at once; past it, the excess is refused at once with 503 and "
        "`Retry-After` (health checks never are)",
        gt=0,
    )
    allow_private_urls: bool = _setting(
        False,
        "ARABESQUE_ALLOW_PRIVATE_URLS",
        "Let plugin calls and webhooks reach loopback, link-local and private addresses",
    )
    environment: str = _setting(
        "production", "ARABESQUE_ENVIRONMENT", "The `environment` field of every webhook payload"
    )
    public_url: str = _setting(
        "http://127.0.0.1:3000",
        "ARABESQUE_PUBLIC_URL",
        "The service's address as end users reach it: collection-flow links are "
        "`{public_url}/collection-flow?token=...`",
        pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$",
        max_length=500,
    )

    # -- limits on what definitions and contexts may cost (README: Security, Limits) -------------------------------
    max_context_bytes: int = _setting(
        2 * 1024 * 1024,
        "ARABESQUE_MAX_CONTEXT_BYTES",
        "A workflow context as compact JSON, on `/run`, PATCH, event payloads and after every step, merge or "
        "plugin outcome (413)",
        gt=0,
    )
    max_definition_bytes: int = _setting(
        1024 * 1024, "ARABESQUE_MAX_DEFINITION_BYTES", "A definition record as compact JSON (413)", gt=0
    )
    max_definition_states: int = _setting(1000, "ARABESQUE_MAX_DEFINITION_STATES", "A definition's states (413)", gt=0)
    max_definition_plugins: int = _setting(
        500, "ARABESQUE_MAX_DEFINITION_PLUGINS", "A definition's plugins, all kinds together (413)", gt=0
    )
    max_evaluation_steps: int = _setting(
        5_000_000, "ARABESQUE_MAX_EVALUATION_STEPS", "Units of work of one step's evaluations (400)", gt=0
    )
    max_value_size: int = _setting(
        8_000_000,
        "ARABESQUE_MAX_VALUE_SIZE",
        "The size of any value an evaluation builds or walks, about its JSON length (400)",
        gt=0,
    )
    max_value_depth: int = _setting(
        200, "ARABESQUE_MAX_VALUE_DEPTH", "Nesting of such a value, of a context and of a definition (400)", gt=0
    )
    step_time_limit_seconds: float = _setting(
        2.0,
        "ARABESQUE_STEP_TIME_LIMIT_SECONDS",
        "Wall-clock time of one step's evaluations or one schema validation (400)",
        gt=0,
    )
    regex_time_limit_seconds: float = _setting(
        1.0, "ARABESQUE_REGEX_TIME_LIMIT_SECONDS", "One regular-expression match (400)", gt=0
    )

    # -- the worker ----------------------------------------------------------------------------------------------
    worker_lease_seconds: float = _setting(
        30.0, "ARABESQUE_WORKER_LEASE_SECONDS", "How long a claim lasts without a heartbeat", gt=0
    )
    worker_lease_grace_seconds: float = _setting(
        30.0,
        "ARABESQUE_WORKER_LEASE_GRACE_SECONDS",
        "How long past an expired lease before its effect runs again (a late heartbeat causes no duplicate)",
        ge=0,
    )
    worker_poll_seconds: float = _setting(
        5.0, "ARABESQUE_WORKER_POLL_SECONDS", "Fallback polling interval of an idle worker", gt=0
    )
    retry_base_seconds: float = _setting(
        1.0, "ARABESQUE_RETRY_BASE_SECONDS", "First backoff of a plugin call's retry (doubles, with jitter)", gt=0
    )
    retry_cap_seconds: float = _setting(
        300.0, "ARABESQUE_RETRY_CAP_SECONDS", "Longest backoff between a plugin call's retries", gt=0
    )
    webhook_retry_base_seconds: float = _setting(
        5.0, "ARABESQUE_WEBHOOK_RETRY_BASE_SECONDS", "First backoff of a webhook delivery's retry (cap 1 hour)", gt=0
    )
    webhook_retry_window_seconds: float = _setting(
        24 * 3600.0,
        "ARABESQUE_WEBHOOK_RETRY_WINDOW_SECONDS",
        "How long a webhook delivery is retried before it is dead-lettered",
        gt=0,
    )
    retention_days: float = _setting(
        30.0,
        "ARABESQUE_RETENTION_DAYS",
        "Finished outbox rows and webhook delivery attempts are pruned after this many days; `0` keeps them",
        ge=0,
    )
    retention_interval_seconds: float = _setting(
        3600.0, "ARABESQUE_RETENTION_INTERVAL_SECONDS", "Time between two prunings; `0` turns pruning off", ge=0
    )

    # -- e-mail (README: E-mail) ------------------------------------------------------------------------------------
    email_sender: Literal["log", "smtp", "sendgrid"] = _setting(
        "log",
        "ARABESQUE_EMAIL_SENDER",
        "How e-mail plugins send: `log` (written to the log and the audit, not sent), `smtp`, `sendgrid` (a "
        "SendGrid-compatible HTTP API, the project secret `EMAIL_API_URL`); a project's `MAIL_ADAPTER` secret wins",
    )
    email_from: str = _setting(
        "no-reply@arabesque.local",
        "ARABESQUE_EMAIL_FROM",
        "The sender address of e-mails (project secret `EMAIL_FROM` wins)",
    )
    smtp_host: str | None = _setting(None, "ARABESQUE_SMTP_HOST", "The SMTP server (project secret `SMTP_HOST` wins)")
    smtp_port: int = _setting(587, "ARABESQUE_SMTP_PORT", "Its port (project secret `SMTP_PORT` wins)", gt=0, lt=65536)
    smtp_security: Literal["starttls", "tls", "none"] = _setting(
        "starttls",
        "ARABESQUE_SMTP_SECURITY",
        "`starttls`, `tls` (implicit, e.g. port 465) or `none` (project secret `SMTP_SECURITY` wins)",
    )
    smtp_user: str | None = _setting(
        None, "ARABESQUE_SMTP_USER", "The SMTP login, if any (project secret `SMTP_USER` wins)"
    )
    smtp_password: SecretStr | None = _setting(
        None, "ARABESQUE_SMTP_PASSWORD", "Its password (project secret `SMTP_PASSWORD` wins)"
    )

    # -- logs and traces (README: Observability) ------------------------------------------------------------------
    log_format: Literal["json", "console"] | None = _setting(
        None,
        "ARABESQUE_LOG_FORMAT",
        "`json` (one object per line) or `console`; default `console` on a terminal, else `json`",
    )
    log_level: Literal["debug", "info", "warning", "error"] = _setting(
        "info", "ARABESQUE_LOG_LEVEL", "The least severe log level written"
    )
    access_log: bool = _setting(
        True, "ARABESQUE_ACCESS_LOG", "A log line per request (`serve --access-log/--no-access-log` wins)"
    )
    otel: bool = _setting(
        False,
        "ARABESQUE_OTEL",
        "OpenTelemetry tracing (the `otel` extra); default on when an `OTEL_EXPORTER_*` variable is set",
    )

    # -- the command line ----------------------------------------------------------------------------------------
    user_password: SecretStr | None = _setting(
        None,
        "ARABESQUE_USER_PASSWORD",
        "`users create` / `users set-password`: this password instead of a generated one",
    )

    @field_validator("secret_key", "previous_secret_keys")
    @classmethod
    def _long_enough(cls, value: Any) -> Any:
        for key in value if isinstance(value, tuple) else (value,):
            if key is not None and len(key.get_secret_value().strip()) < MIN_SECRET_KEY_CHARS:
                raise ValueError(
                    f"must be at least {MIN_SECRET_KEY_CHARS} characters of random text; "
                    "`arabesque secrets generate-key` prints a new one"
                )
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        normalised, wrong = [], []
        for entry in value:
            try:
                # Normalised: uvicorn takes `10.1.2.3/8` (host bits set) for a name, which never matches a peer.
                address = ipaddress.ip_network(entry, strict=False) if "/" in entry else ipaddress.ip_address(entry)
                normalised.append(str(address))
            except ValueError:
                wrong.append(repr(entry))
        if wrong:
            raise ValueError(f"{', '.join(wrong)} is not an IP address or CIDR")
        return tuple(normalised)

    @field_validator("email_sender", "smtp_security", "log_format", "log_level", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    # -- derived values ---------------------------------------------------------------------------------------------

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "arabesque.db"

    @property
    def database(self) -> str:
        """The database URL: `ARABESQUE_DATABASE_URL`, else SQLite in the data directory."""
        return self.database_url or f"sqlite:///{self.sqlite_path.resolve()}"

    @property
    def files_dir(self) -> Path:
        return self.data_dir / "files"

    @property
    def secret_keys(self) -> tuple[str | None, tuple[str, ...]]:
        """(the master key or None, the previous keys), in clear: for `app/secrets/master_key.py` only."""
        current = self.secret_key.get_secret_value().strip() if self.secret_key is not None else None
        return current, tuple(k.get_secret_value().strip() for k in self.previous_secret_keys)

    def redacted_values(self) -> tuple[str, ...]:
        """The values no log line may show: the keys, the user password, the database password."""
        current, previous = self.secret_keys
        values = [v for v in (current, *previous) if v]
        for secret in (self.user_password, self.smtp_password):
            if secret is not None:
                values.append(secret.get_secret_value())
        if self.database_url:
            from sqlalchemy.engine import make_url  # only when there is a URL to read the password from

            try:
                password = make_url(self.database_url).password
            except Exception:  # a malformed URL fails where it is opened, with its own error
                password = None
            if password:
                values.append(str(password))
        return tuple(v for v in values if len(v) >= 4)  # a shorter one would redact ordinary words


def settings_variables() -> dict[str, str]:
    """Every setting's variable, mapped to its field name."""
    return {str(field.validation_alias): name for name, field in Settings.model_fields.items()}


def _merged(environ: Mapping[str, str], env_file: Path | None) -> dict[str, str]:
    """The `ARABESQUE_*` variables of `.env` (when there is one), overridden by those of `environ`."""
    merged: dict[str, str] = {}
    if env_file is not None and env_file.is_file():
        from dotenv import dotenv_values

        merged = {k: v for k, v in dotenv_values(env_file).items() if k.startswith(PREFIX) and v is not None}
    merged.update((k, v) for k, v in environ.items() if k.startswith(PREFIX))
    return merged


def read_settings(environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")) -> Settings:
    """The settings from `environ` (default: the process environment) over `env_file` (default `./.env`, read
    when it exists; None: no file). Raises `SettingsError` naming every invalid variable."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {k: v for k, v in _merged(environ, env_file).items() if v.strip()}
    if "ARABESQUE_OTEL" not in values:
        # Tracing defaults on where the standard exporter variables say where to send spans, and the SDK's own
        # switch still turns it off.
        exporters = any(k.startswith("OTEL_EXPORTER_") and v for k, v in environ.items())
        disabled = environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true"
        values["ARABESQUE_OTEL"] = exporters and not disabled
    try:
        return Settings.model_validate(values)
    except ValidationError as exc:
        raise SettingsError(_describe(exc)) from None  # the cause would repeat the input, secrets included


def _describe(exc: ValidationError) -> str:
    """One clause per invalid variable; the value given is repeated only for settings that hold no secret."""
    fields, variables = Settings.model_fields, settings_variables()
    clauses = []
    for error in exc.errors(include_url=False):
        variable = str(error["loc"][0]) if error["loc"] else "settings"
        message = str(error["msg"]).removeprefix("Value error, ")
        name = variables.get(variable)
        quiet = name is None or name == "database_url" or "Secret" in str(fields[name].annotation)
        given = error.get("input")
        shown = "" if quiet or not isinstance(given, str) else f" (got {given!r})"
        clauses.append(f"{variable}: {message}{shown}")
    return "invalid settings: " + "; ".join(clauses)


def unknown_variables(
    environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")
) -> list[tuple[str, str | None]]:
    """The `ARABESQUE_*` variables (environment and `.env`) that are not settings, each with the closest
    setting's name (None when none is close), sorted."""
    environ = os.environ if environ is None else environ
    known = settings_variables()
    found = []
    for name in sorted(_merged(environ, env_file)):
        if name in known or name in NOT_SETTINGS:
            continue
        # Compared without the prefix, which every name shares and would make anything look close.
        suffixes = {v.removeprefix(PREFIX): v for v in known}
        close = difflib.get_close_matches(name.removeprefix(PREFIX), list(suffixes), n=1, cutoff=0.75)
        found.append((name, suffixes[close[0]] if close else None))
    return found
