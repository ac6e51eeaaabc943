"""Model fields shared by every app."""

from __future__ import annotations

import logging
from typing import Any

from django.db import models

from anxin.core import crypto

logger = logging.getLogger(__name__)


class Undecryptable(str):
    """A value whose key is not configured: shown as a marker, never written back."""

    def __new__(cls, token: str) -> Undecryptable:
        obj = super().__new__(cls, "[?]")
        obj.token = token  # type: ignore[attr-defined]
        return obj


class EncryptedTextField(models.TextField):
    """Text kept SM4-encrypted at rest; Python code sees plaintext.

    Encrypted values cannot be filtered or ordered in SQL. Empty strings are stored as empty
    strings (nothing to protect), so "has a value" stays queryable.
    """

    description = "Text encrypted with SM4 at rest"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value
        try:
            return crypto.decrypt(value)
        except crypto.DecryptionError:
            # A missing or wrong key must not take the whole page (or sign-in) down; the
            # value shows as "[?]" and is written back unchanged (see get_prep_value).
            logger.error("cannot decrypt a %s value: check ANXIN_DATA_KEY(S)", self.name)
            return Undecryptable(value)

    def get_prep_value(self, value: Any) -> Any:
        if isinstance(value, Undecryptable):
            return value.token  # type: ignore[attr-defined]
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(value)


def encrypted_fields() -> list[tuple[type[models.Model], list[str]]]:
    """Every model with encrypted fields and their attribute names (for key rotation)."""
    from django.apps import apps

    found = []
    for model in apps.get_models():
        names = [
            f.attname for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)
        ]
        if names:
            found.append((model, names))
    return found
