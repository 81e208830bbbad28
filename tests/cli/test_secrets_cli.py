"""The key for secrets at rest on the command line: PostgreSQL without ARABESQUE_SECRET_KEY refuses to start."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent / "arabesque"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARABESQUE_")}
    return {**env, **extra}


@pytest.mark.parametrize("args", [["serve", "--no-worker", "--port", "0"], ["worker"], ["db", "upgrade"]])
def test_postgresql_without_the_key_refuses_to_start_and_names_the_variable(args: list[str], tmp_path: Path) -> None:
    # Nothing listens on this port: the command must stop before it connects.
    env = _env(
        ARABESQUE_DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:9/none", ARABESQUE_DATA_DIR=str(tmp_path / "d")
    )
    proc = subprocess.run([str(BIN), *args], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "ARABESQUE_SECRET_KEY is required" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "d").exists()  # no key file made up on the side


def test_generate_key_prints_a_key_the_service_accepts() -> None:
    from typer.testing import CliRunner

    from arabesque.app.secrets.master_key import load_master_keys
    from arabesque.cli import app

    out = CliRunner().invoke(app, ["secrets", "generate-key"])
    assert out.exit_code == 0, out.output
    [key] = out.output.split()
    keys = load_master_keys("postgresql+psycopg://u@h/db", Path("/nonexistent"), key)
    assert keys.current == key and CliRunner().invoke(app, ["secrets", "generate-key"]).output.strip() != key
