"""The settings: one typed object read once from the environment and `./.env`; every setting in README.md's table;
invalid values stop the command naming the variable; unknown `ARABESQUE_*` variables are reported; nothing else
in the code reads or writes the environment."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from arabesque.app.limits import ServiceLimits
from arabesque.settings import Settings, SettingsError, read_settings, settings_variables, unknown_variables
from arabesque.worker import WorkerSettings

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "arabesque"
BIN = Path(sys.executable).parent / "arabesque"


def test_defaults() -> None:
    settings = read_settings({}, None)
    assert settings == Settings()
    assert settings.data_dir == Path("arabesque-data") and settings.database_url is None
    assert settings.database == f"sqlite:///{(Path('arabesque-data') / 'arabesque.db').resolve()}"
    assert settings.api_threads == 3 and settings.access_log and settings.otel is False
    # the limits and the worker's defaults are the settings' defaults
    assert ServiceLimits.from_settings(settings) == ServiceLimits()
    worker = WorkerSettings.from_settings(settings)
    assert (worker.lease, worker.lease_grace, worker.poll, worker.webhook_window) == (30, 30, 5, 86400)
    assert (worker.backoff.base, worker.backoff.cap, worker.retention, worker.allow_private) == (
        1,
        300,
        WorkerSettings().retention,
        False,
    )


def test_values_are_typed_and_an_empty_one_is_unset() -> None:
    settings = read_settings(
        {
            "ARABESQUE_DATABASE_URL": "postgresql+psycopg://u:pw-secret@h/db",
            "ARABESQUE_MAX_CONTEXT_BYTES": "4096",
            "ARABESQUE_STEP_TIME_LIMIT_SECONDS": "0.5",
            "ARABESQUE_ALLOW_PRIVATE_URLS": "yes",
            "ARABESQUE_TRUSTED_PROXIES": " 10.1.2.3/8 ,::1",
            "ARABESQUE_LOG_FORMAT": "JSON",
            "ARABESQUE_SECRET_KEY": "",
        },
        None,
    )
    assert settings.database == "postgresql+psycopg://u:pw-secret@h/db"
    assert settings.max_context_bytes == 4096 and settings.step_time_limit_seconds == 0.5
    assert settings.allow_private_urls and settings.trusted_proxies == ("10.0.0.0/8", "::1")
    assert settings.log_format == "json" and settings.secret_key is None
    assert ServiceLimits.from_settings(settings).evaluation.step_seconds == 0.5
    assert "pw-secret" in settings.redacted_values()  # the database password never reaches a log line


def test_an_invalid_value_is_an_error_naming_each_variable_without_echoing_a_secret() -> None:
    with pytest.raises(SettingsError) as error:
        read_settings(
            {
                "ARABESQUE_MAX_CONTEXT_BYTES": "2MiB",
                "ARABESQUE_WORKER_POLL_SECONDS": "0",
                "ARABESQUE_ALLOW_PRIVATE_URLS": "treu",
                "ARABESQUE_SECRET_KEY": "hunter2-is-too-short",
                "ARABESQUE_LOG_LEVEL": "loud",
            },
            None,
        )
    message = str(error.value)
    assert "ARABESQUE_MAX_CONTEXT_BYTES: Input should be a valid integer" in message and "'2MiB'" in message
    assert "ARABESQUE_WORKER_POLL_SECONDS: Input should be greater than 0" in message
    assert "ARABESQUE_ALLOW_PRIVATE_URLS" in message and "ARABESQUE_LOG_LEVEL" in message
    assert "ARABESQUE_SECRET_KEY: must be at least 32 characters" in message
    assert "hunter2" not in message and error.value.__cause__ is None


def test_the_command_line_stops_on_an_invalid_setting(tmp_path: Path) -> None:
    env = {**os.environ, "ARABESQUE_DATA_DIR": str(tmp_path), "ARABESQUE_MAX_VALUE_DEPTH": "-3"}
    out = subprocess.run([str(BIN), "projects", "list"], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "ARABESQUE_MAX_VALUE_DEPTH: Input should be greater than 0" in out.stderr
    assert "Traceback" not in out.stderr and not (tmp_path / "arabesque.db").exists()


def test_dot_env_supplies_settings_and_the_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "# a comment\n"
        "ARABESQUE_MAX_DEFINITION_STATES=77\n"
        "export ARABESQUE_ENVIRONMENT='staging'\n"
        "ARABESQUE_RETENTION_DAYS=5\n"
        "OTHER_VARIABLE=ignored\n"
    )
    settings = read_settings({"ARABESQUE_RETENTION_DAYS": "9"}, env_file)
    assert (settings.max_definition_states, settings.environment, settings.retention_days) == (77, "staging", 9.0)
    assert read_settings({}, tmp_path / "missing.env") == Settings()


def test_unknown_variables_are_reported_with_the_closest_setting(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("ARABESQUE_LOGFORMAT=json\n")
    environ = {"ARABESQUE_MAX_CONTEXT_BYTE": "1", "ARABESQUE_NONSENSE": "x", "ARABESQUE_TEST_PG": "x", "PATH": "/"}
    assert unknown_variables(environ, env_file) == [
        ("ARABESQUE_LOGFORMAT", "ARABESQUE_LOG_FORMAT"),
        ("ARABESQUE_MAX_CONTEXT_BYTE", "ARABESQUE_MAX_CONTEXT_BYTES"),
        ("ARABESQUE_NONSENSE", None),
    ]


def test_a_command_reports_an_unknown_variable_at_start(tmp_path: Path) -> None:
    from arabesque.cli import app

    env = {"ARABESQUE_DATA_DIR": str(tmp_path), "ARABESQUE_WORKER_LEASE": "9", "ARABESQUE_LOG_FORMAT": "json"}
    out = CliRunner().invoke(app, ["projects", "list", "--json"], env=env)
    assert out.exit_code == 0, out.output
    warning = next(line for line in out.output.splitlines() if "ARABESQUE_WORKER_LEASE" in line)
    assert '"level": "warning"' in warning and "did you mean ARABESQUE_WORKER_LEASE_SECONDS?" in warning


def test_tracing_defaults_on_with_the_standard_exporter_variables() -> None:
    assert read_settings({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, None).otel is True
    assert read_settings({"OTEL_EXPORTER_OTLP_ENDPOINT": "x", "OTEL_SDK_DISABLED": "true"}, None).otel is False
    assert read_settings({"OTEL_EXPORTER_OTLP_ENDPOINT": "x", "ARABESQUE_OTEL": "0"}, None).otel is False
    assert read_settings({"ARABESQUE_OTEL": "1"}, None).otel is True


def _readme_settings() -> dict[str, str]:
    """The variable and default of each row of README.md's Settings table."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index("\n### Settings\n") :]
    section = section[: section.index("\n#", 1)]
    rows = re.findall(r"^\| `(ARABESQUE_[A-Z0-9_]+)` \| ([^|]*) \|", section, re.M)
    return {name: default.strip() for name, default in rows}


def test_every_setting_is_in_the_readme_table_with_its_default() -> None:
    documented = _readme_settings()
    assert sorted(documented) == sorted(settings_variables())
    defaults = Settings()
    for variable, field in settings_variables().items():
        value = getattr(defaults, field)
        if isinstance(value, bool):
            expected = "true" if value else "false"
        elif isinstance(value, int | float) and not isinstance(value, bool):
            expected = f"{value:g}" if isinstance(value, float) else str(value)
        else:
            continue  # paths, lists, unset values: worded in the table
        assert documented[variable].split(" ")[0].strip("`") == expected, variable


def test_no_module_but_the_settings_reads_the_environment_and_none_writes_it() -> None:
    readers = {
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if re.search(r"\bos\.environ\b|\bgetenv\(|\benviron\b", path.read_text())
    }
    # settings.py, and the `{secret.NAME}` placeholders of definitions (effects/http.py), by design
    assert readers == {"settings.py", "effects/http.py"}
    for path in SRC.rglob("*.py"):
        text = path.read_text()
        assert not re.search(r"os\.environ\[[^]]+\]\s*=|os\.environ\.(update|setdefault|pop)\(|putenv\(", text), path
