"""The LiveKit voice worker (`frontdesk agent dev|start`): one job process per call.

Two speech stacks (`VOICE_STACK`): `cloud` (Deepgram STT, OpenAI TTS) and `local` (Whisper STT and
Piper TTS on this machine, `frontdesk.agent.local_speech`). Plugins are built inside the entrypoint,
never at import, so this module imports without any key or model.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from livekit.agents import AgentServer, AgentSession, JobContext, llm, stt, tts, vad

from frontdesk.agent.call_state import CallState
from frontdesk.agent.hub_loops import BEAT_SECONDS, POLL_SECONDS  # same cadence as text calls
from frontdesk.agent.profile import load_profile
from frontdesk.agent.receptionist import Receptionist
from frontdesk.agent.session import TranscriptRecorder, make_llm
from frontdesk.agent.voice_handoff import RoomPort, watch_transfer
from frontdesk.services import Services, build_services
from frontdesk.settings import Settings
from frontdesk.text import clean, valid_phone

log = logging.getLogger(__name__)

LIVEKIT_REQUIRED = (
    ("LIVEKIT_URL", "livekit_url"),
    ("LIVEKIT_API_KEY", "livekit_api_key"),
    ("LIVEKIT_API_SECRET", "livekit_api_secret"),
)
CLOUD_REQUIRED = (
    ("DEEPGRAM_API_KEY", "deepgram_api_key"),
    ("OPENAI_API_KEY", "openai_api_key"),
)
REQUIRED = LIVEKIT_REQUIRED + CLOUD_REQUIRED


def voice_stack(settings: Settings) -> str:
    """`cloud` or `local`: VOICE_STACK when set; else `cloud` when the Deepgram and OpenAI keys are
    set, `local` when they are not and the `local-voice` extra is installed, else `cloud`."""
    if settings.voice_stack != "auto":
        return settings.voice_stack
    if all(getattr(settings, attr) for _env, attr in CLOUD_REQUIRED):
        return "cloud"
    from frontdesk.agent.local_speech import local_stack_installed

    return "local" if local_stack_installed() else "cloud"


def missing_setting(settings: Settings, livekit: bool = True) -> str | None:
    """The first environment variable the voice worker needs but is not set, or None.

    The local stack needs only LiveKit (the LLM is OpenAI with a key, else the offline brain);
    with `livekit=False` (a call in one process) only the speech stack is checked.
    """
    required: tuple[tuple[str, str], ...] = LIVEKIT_REQUIRED if livekit else ()
    if voice_stack(settings) == "cloud":
        required += CLOUD_REQUIRED
    for env, attr in required:
        if not getattr(settings, attr):
            return env
    return None


@dataclass
class VoicePlugins:
    """The speech pipeline of one call. `stt`/`tts`/`vad` None means text only (tests)."""

    llm: llm.LLM
    stt: stt.STT | None = None
    tts: tts.TTS | None = None
    vad: vad.VAD | None = None
    turn_detection: Any = None
    turn_options: dict[str, Any] = field(default_factory=dict)  # endpointing / interruption tuning

    def session(self, state: CallState, turn_options: dict[str, Any] | None = None) -> AgentSession[CallState]:
        """A fresh `AgentSession` of one call with these plugins (`turn_options` merged over ours)."""
        speech: dict[str, Any] = {k: v for k, v in (("stt", self.stt), ("tts", self.tts)) if v is not None}
        turn: dict[str, Any] = {"turn_detection": self.turn_detection, **self.turn_options}
        for key, value in (turn_options or {}).items():
            turn[key] = {**turn.get(key, {}), **value}
        return AgentSession(llm=self.llm, vad=self.vad, userdata=state, turn_handling=turn,  # type: ignore[arg-type]
                            **speech)


def make_plugins(settings: Settings, stack: str | None = None) -> VoicePlugins:
    """The plugins of `stack` (default: `voice_stack(settings)`).

    cloud: Deepgram STT, OpenAI TTS, the local VAD and end-of-turn model (needs the keys).
    local: Whisper STT and Piper TTS on this machine, Silero VAD ending the turn.
    The LLM is OpenAI with a key, else the offline brain, on either stack.
    """
    if (stack or voice_stack(settings)) == "local":
        from frontdesk.agent.local_speech import make_local_plugins

        return make_local_plugins(settings, make_llm(settings))
    from livekit.agents import inference
    from livekit.plugins import deepgram, openai

    return VoicePlugins(
        llm=make_llm(settings),
        stt=deepgram.STT(model="nova-3", api_key=settings.deepgram_api_key),
        tts=openai.TTS(api_key=settings.openai_api_key),
        vad=inference.VAD(model="silero"),
        turn_detection=inference.TurnDetector(),
    )


def caller_identity(participant: Any, job_metadata: str) -> tuple[str, str]:
    """(phone, name) of the caller: a SIP participant's `sip.phoneNumber`, else dispatch metadata or
    token attributes of a web caller. An invalid number is dropped (the agent will ask for it)."""
    attributes = dict(getattr(participant, "attributes", None) or {})
    phone = attributes.get("sip.phoneNumber", "")
    name = ""
    try:
        meta = json.loads(job_metadata) if job_metadata else {}
    except ValueError:
        meta = {}
    if isinstance(meta, dict):
        phone = phone or str(meta.get("caller_phone") or "")
        name = str(meta.get("caller_name") or "")
    phone = clean(phone or attributes.get("phone", ""), 40)
    name = clean(name or getattr(participant, "name", "") or "", 200)
    return (phone if valid_phone(phone) else ""), name


class VoiceCallHolder:
    """Beats one voice call's heartbeat and says its in-call follow-ups (polls the DB by call id)."""

    def __init__(self, services: Services, call_id: str, session: AgentSession[CallState], holder: str,
                 handoff: Callable[[], Coroutine[Any, Any, str]] | None = None) -> None:
        self.services, self.call_id, self.session, self.holder = services, call_id, session, holder
        self._task: asyncio.Task[None] | None = None
        # Live handoff: once the caller's transfer is offered, `handoff()` follows it (voice_handoff.py).
        self.handoff = handoff
        self._watch: asyncio.Task[str] | None = None

    def start(self) -> None:
        """Start polling on the running loop."""
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Stop polling."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    async def _run(self) -> None:
        calls = self.services.calls
        since_beat = BEAT_SECONDS
        while True:
            try:
                if since_beat >= BEAT_SECONDS:
                    await asyncio.to_thread(calls.beat, [self.call_id], self.holder)
                    since_beat = 0.0
                state = self.session.userdata
                if self.handoff is not None and state.transfer_id is not None and (
                        self._watch is None or self._watch.done()):
                    self._watch = asyncio.get_running_loop().create_task(self.handoff())
                for followup_id, _call in await asyncio.to_thread(calls.queued_in_call, [self.call_id]):
                    message = await asyncio.to_thread(calls.claim_in_call, followup_id)
                    if message is not None:
                        await self.session.wait_for_idle()
                        await self.session.say(message.text)
                        # Marked sent once said: a job killed or a caller gone mid-notice gets it texted.
                        await asyncio.to_thread(calls.confirm_in_call, message)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("voice call %s: delivery step failed", self.call_id)
            await asyncio.sleep(POLL_SECONDS)
            since_beat += POLL_SECONDS


