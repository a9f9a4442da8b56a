"""A voice call in one process, with no LiveKit server: `frontdesk call --audio-in ... --audio-out ...`.

The call goes through the same `AgentSession`, `Receptionist`, tools, transcript recorder and in-call
holder as a LiveKit job (`worker.open_voice_call`); only the room is replaced by a virtual
microphone and speaker (`audio_io`). Tests and `bench/voice` drive it too.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from frontdesk.agent.audio_io import Microphone, Speaker
from frontdesk.agent.session import ROLES
from frontdesk.agent.worker import VoiceCall, VoicePlugins, open_voice_call
from frontdesk.services import Services

# A caller's utterance whose transcript never comes (noise the VAD took for speech, cut to nothing
# by the STT) stops counting as pending after this long.
PENDING_TURN_SECONDS = 8.0


@dataclass
class Line:
    """One transcript line as it was said: `caller` or `agent`, its text, and wall time."""

    role: str
    text: str
    at: float
    interrupted: bool = False


class AudioCall:
    """One call: `start()`, then `speak()` caller clips and `wait_quiet()` between them, `close()`."""

    def __init__(self, services: Services, plugins: VoicePlugins, *, phone: str = "", name: str = "",
                 on_line: Callable[[Line], None] | None = None) -> None:
        self.services, self.plugins, self.phone, self.name = services, plugins, phone, name
        self.on_line = on_line
        self.lines: list[Line] = []
        self.mic = Microphone(16000)
        self.speaker = Speaker(plugins.tts.sample_rate if plugins.tts is not None else 24000)
        self.call: VoiceCall | None = None
        self._last_event = time.monotonic()
        self._pending_since: float | None = None

    @property
    def session(self) -> Any:
        """The call's `AgentSession`."""
        assert self.call is not None, "start() the call first"
        return self.call.session

    @property
    def call_id(self) -> str:
        """The call's id in the store."""
        assert self.call is not None, "start() the call first"
        return self.call.state.call_id

    async def start(self) -> None:
        """Record the call, start the session on the microphone and speaker; the greeting begins."""
        # No pause on this speaker: a false interruption is not resumed (the caller's clip is real speech).
        self.call = await open_voice_call(self.services, self.plugins, holder=f"local:{os.getpid()}",
                                          phone=self.phone, name=self.name,
                                          turn_options={"interruption": {"resume_false_interruption": False}})
        session = self.call.session
        session.input.audio = self.mic
        session.output.audio = self.speaker
        session.on("conversation_item_added", self._on_item)
        session.on("user_state_changed", self._on_user_state)
        session.on("agent_state_changed", self._touch)
        session.on("user_input_transcribed", self._on_transcribed)
        if self.plugins.stt is not None:
            self.plugins.stt.on("metrics_collected", self._on_stt_done)
        await self.call.start()

    async def speak(self, pcm: np.ndarray, rate: int) -> float:
        """Say a clip as the caller (real time); returns the wall time its last sample was sent."""
        end = await self.mic.play(pcm, rate)
        self._touch()
        return end

    def speak_later(self, pcm: np.ndarray, rate: int) -> asyncio.Future[float]:
        """Queue a clip without waiting (e.g. to talk over the receptionist)."""
        return self.mic.play(pcm, rate)

    def quiet(self, settle: float) -> bool:
        """Nobody is talking, nothing is being transcribed or answered, for `settle` seconds."""
        now = time.monotonic()
        if self._pending_since is not None and now - self._pending_since > PENDING_TURN_SECONDS:
            self._pending_since = None
        session = self.session
        return (self._pending_since is None and not self.speaker.speaking and session.current_speech is None
                and session.agent_state in ("listening", "idle") and session.user_state != "speaking"
                and now - self._last_event >= settle)

    async def wait_quiet(self, settle: float = 1.0, timeout: float = 60.0) -> bool:
        """Wait until `quiet(settle)`; False on timeout."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.quiet(settle):
                return True
            await asyncio.sleep(0.05)
        return False

    async def say_and_wait(self, pcm: np.ndarray, rate: int, timeout: float = 60.0) -> float:
        """Say a clip, wait until it is transcribed as a caller line and the receptionist has said
        its reply (on a loaded machine the VAD and STT run behind real time, so quiet alone is not
        enough), then until the line is quiet; returns the end of the clip (wall time). A clip heard
        as nothing times out quietly."""
        def count(role: str) -> int:
            return sum(1 for line in self.lines if line.role == role)

        callers, agents = count("caller"), count("agent")
        end = await self.speak(pcm, rate)
        if await self.wait_for(lambda: count("caller") > callers, timeout):
            await self.wait_for(lambda: count("agent") > agents, timeout)
        await self.wait_quiet(settle=0.7, timeout=timeout)
        return end

    async def wait_for(self, check: Callable[[], bool], timeout: float = 30.0) -> bool:
        """Poll `check` on the call's loop; False on timeout."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if check():
                return True
            await asyncio.sleep(0.05)
        return check()

    async def close(self) -> None:
        """Hang up: stop the session, write the transcript, mark the call ended."""
        self.mic.close()
        if self.plugins.stt is not None:
            self.plugins.stt.off("metrics_collected", self._on_stt_done)
        if self.call is not None:
            await self.call.session.aclose()
            await self.call.end()

    def agent_audio(self) -> tuple[np.ndarray, int]:
        """Everything the receptionist said, on the call's timeline: (int16 samples, rate)."""
        return self.speaker.timeline(), self.speaker.rate

    def _touch(self, *_args: Any) -> None:
        self._last_event = time.monotonic()

    def _on_user_state(self, event: Any) -> None:
        self._touch()
        if event.old_state == "speaking" and event.new_state == "listening":
            self._pending_since = time.monotonic()  # until its transcript (or nothing) comes back

    def _on_transcribed(self, event: Any) -> None:
        self._touch()
        if getattr(event, "is_final", True):
            self._pending_since = None

    def _on_stt_done(self, *_args: Any) -> None:
        self._pending_since = None  # a transcription finished, possibly empty
        self._touch()

    def _on_item(self, event: Any) -> None:
        self._touch()
        item = event.item
        role = ROLES.get(getattr(item, "role", ""))
        text = getattr(item, "text_content", None) or ""
        if getattr(item, "type", None) != "message" or role is None or not text:
            return
        line = Line(role, text, time.time(), bool(getattr(item, "interrupted", False)))
        self.lines.append(line)
        if self.on_line is not None:
            self.on_line(line)


async def call_with_files(services: Services, plugins: VoicePlugins, files: list[str], *, phone: str = "",
                          name: str = "", hold: float = 3.0, on_line: Callable[[Line], None] | None = None,
                          ) -> AudioCall:
    """The caller says each file in turn, each once the receptionist has finished answering the
    previous one; the line stays open `hold` seconds after the last answer (an in-call answer may
    come), then the caller hangs up. Returns the ended call (its lines and agent audio)."""
    from frontdesk.agent.audio_io import read_wav

    clips = [read_wav(path) for path in files]  # bad files fail before the call starts
    call = AudioCall(services, plugins, phone=phone, name=name, on_line=on_line)
    await call.start()
    try:
        await call.wait_quiet(settle=0.7)  # the greeting, then a breath
        for pcm, rate in clips:
            await call.say_and_wait(pcm, rate)
        await asyncio.sleep(hold)
        await call.wait_quiet(settle=0.3)  # an in-call answer that began during the hold is heard out
    finally:
        await call.close()
    return call
