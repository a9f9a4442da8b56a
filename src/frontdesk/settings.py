"""One typed settings object, read from the environment and an optional `.env` file.

Every field is documented in the README's configuration table (a test keeps them in step).
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET_KEY = "dev-insecure-change-me"
_PLACEHOLDERS = {DEV_SECRET_KEY, "", "changeme", "change-me", "secret", "replace-me"}


def looks_random(key: str) -> bool:
    """A cheap check that a secret was generated, not typed: at least 8 distinct characters, none making up
    more than 3/8 of it, and at least 80 bits by its own character frequencies. `secrets.token_hex(16)`
    (32 hex digits) passes every time (measured minimum 92 bits); 32 identical characters or a short
    word repeated do not."""
    counts = [key.count(c) for c in set(key)]
    if len(counts) < 8 or max(counts) * 8 > len(key) * 3:
        return False
    return -sum(n * math.log2(n / len(key)) for n in counts) >= 80


class SettingsError(ValueError):
    """Raised when the configuration cannot run in the requested environment."""


class Settings(BaseSettings):
    """All configuration of Frontdesk. Environment variable names are the upper-case field names."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    # Core
    env: Literal["development", "production", "test"] = Field(
        "development", description="`production` refuses placeholder secrets and sets secure cookies."
    )
    database_url: str = Field("sqlite:///frontdesk.db", description="SQLAlchemy URL; SQLite file or PostgreSQL.")
    secret_key: str = Field(DEV_SECRET_KEY, description="Signs sessions and CSRF tokens. Must be set in production.")
    request_timeout_seconds: int = Field(1800, ge=1, description="How long a help request waits for a supervisor.")
    sweep_interval_seconds: float = Field(2.0, gt=0, description="How often `serve` marks expired requests unresolved.")
    dispatch_interval_seconds: float = Field(0.5, gt=0, description="How often the outbox dispatcher looks for work.")
    public_base_url: str = Field("http://127.0.0.1:5000", description="Base URL used in links sent to supervisors.")
    log_level: str = Field("INFO", description="Python logging level.")
    web_threads: int = Field(64, ge=4, description="Worker threads of the HTTP server (live-update streams hold one).")
    calls_api_enabled: bool = Field(True, description="Serve the public text-call API (`/api/v1/calls`).")
    forward_turns: bool = Field(
        False, description="With several `serve` processes, send a text call's message on to the process holding "
        "the call instead of moving the call (rebuilding its session) to whichever process the balancer chose."
    )
    internal_url: str = Field(
        "", pattern=r"^(https?://[^\s/?#]+)?$",
        description="How the other `serve` processes reach this one (e.g. `http://10.0.0.5:8000`). Empty: the "
        "address `serve` listens on, when that is one address; no forwarding to it when it listens on all."
    )
    calls_rate_limit_per_minute: int = Field(60, ge=0, description="New text calls per client IP per minute (0 = off).")
    login_rate_limit_per_minute: int = Field(10, ge=1, description="Login attempts per client IP per minute.")
    kb_review_required: bool = Field(False, description="Learned answers wait for approval before the agent uses them.")
    embedding_backend: Literal["auto", "onnx", "numpy"] = Field(
        "auto", description="How MiniLM runs: `auto` (onnxruntime when installed, else NumPy), `onnx` or `numpy`."
    )
    call_idle_timeout_seconds: int = Field(
        120, ge=0, description="A text call with no message or poll for this long is hung up (0 = never)."
    )
    max_message_chars: int = Field(2000, ge=100, description="Caller text longer than this is truncated.")

    # Database outages (loadproof): bounded waits, so a database restart gives quick 503s, never a hang
    db_connect_timeout_seconds: float = Field(
        5.0, gt=0, description="PostgreSQL connect timeout; a request waits at most twice this for a pooled connection."
    )
    db_statement_timeout_seconds: float = Field(
        30.0, ge=0, description="PostgreSQL statement timeout (0 = none); a stuck query ends as a 503."
    )

    # LiveKit / providers
    livekit_url: str = Field("", description="LiveKit server URL (wss://...). Empty: voice calls off.")
    livekit_api_key: str = Field("", description="LiveKit API key.")
    livekit_api_secret: str = Field("", description="LiveKit API secret.")
    livekit_agent_name: str = Field("salon-receptionist", description="Agent name for explicit dispatch.")
    openai_api_key: str = Field("", description="OpenAI key. Empty: the offline brain answers.")
    openai_model: str = Field("gpt-4o-mini", description="OpenAI chat model for the voice and text agent.")
    openai_base_url: str = Field("", description="OpenAI-compatible API base URL. Empty: api.openai.com.")
    kb_llm_judge: bool = Field(
        True, description="With OPENAI_API_KEY set, borderline knowledge matches go to the LLM for a verdict."
    )
    kb_judge_from: float = Field(
        0.05, ge=0.0, le=1.0,
        description="Lowest gate probability put to the LLM judge; its picks under 0.41 are read back to the caller.",
    )
    deepgram_api_key: str = Field("", description="Deepgram key for speech-to-text in voice calls.")

    # Voice: the speech stack (local STT/TTS, `frontdesk call --audio-in`)
    voice_stack: Literal["auto", "cloud", "local"] = Field(
        "auto", description="Speech stack of voice calls: `cloud` (Deepgram + OpenAI TTS), `local` (Whisper + "
        "Piper on this machine), `auto` (cloud when both keys are set, else local if installed).",
    )
    voice_model_dir: str = Field(
        "", description="Where the joined local Whisper model is kept. Empty: `~/.cache/frontdesk`."
    )

    # Notifications
    supervisor_webhook_url: str = Field("", description="POST signed JSON alerts here. Empty: off.")
    webhook_secret: str = Field("", description="HMAC-SHA256 key for webhook signatures.")
    supervisor_phone: str = Field("", description="SMS supervisor alerts to this number (needs Twilio).")
    twilio_account_sid: str = Field("", description="Twilio account SID. Empty: SMS goes to the console log.")
    twilio_auth_token: str = Field("", description="Twilio auth token.")
    twilio_from_number: str = Field("", description="Twilio sender number for SMS.")
    twilio_base_url: str = Field("", description="Override Twilio's API base URL (tests, proxies).")
    supervisor_email: str = Field("", description="Email supervisor alerts to this address (needs SMTP_HOST).")
    smtp_host: str = Field("", description="SMTP server for email alerts. Empty: no email.")
    smtp_port: int = Field(587, ge=1, le=65535, description="SMTP server port.")
    smtp_username: str = Field("", description="SMTP login (empty: no login).")
    smtp_password: str = Field("", description="SMTP password.")
    smtp_starttls: bool = Field(True, description="Upgrade the SMTP connection with STARTTLS.")
    smtp_from: str = Field("frontdesk@localhost", description="Sender address of email alerts.")
    # Answer from anywhere: supervisors reply to alerts by SMS (Twilio webhook) or email (inbound webhook)
    inbound_email_secret: str = Field(
        "", description="Password (HTTP Basic auth) of the inbound-email webhook; empty turns email replies off."
    )
    outbox_max_attempts: int = Field(6, ge=1, description="Delivery attempts before a follow-up is dead-lettered.")
    outbox_backoff_seconds: float = Field(2.0, gt=0, description="First retry delay; doubles each attempt.")
    outbox_lease_seconds: float = Field(
        120.0, gt=0, description="How long a dispatcher owns a claimed follow-up before another may retry it."
    )
    dispatch_batch_size: int = Field(32, ge=1, description="Follow-ups one dispatcher claims per step.")
    dispatch_concurrency: int = Field(8, ge=1, description="Parallel sends per dispatcher.")
    delivery_timeout_seconds: float = Field(10.0, gt=0, description="HTTP timeout of one webhook or Twilio call.")
    in_call_pickup_seconds: float = Field(
        5.0, gt=0, description="An in-call follow-up not spoken within this long is texted instead."
    )
    supervisor_reminder_enabled: bool = Field(
        True, description="Alert supervisors again once a request is still pending at half its deadline."
    )
    msg_escalation: str = Field(
        "Let me check with my supervisor and get back to you.", description="What the caller hears on escalation."
    )
    msg_answer_sms: str = Field(
        "Hi {name}, this is {business}. About your question \"{question}\": {answer}",
        description="Text sent with a supervisor's answer to a caller who hung up.",
    )
    msg_timeout: str = Field(
        "Sorry, I couldn't reach my supervisor about \"{question}\" in time. "
        "We'll text you as soon as we have an answer.",
        description="Told (or texted) to a caller when their request times out.",
    )
    msg_closed: str = Field(
        "Hi {name}, this is {business}. About your question \"{question}\": we couldn't get you an answer "
        "this time. Please call us again.",
        description="Told (or texted) to a caller when a supervisor closes their request without an answer.",
    )
    msg_supervisor_alert: str = Field(
        "Hey, I need help answering: {question} (caller {caller}). {link}",
        description="Supervisor alert text.",
    )

    # Presence (availability) and phone numbers
    presence_timeout_seconds: int = Field(
        90, ge=5, description="An `online` supervisor without a dashboard heartbeat for this long counts as offline."
    )
    phone_region: str = Field(
        "US", min_length=2, max_length=2,
        description="Country (ISO 3166 code) of phone numbers written without a +country code.",
    )

    # Live handoff (transfers to a supervisor)
    transfer_timeout_seconds: float = Field(
        30.0, gt=0, le=600,
        description="How long a transfer is offered to the online supervisors before the caller gets the fallback.",
    )
    sip_transfer_to: str = Field(
        "", max_length=200,
        description="`tel:+1...` or `sip:...`: a voice caller on a SIP trunk is transferred here when a supervisor "
                    "accepts with no phone of their own (empty: the supervisor joins the room from the browser).",
    )

    # Security (hostile input, headers, outbox privacy)
    console_outbox_file: str = Field(
        "", description="File the console channel appends message bodies to; empty: standard error, marked "
                        "`console-outbox` (never the application log)."
    )

    @field_validator("database_url")
    @classmethod
    def _a_database_url(cls, value: str) -> str:
        # Checked here so a typo is a one-line configuration error, not SQLAlchemy's traceback at startup.
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError, NoSuchModuleError

        try:
            make_url(value).get_dialect()
        except (ArgumentError, NoSuchModuleError, ValueError, TypeError):
            raise ValueError("not a database URL SQLAlchemy can use (sqlite:///file.db or postgresql://...)") from None
        return value

    @field_validator("log_level")
    @classmethod
    def _a_logging_level(cls, value: str) -> str:
        # `getattr(logging, name)` would also find BASIC_FORMAT and functions: only the level names pass.
        if value.strip().upper() not in ("CRITICAL", "FATAL", "ERROR", "WARNING", "WARN", "INFO", "DEBUG", "NOTSET"):
            raise ValueError("not a logging level (DEBUG, INFO, WARNING, ERROR or CRITICAL)")
        return value.strip()

    @model_validator(mode="after")
    def _refuse_placeholders_in_production(self) -> Settings:
        if self.env == "production" and (self.secret_key in _PLACEHOLDERS or len(self.secret_key) < 32):
            raise SettingsError("SECRET_KEY must be set to a random value of at least 32 characters in production")
        if self.env == "production" and not looks_random(self.secret_key):
            raise SettingsError("SECRET_KEY looks typed, not random (too few distinct characters or one repeated "
                                "a lot); make one with `python -c 'import secrets; print(secrets.token_urlsafe(48))'`")
        return self

    @model_validator(mode="after")
    def _lease_outlives_a_send(self) -> Settings:
        # A dispatcher only starts a send that can finish within its lease; a shorter lease would send nothing.
        if self.outbox_lease_seconds <= self.delivery_timeout_seconds:
            raise SettingsError("OUTBOX_LEASE_SECONDS must be longer than DELIVERY_TIMEOUT_SECONDS")
        return self

    @property
    def is_sqlite(self) -> bool:
        """True when the store is a SQLite file."""
        return self.database_url.startswith("sqlite")

    @property
    def livekit_configured(self) -> bool:
        """True when voice calls through LiveKit are possible."""
        return bool(self.livekit_url and self.livekit_api_key and self.livekit_api_secret)

    @property
    def twilio_configured(self) -> bool:
        """True when SMS go through Twilio instead of the console."""
        return bool(self.twilio_account_sid and self.twilio_auth_token and self.twilio_from_number)