@dataclass
class VoiceCall:
    """One voice call's session with its transcript recorder and in-call holder (not started yet)."""

    session: AgentSession[CallState]
    state: CallState
    recorder: TranscriptRecorder
    holder: VoiceCallHolder
    writer: ThreadPoolExecutor

    async def start(self, **start_kwargs: Any) -> None:
        """Start the session (a room, or the session's own audio input/output), greet, hold."""
        await self.session.start(agent=Receptionist(self.state), **start_kwargs)
        self.holder.start()
        self.session.say(self.state.profile.greeting())

    async def end(self, *_args: Any) -> None:
        """Stop holding, write the transcript, mark the call ended."""
        await self.holder.stop()
        await self.recorder.flush()
        self.writer.shutdown(wait=False)
        await asyncio.to_thread(self.state.services.calls.end, self.state.call_id, "hangup")


async def open_voice_call(services: Services, plugins: VoicePlugins, *, holder: str, phone: str = "",
                          name: str = "", room_name: str = "",
                          turn_options: dict[str, Any] | None = None) -> VoiceCall:
    """Record a new voice call and build its session: what a LiveKit job and `frontdesk call
    --audio-in` share."""
    call = await asyncio.to_thread(services.calls.start, channel="voice", holder=holder, caller_phone=phone,
                                   caller_name=name, room_name=room_name)
    profile = await asyncio.to_thread(load_profile, services.db)
    state = CallState(services=services, call_id=call.id, profile=profile, caller_phone=call.caller_phone,
                      caller_name=call.caller_name)
    if hasattr(plugins.stt, "vocabulary"):  # the local STT: bias Whisper toward this business's words
        from frontdesk.agent.local_speech import vocabulary_prompt

        plugins.stt.vocabulary = vocabulary_prompt(profile)  # type: ignore[union-attr]
    session = plugins.session(state, turn_options)
    writer = ThreadPoolExecutor(1, thread_name_prefix="transcript")
    recorder = TranscriptRecorder(session, services.calls, call.id, writer, autoflush=True)
    return VoiceCall(session, state, recorder, VoiceCallHolder(services, call.id, session, holder), writer)


