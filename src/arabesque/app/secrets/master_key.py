"""The master key, and the keys derived from it for each purpose.

One secret, `ARABESQUE_SECRET_KEY`, is the master key. Nothing uses it directly: each purpose gets its own
key from it through HKDF-SHA256 with a distinct `info` (`derive`), so the key that signs session cookies is
never the key that encrypts secrets, and the public key id stored next to each ciphertext reveals neither.

Where the master key comes from (`load_master_keys`, given the settings' keys by the command line):
- `ARABESQUE_SECRET_KEY` when set (at least 32 characters; `arabesque secrets generate-key` prints one);
- otherwise, on SQLite only, `<data dir>/secret_key`: created on first start with a random key, mode 0600,
  in the data directory (mode 0700);
- on any other database the variable is required: several processes (serve, worker, db upgrade, on
  several machines) must seal and open the same secrets, and a key file on one machine cannot be shared.

Keys being rotated out (`ARABESQUE_PREVIOUS_SECRET_KEYS`, comma-separated, and the key file's further
lines during an embedded rotation) still open secrets; nothing is sealed with them. See
`app/secrets/rotation.py`.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.engine import make_url

from arabesque.store.private_files import make_private_dir, write_private_file
from arabesque.store.sealed import SealingKey, SecretBox

__all__ = [
    "KEY_FILE",
    "MIN_KEY_CHARS",
    "PREVIOUS_KEYS_ENV",
    "SECRET_KEY_ENV",
    "MasterKeyError",
    "MasterKeys",
    "derive",
    "generate_key",
    "key_file",
    "load_master_keys",
    "master_keys",
    "read_key_file",
    "replace_key_file",
    "sealing_key",
]

SECRET_KEY_ENV = "ARABESQUE_SECRET_KEY"
PREVIOUS_KEYS_ENV = "ARABESQUE_PREVIOUS_SECRET_KEYS"
KEY_FILE = "secret_key"
MIN_KEY_CHARS = 32

# One `info` per purpose: changing one changes that purpose's key only.
_SEALING_INFO = b"arabesque/secrets-at-rest/aes-256-gcm/v1"
_KEY_ID_INFO = b"arabesque/secrets-at-rest/key-id/v1"
_SESSION_INFO = b"arabesque/session-cookies/v1"


class MasterKeyError(Exception):
    """The master key is missing or unusable; the message says what to set."""


def derive(master: str, info: bytes, length: int = 32) -> bytes:
    """The key for the purpose `info` (HKDF-SHA256; the master key is already random, so no salt)."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(master.encode())


def sealing_key(master: str) -> SealingKey:
    """The AES-256 key for secrets at rest and its id (8 bytes, hex), both derived from `master`."""
    return SealingKey(key_id=derive(master, _KEY_ID_INFO, 8).hex(), key=derive(master, _SEALING_INFO))


def generate_key() -> str:
    """A new random master key (64 URL-safe characters, 384 bits)."""
    return secrets.token_urlsafe(48)


@dataclass(frozen=True)
class MasterKeys:
    """The current master key, the previous ones still accepted for opening, and where they came from."""

    current: str = field(repr=False)
    previous: tuple[str, ...] = field(default=(), repr=False)
    source: str = SECRET_KEY_ENV  # the variable, or the key file's path

    def secret_box(self) -> SecretBox:
        """What seals and opens project and webhook secrets (carried by `Database`)."""
        return SecretBox(sealing_key(self.current), [sealing_key(k) for k in self.previous])

    def session_signing_key(self) -> str:
        """The key that signs Case Management session cookies."""
        return derive(self.current, _SESSION_INFO).hex()

    @property
    def from_file(self) -> bool:
        return self.source != SECRET_KEY_ENV


def _checked(key: str, where: str) -> str:
    key = key.strip()
    if len(key) < MIN_KEY_CHARS:
        raise MasterKeyError(
            f"{where} must be at least {MIN_KEY_CHARS} characters of random text; "
            "`arabesque secrets generate-key` prints a new one"
        )
    return key


def _previous(keys: Sequence[str]) -> tuple[str, ...]:
    return tuple(_checked(k, PREVIOUS_KEYS_ENV) for k in keys if k.strip())


def key_file(data_dir: Path) -> Path:
    return data_dir / KEY_FILE


def read_key_file(data_dir: Path) -> list[str] | None:
    """The keys in `<data dir>/secret_key`, current first (None when there is no file)."""
    path = key_file(data_dir)
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    keys = [line.strip() for line in text.splitlines() if line.strip()]
    if not keys:
        raise MasterKeyError(f"{path} is empty; restore it from a backup (or set {SECRET_KEY_ENV})")
    return keys


def _write_temporary(data_dir: Path, keys: list[str]) -> Path:
    """`keys` (current first) in a new 0600 file next to the key file, for an atomic link or rename."""
    make_private_dir(data_dir)
    temporary = data_dir / f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    write_private_file(temporary, ("\n".join(keys) + "\n").encode())
    return temporary


def replace_key_file(data_dir: Path, keys: list[str]) -> None:
    """Write `keys` (current first) to the key file atomically: a new 0600 file renamed over the old one."""
    os.replace(_write_temporary(data_dir, keys), key_file(data_dir))


def _file_keys(data_dir: Path) -> list[str]:
    keys = read_key_file(data_dir)
    if keys is not None:
        return keys
    temporary = _write_temporary(data_dir, [generate_key()])
    try:
        # A hard link appears complete or not at all and fails if the file exists: when processes start
        # together, one key wins and every process reads that one.
        with contextlib.suppress(FileExistsError):
            os.link(temporary, key_file(data_dir))
    finally:
        temporary.unlink()
    return read_key_file(data_dir) or []


def master_keys(data_dir: Path, secret_key: str | None = None, previous: Sequence[str] = ()) -> MasterKeys:
    """`secret_key` (`ARABESQUE_SECRET_KEY`, with `previous`, `ARABESQUE_PREVIOUS_SECRET_KEYS`) when set, else
    the key file in `data_dir`, created on first use. No database rule: see `load_master_keys`."""
    older = _previous(previous)
    if secret_key:
        return MasterKeys(_checked(secret_key, SECRET_KEY_ENV), older)
    current, *in_file = _file_keys(data_dir)
    return MasterKeys(current, (*in_file, *older), source=str(key_file(data_dir)))


def load_master_keys(
    database_url: str, data_dir: Path, secret_key: str | None = None, previous: Sequence[str] = ()
) -> MasterKeys:
    """The master keys of a process using `database_url`: `secret_key`, or on SQLite the key file; a
    database other than SQLite without a key is refused (`MasterKeyError` naming the variable)."""
    if not secret_key and make_url(database_url).get_backend_name() != "sqlite":
        raise MasterKeyError(
            f"{SECRET_KEY_ENV} is required when the database is not SQLite: every process (serve, worker, "
            "db upgrade) must encrypt and decrypt project and webhook secrets with the same key. Generate one "
            f"with `arabesque secrets generate-key` and set {SECRET_KEY_ENV} to it in every process's environment"
        )
    return master_keys(data_dir, secret_key, previous)
