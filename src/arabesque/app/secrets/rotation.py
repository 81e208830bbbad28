"""Use case: `arabesque secrets rotate-key`, re-seal every project and webhook secret with the current key.

With `ARABESQUE_SECRET_KEY` (required on PostgreSQL), the operator moves the keys:
1. set the new key in `ARABESQUE_SECRET_KEY` and the old one in `ARABESQUE_PREVIOUS_SECRET_KEYS` for every
   process, and restart them: they open secrets sealed with either key and seal new ones with the new key;
2. run `arabesque secrets rotate-key` with the same environment: every row not sealed with the current key
   is re-sealed, in one transaction;
3. remove the old key from `ARABESQUE_PREVIOUS_SECRET_KEYS` and restart the processes.

Embedded default (SQLite, no variable, the key in `<data dir>/secret_key`): stop `serve`, run `rotate-key`,
start `serve`. The command writes a new key in front of the old one in the key file, re-seals every row,
then removes the old key from the file. Interrupted, the file keeps both keys, which every process accepts;
running the command again finishes that rotation instead of starting another.

Running it again after a rotation changes nothing. A row sealed with a key that is neither current nor
previous stops the command (nothing is changed) with the key's id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from arabesque.app.secrets.master_key import generate_key, load_master_keys, read_key_file, replace_key_file
from arabesque.store import Database, ProjectSecret, WebhookSubscription, for_update
from arabesque.store.webhooks import project_secret_aad, subscription_secret_aad

__all__ = ["Resealed", "RotationReport", "reseal_secrets", "rotate_key"]


@dataclass(frozen=True)
class Resealed:
    resealed: int  # rows that were sealed with a previous key and are now sealed with the current one
    unchanged: int  # rows already sealed with the current key


@dataclass(frozen=True)
class RotationReport:
    key_id: str  # the current key's id: every secret is now sealed with it
    resealed: int
    unchanged: int
    key_file: Path | None  # the embedded default's key file, rewritten with the new key alone; None: the variable
    new_key: bool  # whether this run generated the key (embedded default, no rotation in progress)


def reseal_secrets(db: Database) -> Resealed:
    """Re-seal, in one transaction, every project and webhook secret not sealed with the current key.

    The rows are locked (PostgreSQL), so a secret written meanwhile is neither lost nor overwritten."""
    box = db.secret_box
    resealed = unchanged = 0
    with db.write() as s:
        for secret in s.scalars(for_update(s, select(ProjectSecret))):
            if box.is_current(secret.value):
                unchanged += 1
                continue
            aad = project_secret_aad(secret.project_id, secret.name)
            secret.value = box.seal(box.open(secret.value, aad), aad)
            resealed += 1
        for subscription in s.scalars(for_update(s, select(WebhookSubscription))):
            if box.is_current(subscription.secret):
                unchanged += 1
                continue
            aad = subscription_secret_aad(subscription.id)
            subscription.secret = box.seal(box.open(subscription.secret, aad), aad)
            resealed += 1
    return Resealed(resealed, unchanged)


def rotate_key(
    database_url: str, data_dir: Path, secret_key: str | None = None, previous: Sequence[str] = ()
) -> RotationReport:
    """Rotate to the current key (`secret_key`, the previous ones in `previous`; without it, the key file: see the
    module's procedure); migrates the database first, so a database still holding plain-text secrets is sealed by
    migration 0007 before anything else."""
    keys = load_master_keys(database_url, data_dir, secret_key, previous)
    new_key = False
    if keys.from_file and len(read_key_file(data_dir) or []) == 1:
        # No rotation in progress: the new key goes first, the old one stays until every row is re-sealed.
        replace_key_file(data_dir, [generate_key(), keys.current])
        keys, new_key = load_master_keys(database_url, data_dir, secret_key, previous), True
    db = Database(database_url, secret_box=keys.secret_box())
    try:
        db.upgrade()
        done = reseal_secrets(db)
    finally:
        db.dispose()
    if keys.from_file:
        replace_key_file(data_dir, [keys.current])  # nothing is sealed with the old key any more
    return RotationReport(
        key_id=db.secret_box.key_id,
        resealed=done.resealed,
        unchanged=done.unchanged,
        key_file=Path(keys.source) if keys.from_file else None,
        new_key=new_key,
    )
