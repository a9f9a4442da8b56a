"""Settings: documented in the README, and production refuses placeholder secrets."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from frontdesk.settings import DEV_SECRET_KEY, Settings

README = Path(__file__).resolve().parents[1] / "README.md"


def test_every_setting_is_in_the_readme_table() -> None:
    documented = set(re.findall(r"^\| `([A-Z0-9_]+)` \|", README.read_text(), flags=re.M))
    missing = {name.upper() for name in Settings.model_fields} - documented
    assert not missing, f"settings missing from the README configuration table: {sorted(missing)}"


@pytest.mark.parametrize("secret", [DEV_SECRET_KEY, "", "changeme", "short-but-not-placeholder", "x" * 48, "a" * 32,
                                    "ab" * 24, "changeme" * 6, "0123456" * 6])
def test_production_refuses_placeholder_secret(secret: str) -> None:
    with pytest.raises((ValidationError, ValueError), match="SECRET_KEY"):
        Settings(_env_file=None, env="production", secret_key=secret)  # type: ignore[call-arg]


def test_production_accepts_a_real_secret() -> None:
    import secrets

    s = Settings(_env_file=None, env="production", secret_key=secrets.token_urlsafe(48))  # type: ignore[call-arg]
    assert s.env == "production" and not s.twilio_configured
    for _ in range(200):  # 32 hex digits, the other usual way to make a key, always passes
        Settings(_env_file=None, env="production", secret_key=secrets.token_hex(16))  # type: ignore[call-arg]


def test_env_file_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("REQUEST_TIMEOUT_SECONDS=42\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("REQUEST_TIMEOUT_SECONDS", raising=False)
    assert Settings().request_timeout_seconds == 42
