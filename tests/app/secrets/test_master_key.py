"""The master key: ARABESQUE_SECRET_KEY (from the settings) or (SQLite only) a 0600 key file; one key per purpose."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from arabesque.app.secrets.master_key import (
    MasterKeyError,
    MasterKeys,
    derive,
    load_master_keys,
    master_keys,
    sealing_key,
)
from arabesque.app.secrets.session_secret import session_secret

KEY = "k" * 40
SQLITE = "sqlite:////tmp/whatever.db"
POSTGRES = "postgresql+psycopg://user@db.example/arabesque"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_each_purpose_gets_its_own_key() -> None:
    keys = MasterKeys(KEY)
    sealing = sealing_key(KEY)
    cookie = bytes.fromhex(keys.session_signing_key())
    assert len({sealing.key, cookie, KEY.encode()}) == 3
    assert sealing.key_id not in (sealing.key.hex(), cookie.hex()) and len(sealing.key_id) == 16
    assert derive(KEY, b"one") != derive(KEY, b"two")
    assert session_secret(Path("/nonexistent"), KEY) == keys.session_signing_key()


def test_the_variable_is_used_when_set_with_the_previous_keys() -> None:
    keys = load_master_keys(POSTGRES, Path("/nonexistent"), KEY, ["a" * 32, " " + "b" * 33])
    assert keys.current == KEY and keys.previous == ("a" * 32, "b" * 33) and not keys.from_file


def test_a_short_key_is_refused_by_name() -> None:
    with pytest.raises(MasterKeyError, match="ARABESQUE_SECRET_KEY must be at least 32 characters"):
        load_master_keys(SQLITE, Path("/nonexistent"), "too-short")
    with pytest.raises(MasterKeyError, match="ARABESQUE_PREVIOUS_SECRET_KEYS"):
        load_master_keys(SQLITE, Path("/nonexistent"), KEY, ["x"])


def test_postgresql_without_the_variable_is_refused(tmp_path: Path) -> None:
    with pytest.raises(MasterKeyError, match="ARABESQUE_SECRET_KEY is required"):
        load_master_keys(POSTGRES, tmp_path / "data")
    assert not (tmp_path / "data").exists()  # no key file was made up for it


def test_sqlite_without_the_variable_keeps_a_private_key_file(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = load_master_keys(SQLITE, data)
    assert first.from_file and first.source == str(data / "secret_key")
    assert _mode(data) == 0o700 and _mode(data / "secret_key") == 0o600
    assert (data / "secret_key").read_text().strip() == first.current and len(first.current) >= 32
    assert load_master_keys(SQLITE, data).current == first.current  # the same key on every start
    # the cookie-signing key comes from the same file, but is not its content
    assert session_secret(data) == first.session_signing_key() != first.current
    assert [p.name for p in data.iterdir()] == ["secret_key"]  # no temporary file left behind


def test_a_key_file_from_an_unfinished_rotation_gives_current_and_previous(tmp_path: Path) -> None:
    (tmp_path / "secret_key").write_text(f"{'n' * 40}\n{'o' * 40}\n")
    keys = master_keys(tmp_path)
    assert keys.current == "n" * 40 and keys.previous == ("o" * 40,)