async def run_voice_call(ctx: JobContext, services: Services, plugins: VoicePlugins,
                         participant: Any = None, room_options: Any = None) -> AgentSession[CallState]:
    """Serve one call in `ctx.room`: record it, greet, answer, escalate, and say in-call answers."""
    await ctx.connect()
    if participant is None:
        participant = await ctx.wait_for_participant()
    phone, name = caller_identity(participant, ctx.job.metadata)
    call = await open_voice_call(services, plugins, holder=f"job:{ctx.job.id}", phone=phone, name=name,
                                 room_name=ctx.room.name or ctx.job.room.name)
    # Live handoff: once the caller's transfer is offered, the holder follows it (voice_handoff.py).
    port = RoomPort(ctx.room, services.settings, call.session)
    is_sip = bool((getattr(participant, "attributes", None) or {}).get("sip.phoneNumber"))
    identity = str(getattr(participant, "identity", "") or "")
    call.holder.handoff = lambda: watch_transfer(services, call.state, call.session, port,
                                                 caller_identity=identity, caller_is_sip=is_sip)
    ctx.add_shutdown_callback(call.end)
    kwargs: dict[str, Any] = {"room": ctx.room}
    if room_options is not None:
        kwargs["room_options"] = room_options
    await call.start(**kwargs)
    return call.session


def _load_local_models(_proc: Any) -> None:
    from frontdesk.agent.local_speech import load_models

    settings = Settings()  # type: ignore[call-arg]
    load_models(Path(settings.voice_model_dir) if settings.voice_model_dir else None)


def build_server(settings: Settings) -> AgentServer:
    """The agent server with our one rtc session (explicit dispatch by `LIVEKIT_AGENT_NAME`)."""
    server = AgentServer(ws_url=settings.livekit_url, api_key=settings.livekit_api_key,
                         api_secret=settings.livekit_api_secret)
    if voice_stack(settings) == "local":
        server.setup_fnc = _load_local_models  # each job process loads Whisper and Piper before its call

    @server.rtc_session(agent_name=settings.livekit_agent_name)
    async def entrypoint(ctx: JobContext) -> None:
        """One call: build the services and plugins in this job process, then serve the caller."""
        job_settings = Settings()  # type: ignore[call-arg]
        services = build_services(job_settings)
        await run_voice_call(ctx, services, make_plugins(job_settings))

        async def close_services(*_args: Any) -> None:
            await asyncio.to_thread(services.stop)

        ctx.add_shutdown_callback(close_services)

    return server
