"""Settings from the environment, system checks, and production refusing to start unsafely."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config.env import EnvError, env_bool, env_int, env_list, env_str

ROOT = Path(__file__).resolve().parents[3]


def test_env_bool_is_strict(monkeypatch):
    monkeypatch.setenv("X_FLAG", "yes")
    assert env_bool("X_FLAG") is True
    monkeypatch.setenv("X_FLAG", "0")
    assert env_bool("X_FLAG", True) is False
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(EnvError, match="not a boolean"):
        env_bool("X_FLAG")


def test_env_int_and_list(monkeypatch):
    monkeypatch.setenv("X_NUM", "12")
    assert env_int("X_NUM", 3) == 12
    monkeypatch.setenv("X_NUM", "twelve")
    with pytest.raises(EnvError):
        env_int("X_NUM", 3)
    monkeypatch.setenv("X_NUM", "0")
    with pytest.raises(EnvError, match="at least 1"):
        env_int("X_NUM", 3, minimum=1)
    monkeypatch.setenv("X_LIST", "a.example, b.example,,")
    assert env_list("X_LIST") == ["a.example", "b.example"]


def test_secrets_can_come_from_files(monkeypatch, tmp_path):
    secret = tmp_path / "key"
    secret.write_text("from-file\n", encoding="utf-8")
    monkeypatch.setenv("X_SECRET", "from-env")
    monkeypatch.setenv("X_SECRET_FILE", str(secret))
    assert env_str("X_SECRET") == "from-file"


PRODUCTION_ENV = {
    "ANXIN_ENV": "production",
    "ANXIN_TESTING": "0",
    "SECRET_KEY": "k" * 20 + "-production-secret-key-with-enough-entropy-1234567890",
    "ANXIN_DATA_KEY": "00112233445566778899aabbccddeeff",
    "ALLOWED_HOSTS": "anxin.example.gov.cn",
    "DATABASE_URL": "",
}


def manage(args: list[str], env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV}
    full.update(env)
    full["ANXIN_VAR_DIR"] = str(tmp_path)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=full,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.smoke
def test_check_deploy_is_clean_in_production(tmp_path):
    result = manage(["check", "--deploy", "--fail-level", "WARNING"], PRODUCTION_ENV, tmp_path)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize("missing", ["ANXIN_DATA_KEY", "SECRET_KEY"])
def test_production_refuses_to_start_without_its_keys(tmp_path, missing):
    env = {**PRODUCTION_ENV, missing: ""}
    result = manage(["check"], env, tmp_path)
    assert result.returncode != 0
    assert f"{missing} must be set in production" in result.stderr


def test_a_malformed_data_key_fails_the_system_check(tmp_path):
    env = {**PRODUCTION_ENV, "ANXIN_DATA_KEY": "not-hex"}
    result = manage(["check"], env, tmp_path)
    assert result.returncode != 0
    assert "anxin.E001" in result.stderr


def test_demo_mode_is_an_error_in_production(tmp_path):
    result = manage(["check", "--deploy"], {**PRODUCTION_ENV, "ANXIN_DEMO": "1"}, tmp_path)
    assert result.returncode != 0
    assert "anxin.E003" in result.stderr
