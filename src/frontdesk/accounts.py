"""Supervisor accounts: argon2 password hashes and hashed bearer tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select, update

from frontdesk.audit import record_event
from frontdesk.clock import Clock
from frontdesk.db import Database
from frontdesk.errors import InvalidInput
from frontdesk.models import ApiToken, Supervisor
from frontdesk.phones import PhoneError, to_e164

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{2,63}$")
MIN_PASSWORD = 8
TOKEN_TTL = timedelta(days=30)
SESSION_TTL = timedelta(hours=12)  # the dashboard cookie's lifetime (PERMANENT_SESSION_LIFETIME)
_hasher = PasswordHasher()
# Verifying against this keeps the time of a login for an unknown email like a real one.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


class AccountError(InvalidInput):
    """A supervisor account could not be created or used."""


def hash_token(token: str) -> str:
    """Tokens are stored as SHA-256 so a database leak reveals none."""
    return hashlib.sha256(token.encode()).hexdigest()


class Accounts:
    """Create supervisors, check passwords, issue and verify API tokens."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db, self.clock = db, clock

    def create(self, email: str, password: str, name: str = "", phone: str = "", region: str = "US") -> Supervisor:
        """Create a supervisor; refuses a malformed email or phone, a short password or a taken email.

        `phone` (optional) is stored in E.164; alerts by SMS go to it (see outbox.py).
        """
        email = (email or "").strip().lower()
        phone = self.normalize_phone(phone, region)
        if not EMAIL.match(email):
            raise AccountError(f"not a valid email address: {email!r}")
        if len(password or "") < MIN_PASSWORD:
            raise AccountError(f"the password must have at least {MIN_PASSWORD} characters")
        now = self.clock.now()
        with self.db.write() as s:
            if s.scalar(select(Supervisor.id).where(Supervisor.email == email)) is not None:
                raise AccountError(f"a supervisor with email {email} already exists")
            sup = Supervisor(email=email, name=name or email.split("@")[0], password_hash=_hasher.hash(password),
                             phone=phone, created_at=now, is_active=True, is_available=True,
                             availability="offline")
            s.add(sup)
            s.flush()
            record_event(s, now, entity="supervisor", entity_id=sup.id, action="created", actor="cli")
            return sup

    @staticmethod
    def normalize_phone(phone: str | None, region: str = "US") -> str:
        """"" for no phone, else the number in E.164; `AccountError` when it is not a phone number."""
        if not (phone or "").strip():
            return ""
        try:
            return to_e164(phone or "", region)
        except PhoneError:
            raise AccountError(f"not a phone number: {(phone or '')[:40]!r} (write it like +1 415 555 0100)") from None

    def update_profile(self, supervisor_id: int, *, name: str | None = None, phone: str | None = None,
                       region: str = "US", by: str = "") -> Supervisor:
        """Change a supervisor's display name and/or phone (E.164, or "" to remove it); records an event."""
        values: dict[str, str] = {}
        if name is not None:
            name = " ".join(name.split())[:200]
            if not name:
                raise AccountError("the name cannot be empty")
            values["name"] = name
        if phone is not None:
            values["phone"] = self.normalize_phone(phone, region)
        now = self.clock.now()
        with self.db.write() as s:
            sup = s.get(Supervisor, supervisor_id)
            if sup is None:
                raise AccountError(f"no supervisor {supervisor_id}")
            changed = sorted(k for k, v in values.items() if getattr(sup, k) != v)
            for key in changed:
                setattr(sup, key, values[key])
            if changed:
                record_event(s, now, entity="supervisor", entity_id=sup.id, action="account_updated",
                             actor=by or sup.email, fields=changed)
            s.flush()
            s.expunge(sup)
            return sup

    def set_password(self, email: str, password: str) -> None:
        """Replace a supervisor's password; their sessions end (they carry a hash fingerprint)."""
        if len(password or "") < MIN_PASSWORD:
            raise AccountError(f"the password must have at least {MIN_PASSWORD} characters")
        email = (email or "").strip().lower()
        now = self.clock.now()
        with self.db.write() as s:
            sup = s.scalar(select(Supervisor).where(Supervisor.email == email))
            if sup is None:
                raise AccountError(f"no supervisor with email {email}")
            sup.password_hash = _hasher.hash(password)
            ended = self._end_all(s, sup.id)
            record_event(s, now, entity="supervisor", entity_id=sup.id, action="password_changed", actor="cli",
                         sessions_and_tokens_ended=ended)

    def set_active(self, email: str, active: bool) -> Supervisor:
        """Deactivate (no login, every session and token ended at once) or reactivate a supervisor."""
        email = (email or "").strip().lower()
        now = self.clock.now()
        with self.db.write() as s:
            sup = s.scalar(select(Supervisor).where(Supervisor.email == email))
            if sup is None:
                raise AccountError(f"no supervisor with email {email}")
            sup.is_active = active
            details: dict[str, Any] = {}
            if not active:
                details["sessions_and_tokens_ended"] = self._end_all(s, sup.id)
            record_event(s, now, entity="supervisor", entity_id=sup.id,
                         action="reactivated" if active else "deactivated", actor="cli", **details)
            return sup

    @staticmethod
    def _end_all(s: Any, supervisor_id: int) -> int:
        """Delete every session and API token of a supervisor (inside the caller's transaction)."""
        result = s.execute(delete(ApiToken).where(ApiToken.supervisor_id == supervisor_id))
        return int(result.rowcount or 0)

    def authenticate(self, email: str, password: str) -> Supervisor | None:
        """The supervisor with this email and password, or None."""
        with self.db.read() as s:
            sup = s.scalar(select(Supervisor).where(Supervisor.email == (email or "").strip().lower()))
        try:
            _hasher.verify(sup.password_hash if sup else _DUMMY_HASH, password or "")
        except (VerificationError, InvalidHashError):
            return None
        if sup is None or not sup.is_active:
            return None
        with self.db.write() as s:
            s.execute(update(Supervisor).where(Supervisor.id == sup.id).values(last_login_at=self.clock.now()))
        return sup

    def password_matches(self, email: str, password: str) -> bool:
        """Whether `password` is the supervisor's current one (no login recorded; for `setup-demo`'s hint)."""
        with self.db.read() as s:
            sup = s.scalar(select(Supervisor).where(Supervisor.email == (email or "").strip().lower()))
        if sup is None:
            return False
        try:
            return bool(_hasher.verify(sup.password_hash, password or ""))
        except (VerificationError, InvalidHashError):
            return False

    def issue_token(self, supervisor_id: int, kind: str = "api") -> str:
        """A new bearer token for the JSON API, or (`kind="session"`) a dashboard session id; shown once."""
        token = secrets.token_urlsafe(32)
        now = self.clock.now()
        with self.db.write() as s:
            if kind == "session":  # logins leave rows behind when nobody logs out: drop the expired ones
                s.execute(delete(ApiToken).where(ApiToken.supervisor_id == supervisor_id,
                                                 ApiToken.expires_at <= now))
            s.add(ApiToken(supervisor_id=supervisor_id, token_hash=hash_token(token), kind=kind, created_at=now,
                           expires_at=now + (SESSION_TTL if kind == "session" else TOKEN_TTL)))
        return token

    def verify_token(self, token: str, kind: str = "api") -> Supervisor | None:
        """The active supervisor owning an unexpired, unrevoked token of this kind, or None."""
        if not token or len(token) > 200:
            return None
        with self.db.read() as s:
            row = s.execute(
                select(Supervisor)
                .join(ApiToken, ApiToken.supervisor_id == Supervisor.id)
                .where(ApiToken.token_hash == hash_token(token), ApiToken.kind == kind,
                       ApiToken.expires_at > self.clock.now(), Supervisor.is_active.is_(True))
            ).scalar_one_or_none()
        return row

    def revoke(self, token: str, everywhere: bool = False) -> int:
        """End one token or session id (logout, `POST /auth/revoke`); `everywhere` ends all of its owner's.

        Returns how many sessions and tokens ended (0 for an unknown token).
        """
        if not token or len(token) > 200:
            return 0
        with self.db.write() as s:
            owner = s.scalar(select(ApiToken.supervisor_id).where(ApiToken.token_hash == hash_token(token)))
            if owner is None:
                return 0
            if everywhere:
                return self._end_all(s, owner)
            s.execute(delete(ApiToken).where(ApiToken.token_hash == hash_token(token)))
            return 1

    def get(self, supervisor_id: int) -> Supervisor | None:
        """A supervisor by id."""
        with self.db.read() as s:
            return s.get(Supervisor, supervisor_id)

    @staticmethod
    def new_secret() -> str:
        """A random string fit for a secret key."""
        return secrets.token_urlsafe(48)
