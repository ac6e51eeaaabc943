"""Sign-in: lockout, forced password change, complexity, second factor, hashing, idle timeout."""

import pytest
from django.conf import settings
from django.contrib.auth.hashers import identify_hasher
from django.core.exceptions import ValidationError
from django.test import Client, override_settings

from anxin.core.choices import Role
from anxin.core.models import AuditEvent
from anxin.core.services import password_change, user_create
from anxin.core.testing import PASSWORD, make_person

pytestmark = pytest.mark.django_db

LOCKED = "登录失败次数过多"


def login(client: Client, username: str, password: str):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_five_failures_lock_the_account_even_for_the_right_password(personas):
    client = Client()
    for _ in range(4):
        response = login(client, "member", "wrong-password")
        assert response.status_code == 200
        assert "用户名或密码错误" in response.content.decode()
    response = login(client, "member", "wrong-password")
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    response = login(Client(), "member", PASSWORD)
    assert response.status_code == 429
    # the five failures and the refused attempt during the lock are all in the audit trail
    assert AuditEvent.objects.filter(action="auth.login_failed", object_repr="member").count() == 6


def test_the_lock_is_per_account_not_per_office(personas):
    client = Client()
    for _ in range(5):
        login(client, "member", "wrong-password")
    response = login(client, "same", PASSWORD)
    assert response.status_code == 302


def test_failures_older_than_the_window_do_not_count(personas):
    from datetime import timedelta

    from axes.models import AccessAttempt
    from django.utils import timezone

    client = Client()
    for _ in range(4):
        login(client, "member", "wrong-password")
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert login(client, "member", "wrong-password").status_code == 200
    assert login(client, "member", PASSWORD).status_code == 302


def test_an_administrator_unlocks_an_account(personas, client_for):
    client = Client()
    for _ in range(5):
        login(client, "member", "wrong-password")
    response = client_for(personas.sysadmin).post("/people/member/unlock/")
    assert response.status_code == 302
    assert login(Client(), "member", PASSWORD).status_code == 302


def test_an_initial_password_must_be_changed_first(personas):
    person = make_person(
        "newbie", personas.city.T1, [(Role.HANDLER, personas.city.T1)], must_change_password=True
    )
    client = Client()
    assert login(client, "newbie", PASSWORD).status_code == 302
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/accounts/password/"
    response = client.post(
        "/accounts/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "Another-pass-77",
            "new_password2": "Another-pass-77",
        },
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    person.refresh_from_db()
    assert not person.must_change_password


@pytest.mark.parametrize(
    "password,message",
    [
        ("Short-1", "密码太短，至少应包含 10 个字符。"),
        (
            "alllowercaseletters",
            "密码须至少包含以下字符中的 3 种：小写字母、大写字母、数字和符号。",
        ),
        ("password123", "这个密码太常见了。"),
    ],
)
def test_password_rules_have_clear_messages(personas, password, message):
    with pytest.raises(ValidationError) as exc:
        password_change(
            actor=personas.member,
            user=personas.member,
            old_password=PASSWORD,
            new_password=password,
        )
    assert message in exc.value.message_dict["password"]


def test_administrators_must_enrol_a_second_factor(personas):
    client = Client()
    client.force_login(personas.auditor)
    response = client.get("/audit/")
    assert response.status_code == 302 and response["Location"] == "/accounts/otp/setup/"
    page = client.get("/accounts/otp/setup/")
    assert "otpauth" not in page.content.decode()  # only as a QR image and a key
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user=personas.auditor)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    response = client.post("/accounts/otp/setup/", {"token": f"{totp.token():06d}"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/audit/").status_code == 200


def test_second_factor_is_optional_for_other_roles(personas):
    client = Client()
    client.force_login(personas.clerk)
    assert client.get("/").status_code == 200


@override_settings(ANXIN_DEMO=True)
def test_demo_mode_needs_no_second_factor(personas):
    client = Client()
    client.force_login(personas.auditor)
    assert client.get("/audit/").status_code == 200


@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.Argon2PasswordHasher"])
def test_passwords_are_hashed_with_argon2(personas):
    person, _ = user_create(
        actor=None,
        username="hashed",
        name="hashed",
        unit=personas.city.T1,
        password="Hashed-pass-2026",
    )
    assert identify_hasher(person.password).algorithm == "argon2"
    assert person.check_password("Hashed-pass-2026")


def test_production_hashers_start_with_argon2():
    hashers = [h for h in settings.PASSWORD_HASHERS if "MD5" not in h]
    assert hashers[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_idle_sessions_expire_after_30_minutes_of_inactivity():
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True


def test_expired_sessions_are_deleted_by_the_daily_job(personas):
    """Residual information (8.1.4.10): an idle session's row does not outlive its expiry."""
    import datetime as dt

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from config.schedule import expired_sessions_purge_job

    idle, active = Client(), Client()
    idle.force_login(personas.clerk)
    active.force_login(personas.member)
    idle_key = idle.session.session_key
    Session.objects.filter(session_key=idle_key).update(
        expire_date=timezone.now() - dt.timedelta(minutes=1)
    )
    assert expired_sessions_purge_job.call_local() == 1
    assert not Session.objects.filter(session_key=idle_key).exists()
    assert Session.objects.filter(session_key=active.session.session_key).exists()


def test_anyone_who_enrolled_a_second_factor_must_use_it(personas):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=personas.clerk, name="phone", confirmed=True)
    client = Client()
    client.force_login(personas.clerk)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/accounts/otp/verify/"
