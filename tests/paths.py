"""Where the tests find the repository's files."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ORACLE_DIR = ROOT / "tests" / "oracle"
REFERENCE_FIXTURES = ROOT / "tests" / "fixtures" / "reference"
SCENARIOS = ROOT / "tests" / "scenarios"
