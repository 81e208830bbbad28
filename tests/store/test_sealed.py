"""Sealed secrets: AES-GCM with a random nonce and the sealing key's id; no plain-text fallback, ever."""

from __future__ import annotations

import base64

import pytest

from arabesque.app.secrets.master_key import MasterKeys, sealing_key
from arabesque.store.sealed import SecretBox, SecretKeyError, key_id_of

OLD = "an-old-master-key-that-is-long-enough-000000"
NEW = "a-new-master-key-that-is-long-enough-1111111"


def test_a_sealed_value_names_its_key_and_opens_to_the_original() -> None:
    box = MasterKeys(NEW).secret_box()
    sealed = box.seal("s3cr3t-value", "project_secret:p1:API_KEY")
    assert sealed.startswith(f"arb1:{box.key_id}:") and key_id_of(sealed) == box.key_id
    assert "s3cr3t-value" not in sealed
    assert box.open(sealed, "project_secret:p1:API_KEY") == "s3cr3t-value"
    assert box.seal("s3cr3t-value", "x") != box.seal("s3cr3t-value", "x")  # a fresh nonce each time


def test_a_value_moved_to_another_row_or_altered_does_not_open() -> None:
    box = MasterKeys(NEW).secret_box()
    sealed = box.seal("s3cr3t-value", "project_secret:p1:API_KEY")
    with pytest.raises(SecretKeyError, match="does not authenticate"):
        box.open(sealed, "project_secret:p2:API_KEY")
    prefix, body = sealed.rsplit(":", 1)
    raw = bytearray(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    raw[-1] ^= 1
    altered = f"{prefix}:{base64.urlsafe_b64encode(bytes(raw)).decode().rstrip('=')}"
    with pytest.raises(SecretKeyError, match="does not authenticate"):
        box.open(altered, "project_secret:p1:API_KEY")


def test_plain_text_and_unknown_keys_are_errors_never_a_fallback() -> None:
    old, new = MasterKeys(OLD).secret_box(), MasterKeys(NEW).secret_box()
    with pytest.raises(SecretKeyError, match="not a sealed secret"):
        new.open("whsec_plaintext", "webhook_subscription:s1")
    sealed = old.seal("v", "a")
    with pytest.raises(SecretKeyError, match=rf"key {old.key_id}.*ARABESQUE_PREVIOUS_SECRET_KEYS"):
        new.open(sealed, "a")


def test_previous_keys_open_but_only_the_current_key_seals() -> None:
    sealed_before = MasterKeys(OLD).secret_box().seal("v", "a")
    box = MasterKeys(NEW, previous=(OLD,)).secret_box()
    assert box.open(sealed_before, "a") == "v"
    assert not box.is_current(sealed_before)
    resealed = box.seal("v", "a")
    assert box.is_current(resealed) and key_id_of(resealed) == sealing_key(NEW).key_id
    assert box.key_ids == [sealing_key(NEW).key_id, sealing_key(OLD).key_id]


def test_a_box_needs_a_256_bit_key() -> None:
    with pytest.raises(ValueError):
        SecretBox(type(sealing_key(NEW))(key_id="k", key=b"short"))
