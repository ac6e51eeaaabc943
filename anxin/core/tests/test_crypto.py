"""SM3 and SM4: known answers, personal-data fields, and key rotation."""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from anxin.core import crypto
from anxin.core.models import User

OLD = "0123456789abcdeffedcba9876543210"
NEW = "00112233445566778899aabbccddeeff"


def test_sm3_known_answer():
    # GB/T 32905-2016, example 1
    assert crypto.sm3_hex("abc") == (
        "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    )


def test_sm4_round_trip_and_fresh_nonces():
    a, b = crypto.encrypt("13800138000"), crypto.encrypt("13800138000")
    assert a != b and a.startswith("sm4gcm$")
    assert crypto.decrypt(a) == crypto.decrypt(b) == "13800138000"


def test_tampered_ciphertext_is_refused():
    token = crypto.encrypt("秘密")
    prefix, key_id, blob = token.split("$")
    forged = f"{prefix}${key_id}${blob[:-4]}AAAA"
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(forged)


def test_malformed_keys_are_configuration_errors():
    from django.core.exceptions import ImproperlyConfigured

    for bad in ("", "xyz", "00" * 15, "00" * 17):
        with pytest.raises(ImproperlyConfigured):
            crypto.parse_key(bad)


@pytest.mark.django_db
@pytest.mark.dbdep
def test_phone_numbers_are_encrypted_at_rest(personas):
    personas.member.phone = "13912345678"
    personas.member.save(update_fields=["phone"])
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM core_user WHERE id = %s", [personas.member.pk])
        (stored,) = cursor.fetchone()
    assert "13912345678" not in stored and stored.startswith("sm4gcm$")
    assert User.objects.get(pk=personas.member.pk).phone == "13912345678"


@pytest.mark.django_db
@pytest.mark.dbdep
def test_key_rotation_reencrypts_everything(personas):
    with override_settings(ANXIN_DATA_KEY=OLD, ANXIN_DATA_KEYS_PREVIOUS=[]):
        personas.member.phone = "13912345678"
        personas.member.save(update_fields=["phone"])
        old_id = crypto.current_key_id()
    with override_settings(ANXIN_DATA_KEY=NEW, ANXIN_DATA_KEYS_PREVIOUS=[OLD]):
        out = io.StringIO()
        call_command("reencrypt_personal_data", stdout=out)
        assert "core.User: 1 rows re-encrypted" in out.getvalue()
        new_id = crypto.current_key_id()
    with override_settings(ANXIN_DATA_KEY=NEW, ANXIN_DATA_KEYS_PREVIOUS=[]):
        assert User.objects.get(pk=personas.member.pk).phone == "13912345678"
        with connection.cursor() as cursor:
            cursor.execute("SELECT phone FROM core_user WHERE id = %s", [personas.member.pk])
            (stored,) = cursor.fetchone()
        assert crypto.key_id_of(stored) == new_id != old_id
        again = io.StringIO()
        call_command("reencrypt_personal_data", stdout=again)
        assert "core.User: 0 rows re-encrypted" in again.getvalue()


@pytest.mark.django_db
def test_a_value_under_an_unknown_key_does_not_break_the_account(personas):
    with override_settings(ANXIN_DATA_KEY=OLD, ANXIN_DATA_KEYS_PREVIOUS=[]):
        personas.member.phone = "13912345678"
        personas.member.save(update_fields=["phone"])
    with override_settings(ANXIN_DATA_KEY=NEW, ANXIN_DATA_KEYS_PREVIOUS=[]):
        member = User.objects.get(pk=personas.member.pk)
        assert member.phone == "[?]"
        member.save()  # writing the row back keeps the old ciphertext untouched
    with override_settings(ANXIN_DATA_KEY=OLD, ANXIN_DATA_KEYS_PREVIOUS=[]):
        assert User.objects.get(pk=personas.member.pk).phone == "13912345678"


@pytest.mark.django_db
def test_rotation_reencrypts_stored_files_too(personas, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from anxin.core.attachments import attachment_add, attachment_read

    settings.MEDIA_ROOT = tmp_path
    with override_settings(ANXIN_DATA_KEY=OLD, ANXIN_DATA_KEYS_PREVIOUS=[]):
        attachment = attachment_add(
            actor=None, owner=personas.city.C, upload=SimpleUploadedFile("a.txt", "文件".encode())
        )
    with override_settings(ANXIN_DATA_KEY=NEW, ANXIN_DATA_KEYS_PREVIOUS=[OLD]):
        out = io.StringIO()
        call_command("reencrypt_personal_data", stdout=out)
        assert "core.Attachment (files): 1 rows re-encrypted" in out.getvalue()
    with override_settings(ANXIN_DATA_KEY=NEW, ANXIN_DATA_KEYS_PREVIOUS=[]):
        assert attachment_read(attachment) == "文件".encode()


@pytest.mark.django_db
def test_reset_account_recovers_an_administrator(personas):
    out = io.StringIO()
    call_command("reset_account", "--username", "auditor", "--otp", "--unlock", stdout=out)
    assert out.getvalue().startswith("auditor: initial password ")
    personas.auditor.refresh_from_db()
    assert personas.auditor.must_change_password
