"""Shared test fixtures."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from limits_fixtures import limits  # noqa: F401  (the service limits for one test)
from paths import ORACLE_DIR

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing_component(reason: str) -> None:
    """In CI a missing component is a failure; on a laptop the test is skipped with the reason."""
    if IN_CI:
        pytest.fail(f"required in CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def oracle_dir() -> Path:
    """tests/oracle with its node_modules installed (the reference packages from npm)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        missing_component("node and npm are needed for the differential tests")
    if not (ORACLE_DIR / "node_modules" / "@ballerine" / "workflow-core").is_dir():
        proc = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=ORACLE_DIR, capture_output=True, text=True)
        if proc.returncode != 0:
            missing_component(f"npm ci in tests/oracle failed: {proc.stderr[-500:]}")
    return ORACLE_DIR
