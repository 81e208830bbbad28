"""Secrets at rest: AES-256-GCM with a random nonce, each value tagged with the id of the key that sealed it.

A sealed value is the text `arb1:<key id>:<base64url(nonce || ciphertext || tag)>`. `arb1` names this format;
the key id says which key sealed it, so a rotation knows which rows still need re-sealing and a reader
holding several keys (the current one and previous ones) picks the right one without trying them all.

Each value is bound to its row by associated data (`project_secret_aad`, `subscription_secret_aad` in
`store/webhooks.py`): a ciphertext copied into another row, or another project's, does not open.

Nothing here falls back to plain text: a value that is not in this format, was sealed with a key this
process does not have, or fails authentication raises `SecretKeyError` with a message saying which.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Sequence
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = [
    "FORMAT",
    "SealingKey",
    "SecretBox",
    "SecretKeyError",
    "SecretKeyMissing",
    "key_id_of",
]

FORMAT = "arb1"
NONCE_BYTES = 12  # AES-GCM's standard nonce; random per value (2^32 values per key stay far below collision risk)


class SecretKeyError(Exception):
    """A secret cannot be sealed or opened: no key, an unknown key, or a value that does not authenticate."""


class SecretKeyMissing(SecretKeyError):
    """This process was started without a key for secrets at rest."""


@dataclass(frozen=True)
class SealingKey:
    """One AES-256 key and its public id (derived from the master key, see `app/secrets/master_key.py`)."""

    key_id: str
    key: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.key) != 32:
            raise ValueError("an AES-256 key is 32 bytes")
        if not self.key_id or ":" in self.key_id:
            raise ValueError("a key id is a non-empty string without ':'")


def key_id_of(sealed: str) -> str:
    """The id of the key that sealed `sealed` (no key needed)."""
    _, key_id, _ = _parts(sealed)
    return key_id


def _parts(sealed: str) -> tuple[str, str, str]:
    fmt, _, rest = sealed.partition(":")
    key_id, _, body = rest.partition(":")
    if fmt != FORMAT or not key_id or not body:
        raise SecretKeyError(f"not a sealed secret (expected '{FORMAT}:<key id>:<data>')")
    return fmt, key_id, body


class SecretBox:
    """Seals with the current key; opens with the current key or any previous one (during a rotation)."""

    def __init__(self, current: SealingKey, previous: Sequence[SealingKey] = ()) -> None:
        self.current = current
        self._keys = {k.key_id: k for k in (*previous, current)}

    @property
    def key_id(self) -> str:
        return self.current.key_id

    @property
    def key_ids(self) -> list[str]:
        """Every key this box can open with, the current one first."""
        return [self.current.key_id, *(k for k in self._keys if k != self.current.key_id)]

    def seal(self, plaintext: str, aad: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        data = AESGCM(self.current.key).encrypt(nonce, plaintext.encode(), aad.encode())
        body = base64.urlsafe_b64encode(nonce + data).decode().rstrip("=")
        return f"{FORMAT}:{self.current.key_id}:{body}"

    def open(self, sealed: str, aad: str) -> str:
        _, key_id, body = _parts(sealed)
        key = self._keys.get(key_id)
        if key is None:
            raise SecretKeyError(
                f"a secret was sealed with key {key_id}, which this process does not have (it has "
                f"{', '.join(self.key_ids)}): set the key that sealed it in ARABESQUE_SECRET_KEY or "
                "ARABESQUE_PREVIOUS_SECRET_KEYS"
            )
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            return AESGCM(key.key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], aad.encode()).decode()
        except (InvalidTag, ValueError, binascii.Error) as exc:
            raise SecretKeyError(f"a secret sealed with key {key_id} does not authenticate (altered or moved)") from exc

    def is_current(self, sealed: str) -> bool:
        """Whether `sealed` is already sealed with the current key (a rotation leaves it alone)."""
        return key_id_of(sealed) == self.current.key_id
