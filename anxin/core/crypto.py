"""SM3 hashing and SM4 encryption of personal data (GB/T 32905, GB/T 32907).

Keys come from the environment (``ANXIN_DATA_KEY``, ``ANXIN_DATA_KEYS_PREVIOUS``, or their
``*_FILE`` forms), never from the database. A ciphertext names the key that made it by a short
key id, so a rotation can run while the old key is still listed as previous
(``manage.py reencrypt_personal_data``). See docs/configuration.md.

Format of a stored value: ``sm4gcm$<key id>$<base64(nonce ‖ ciphertext ‖ tag)>``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "sm4gcm"
NONCE_BYTES = 12
TAG_BYTES = 16


def sm3_hex(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.new("sm3", data).hexdigest()


def hmac_sm3_hex(key: bytes, data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hmac.new(key, data, lambda: hashlib.new("sm3")).hexdigest()


class DecryptionError(ValueError):
    pass


@dataclass(frozen=True)
class DataKey:
    key: bytes

    @property
    def key_id(self) -> str:
        return sm3_hex(b"anxin-key-id" + self.key)[:8]


def parse_key(text: str, name: str = "ANXIN_DATA_KEY") -> DataKey:
    try:
        raw = bytes.fromhex(text.strip())
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"{name} must be 32 hexadecimal digits (a 128-bit SM4 key)"
        ) from exc
    if len(raw) != 16:
        raise ImproperlyConfigured(f"{name} must be 32 hexadecimal digits (a 128-bit SM4 key)")
    return DataKey(raw)


@lru_cache(maxsize=8)
def _keyring(current: str, previous: tuple[str, ...]) -> tuple[DataKey, dict[str, DataKey]]:
    primary = parse_key(current)
    ring = {primary.key_id: primary}
    for text in previous:
        key = parse_key(text, "ANXIN_DATA_KEYS_PREVIOUS")
        ring.setdefault(key.key_id, key)
    return primary, ring


def keyring() -> tuple[DataKey, dict[str, DataKey]]:
    return _keyring(settings.ANXIN_DATA_KEY, tuple(settings.ANXIN_DATA_KEYS_PREVIOUS))


def current_key_id() -> str:
    return keyring()[0].key_id


def encrypt(plaintext: str) -> str:
    primary, _ = keyring()
    nonce = os.urandom(NONCE_BYTES)
    encryptor = Cipher(algorithms.SM4(primary.key), modes.GCM(nonce)).encryptor()
    body = encryptor.update(plaintext.encode("utf-8")) + encryptor.finalize()
    blob = base64.b64encode(nonce + body + encryptor.tag).decode("ascii")
    return f"{PREFIX}${primary.key_id}${blob}"


def key_id_of(token: str) -> str | None:
    parts = token.split("$")
    return parts[1] if len(parts) == 3 and parts[0] == PREFIX else None


def decrypt(token: str) -> str:
    parts = token.split("$")
    if len(parts) != 3 or parts[0] != PREFIX:
        raise DecryptionError("not an Anxin SM4 ciphertext")
    _, ring = keyring()
    key = ring.get(parts[1])
    if key is None:
        raise DecryptionError(
            f"no key with id {parts[1]} is configured (ANXIN_DATA_KEY / ANXIN_DATA_KEYS_PREVIOUS)"
        )
    try:
        blob = base64.b64decode(parts[2], validate=True)
    except ValueError as exc:
        raise DecryptionError("ciphertext is not valid base64") from exc
    nonce, body, tag = blob[:NONCE_BYTES], blob[NONCE_BYTES:-TAG_BYTES], blob[-TAG_BYTES:]
    decryptor = Cipher(algorithms.SM4(key.key), modes.GCM(nonce, tag)).decryptor()
    try:
        return (decryptor.update(body) + decryptor.finalize()).decode("utf-8")
    except Exception as exc:  # InvalidTag
        raise DecryptionError("ciphertext failed authentication") from exc


def encrypt_bytes(data: bytes) -> bytes:
    """SM4-GCM for files: ``key id (8 ascii) ‖ nonce ‖ ciphertext ‖ tag``."""
    primary, _ = keyring()
    nonce = os.urandom(NONCE_BYTES)
    encryptor = Cipher(algorithms.SM4(primary.key), modes.GCM(nonce)).encryptor()
    body = encryptor.update(data) + encryptor.finalize()
    return primary.key_id.encode("ascii") + nonce + body + encryptor.tag


def decrypt_bytes(blob: bytes) -> bytes:
    _, ring = keyring()
    key = ring.get(blob[:8].decode("ascii", "replace"))
    if key is None:
        raise DecryptionError("no configured key matches this file's key id")
    nonce, body, tag = (
        blob[8 : 8 + NONCE_BYTES],
        blob[8 + NONCE_BYTES : -TAG_BYTES],
        blob[-TAG_BYTES:],
    )
    decryptor = Cipher(algorithms.SM4(key.key), modes.GCM(nonce, tag)).decryptor()
    try:
        return decryptor.update(body) + decryptor.finalize()
    except Exception as exc:
        raise DecryptionError("file failed authentication") from exc
