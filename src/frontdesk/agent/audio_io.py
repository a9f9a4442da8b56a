"""Audio in and out of a room-less `AgentSession`: a virtual microphone and a recording speaker.

`Microphone` is what a phone line gives the agent: frames in real time, silence when nobody talks,
and the caller's clips when `play()` is called. `Speaker` plays the agent's audio in (simulated) real
time on the call's timeline, so barge-in cuts it exactly as a live line would, and keeps what was
actually heard for a WAV file. Both run on the session's event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import wave
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from livekit import rtc
from livekit.agents.voice import io

FRAME_MS = 20


def read_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """(int16 mono samples, sample rate) of a 16-bit PCM WAV file; stereo is mixed down."""
    with wave.open(str(path), "rb") as f:
        if f.getsampwidth() != 2:
            raise ValueError(f"{path}: only 16-bit PCM WAV is supported")
        rate, channels = f.getframerate(), f.getnchannels()
        pcm = np.frombuffer(f.readframes(f.getnframes()), dtype=np.int16)
    if channels > 1:
        pcm = pcm.reshape(-1, channels).mean(axis=1).astype(np.int16)
    return pcm, rate


def write_wav(path: str | Path, pcm: np.ndarray, rate: int) -> None:
    """Write int16 mono samples as a WAV file."""
    with wave.open(str(path), "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(rate)
        f.writeframes(pcm.astype(np.int16).tobytes())


def resample(pcm: np.ndarray, rate: int, to_rate: int) -> np.ndarray:
    """Resample int16 mono samples with LiveKit's resampler."""
    if rate == to_rate or pcm.size == 0:
        return pcm
    r = rtc.AudioResampler(rate, to_rate, num_channels=1, quality=rtc.AudioResamplerQuality.HIGH)
    frames = [*r.push(rtc.AudioFrame(pcm.tobytes(), rate, 1, pcm.size)), *r.flush()]
    return np.concatenate([np.frombuffer(bytes(f.data), dtype=np.int16) for f in frames]) if frames else pcm[:0]


class Microphone(io.AudioInput):
    """The caller's line: one frame every 20 ms of wall time, from queued clips or silence."""

    def __init__(self, sample_rate: int = 16000) -> None:
        super().__init__(label="frontdesk-microphone")
        self.sample_rate = sample_rate
        self._step = sample_rate * FRAME_MS // 1000
        self._queue: list[tuple[np.ndarray, asyncio.Future[float]]] = []
        self._current: tuple[np.ndarray, asyncio.Future[float]] | None = None
        self._pos = 0
        self._next_at: float | None = None
        self._closed = False

    def play(self, pcm: np.ndarray, rate: int) -> asyncio.Future[float]:
        """Queue a clip as the caller's speech; the future gets the wall time (time.time()) its
        last sample was sent: the end of the caller's speech."""
        done: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._queue.append((resample(pcm, rate, self.sample_rate), done))
        return done

    def close(self) -> None:
        """End the input (the caller hung up)."""
        self._closed = True

    async def __anext__(self) -> rtc.AudioFrame:
        if self._closed:
            raise StopAsyncIteration
        now = time.monotonic()
        self._next_at = now if self._next_at is None or self._next_at < now - 0.2 else self._next_at
        if self._next_at > now:
            await asyncio.sleep(self._next_at - now)
        self._next_at += FRAME_MS / 1000
        if self._current is None and self._queue:
            self._current, self._pos = self._queue.pop(0), 0
        chunk = np.zeros(self._step, dtype=np.int16)
        if self._current is not None:
            pcm, done = self._current
            part = pcm[self._pos : self._pos + self._step]
            chunk[: part.size] = part
            self._pos += self._step
            if self._pos >= pcm.size:
                self._current = None
                if not done.done():
                    done.set_result(time.time())
        return rtc.AudioFrame(chunk.tobytes(), self.sample_rate, 1, self._step)


@dataclass
class Played:
    """One stretch of the agent's speech as heard: where it started on the call's timeline."""

    start: float  # seconds since the call started
    pcm: bytearray = field(default_factory=bytearray)
    interrupted: bool = False


class Speaker(io.AudioOutput):
    """The agent's side of the line: plays frames at real-time pace on a timeline and records them.

    A frame starts when the previous one ends (or now, after a gap); `clear_buffer()` (barge-in)
    drops whatever has not been heard yet. `first_audio_at` lists the wall time of each segment's
    first frame (for latency measurements).
    """

    def __init__(self, sample_rate: int = 22050) -> None:
        super().__init__(label="frontdesk-speaker", capabilities=io.AudioOutputCapabilities(pause=False),
                         sample_rate=sample_rate)
        self.rate = sample_rate
        self.t0 = time.monotonic()
        self.segments: list[Played] = []
        self.first_audio_at: list[float] = []
        self._seg: Played | None = None
        self._end = 0.0  # monotonic time the last queued frame finishes playing
        self._pushed = 0.0
        self._interrupt = asyncio.Event()
        self._waiter: asyncio.Task[None] | None = None

    @property
    def speaking(self) -> bool:
        """True while audio is still playing out."""
        return self._seg is not None and time.monotonic() < self._end

    async def capture_frame(self, frame: rtc.AudioFrame) -> None:
        await super().capture_frame(frame)
        if self._waiter is not None and not self._waiter.done():
            await self._waiter
        now = time.monotonic()
        if self._seg is None:
            self._seg = Played(start=now - self.t0)
            self.segments.append(self._seg)
            self._end, self._pushed = now, 0.0
            self._interrupt.clear()
            self.first_audio_at.append(time.time())
            self.on_playback_started(created_at=time.time())
        gap = now - self._end
        if gap > 0:  # the TTS fell behind real time: the line was silent meanwhile
            self._seg.pcm += bytes(2 * int(gap * self.rate))
            self._end = now
        self._seg.pcm += bytes(frame.data)
        self._end += frame.duration
        self._pushed += frame.duration

    def flush(self) -> None:
        super().flush()
        if self._seg is not None and (self._waiter is None or self._waiter.done()):
            self._waiter = asyncio.get_running_loop().create_task(self._play_out(self._seg))

    def clear_buffer(self) -> None:
        if self._seg is not None:
            self._interrupt.set()

    async def _play_out(self, seg: Played) -> None:
        remaining = self._end - time.monotonic()
        if remaining > 0 and not self._interrupt.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._interrupt.wait(), remaining)
        heard = time.monotonic() - (self.t0 + seg.start)
        interrupted = self._interrupt.is_set() and time.monotonic() < self._end
        if interrupted:  # keep only what the caller heard before the cut
            del seg.pcm[2 * int(heard * self.rate) :]
            seg.interrupted = True
        played = min(self._pushed, heard) if interrupted else self._pushed
        self._seg = None
        self._interrupt.clear()
        self.on_playback_finished(playback_position=played, interrupted=interrupted)

    def timeline(self, until: float | None = None) -> np.ndarray:
        """Everything the agent said, placed on the call's timeline (silence between), as int16."""
        length = until if until is not None else time.monotonic() - self.t0
        for seg in self.segments:
            length = max(length, seg.start + len(seg.pcm) / 2 / self.rate)
        out = np.zeros(int(length * self.rate) + 1, dtype=np.int16)
        for seg in self.segments:
            pcm = np.frombuffer(bytes(seg.pcm), dtype=np.int16)
            at = int(seg.start * self.rate)
            out[at : at + pcm.size] = pcm[: out.size - at]
        return out
