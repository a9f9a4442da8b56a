"""Whisper on a short utterance with an encoder window fitted to it, not faster-whisper's 30 s.

faster-whisper pads every input to 30 s (3000 mel frames) before the encoder; on this 2-core CPU
encoding those 3000 frames costs ~0.7 s whatever the utterance's length, most of a turn's budget.
CTranslate2's Whisper encoder accepts shorter inputs (1000 frames: ~0.1 s), so a caller's
question of a few seconds is encoded in a 10 s window (its features, then zeros as faster-whisper
pads) and decoded greedily with the prompt built as faster-whisper builds it. Whisper was trained
on 30 s windows: with too short a window it can loop on a phrase (a 4-6 s window did, on some
clips), so a looping or truncated decode is reported as `None` and the caller falls back to the
30 s path. `bench/voice` measures the word error rate of both.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

RATE = 16000
FRAMES_PER_SECOND = 100  # Whisper's mel hop is 10 ms
WINDOW_SECONDS = 10.0  # the encoder window of a short utterance
SHORT_SECONDS = 8.0  # longest utterance given that window (at least 2 s of padding after it)
MAX_TOKENS_PER_SECOND = 8  # speech is ~4 tokens a second; more is a loop
MAX_COMPRESSION_RATIO = 2.4  # faster-whisper's threshold for a repetitive decode
NO_SPEECH_PROB, LOW_LOGPROB = 0.6, -1.0  # faster-whisper's no-speech rule


@dataclass
class Decoded:
    """One greedy decode: its text and the scores the guards look at."""

    text: str
    no_speech_prob: float
    avg_logprob: float
    tokens: int
    max_tokens: int


def window_features(features: np.ndarray, seconds: float = WINDOW_SECONDS) -> np.ndarray:
    """(1, 80, frames) encoder input: the utterance's mel features, then zeros up to the window."""
    frames = int(seconds * FRAMES_PER_SECOND)
    out = np.zeros((1, features.shape[0], frames), dtype=np.float32)
    n = min(frames, features.shape[-1])
    out[0, :, :n] = features[:, :n]
    return out


def compression_ratio(text: str) -> float:
    """Bytes over zlib-compressed bytes: high when a decode repeats itself."""
    import zlib

    raw = text.encode("utf-8")
    return len(raw) / len(zlib.compress(raw)) if raw else 0.0


class ShortDecoder:
    """Greedy English decoding of short utterances with a fitted encoder window."""

    def __init__(self, model: Any, window_seconds: float = WINDOW_SECONDS) -> None:
        """`model` is a loaded `faster_whisper.WhisperModel`."""
        from faster_whisper.tokenizer import Tokenizer
        from faster_whisper.transcribe import get_suppressed_tokens

        self.model = model
        self.window_seconds = window_seconds
        self.tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual, task="transcribe",
                                   language="en")
        self.suppress = get_suppressed_tokens(self.tokenizer, [-1])

    def fits(self, audio: np.ndarray) -> bool:
        """Short enough for the fitted window."""
        return audio.size <= (self.window_seconds - 2.0) * RATE

    def decode(self, audio: np.ndarray, prompt: str | None = None) -> Decoded:
        """One greedy decode of 16 kHz float32 `audio` in the fitted window, without timestamps."""
        import ctranslate2

        features = self.model.feature_extractor(audio)
        encoded = self.model.model.encode(
            ctranslate2.StorageView.from_array(window_features(features, self.window_seconds)), to_cpu=False)
        previous = self.tokenizer.encode(" " + prompt.strip()) if prompt and prompt.strip() else []
        tokens = self.model.get_prompt(self.tokenizer, previous, without_timestamps=True)
        max_new = 10 + int(MAX_TOKENS_PER_SECOND * audio.size / RATE)
        result = self.model.model.generate(
            encoded, [tokens], beam_size=1, max_length=min(self.model.max_length, len(tokens) + max_new),
            return_scores=True, return_no_speech_prob=True, suppress_blank=True, suppress_tokens=self.suppress,
        )[0]
        ids = result.sequences_ids[0]
        return Decoded(text=self.tokenizer.decode(ids).strip(), no_speech_prob=float(result.no_speech_prob),
                       avg_logprob=float(result.scores[0]) * len(ids) / (len(ids) + 1), tokens=len(ids),
                       max_tokens=max_new)

    def transcribe(self, audio: np.ndarray, prompt: str | None = None) -> str | None:
        """The words of a short utterance; "" when Whisper hears no speech in it; None when the
        fitted window will not do (too long, or the decode looped or ran out of tokens)."""
        if not self.fits(audio):
            return None
        decoded = self.decode(audio, prompt)
        if decoded.no_speech_prob > NO_SPEECH_PROB and decoded.avg_logprob < LOW_LOGPROB:
            return ""
        if decoded.tokens >= decoded.max_tokens or compression_ratio(decoded.text) > MAX_COMPRESSION_RATIO:
            log.debug("short-window decode looped (%d tokens); using the 30 s window", decoded.tokens)
            return None
        return decoded.text
