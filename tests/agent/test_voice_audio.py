"""The voice pipeline heard with real audio, offline: Silero VAD and turn taking, Whisper STT, the
receptionist and its tools, Piper TTS, and a supervisor's API answer spoken into the live call.

The caller speaks with Debian's espeak-ng (a different, robotic voice); the receptionist with Piper's
Joe voice. The reply audio is transcribed back with Whisper. Everything runs in real time on the
in-process call (`frontdesk call --audio-in`): about a minute and a half in all.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import func, select

from frontdesk.agent.local_speech import local_stack_installed
from frontdesk.models import HelpRequest

pytestmark = pytest.mark.skipif(
    not local_stack_installed() or shutil.which("espeak-ng") is None,
    reason="needs the local-voice extra and espeak-ng (`make install-dev` installs both)",
)

CALLER_VOICE = ("en-us+m3", "140")  # espeak-ng voice and words per minute


def espeak(text: str, path: Path) -> tuple[np.ndarray, int]:
    """The caller saying `text` (espeak-ng, 22.05 kHz mono WAV)."""
    from frontdesk.agent.audio_io import read_wav

    voice, rate = CALLER_VOICE
    subprocess.run(["espeak-ng", "-v", voice, "-s", rate, "-w", str(path), text], check=True, timeout=30)
    return read_wav(path)


@pytest.fixture(scope="module")
def models() -> Any:
    """Whisper, Piper and Silero, loaded once for the module (hash-checked)."""
    from frontdesk.agent.local_speech import load_models

    return load_models()


@pytest.fixture
def voice_salon(sqlite_url: str) -> Iterator[Any]:
    """The demo salon on SQLite, the local stack selected, one supervisor (for the API)."""
    from tests.conftest import make_settings

    from frontdesk.clock import FakeClock
    from frontdesk.demo import seed_demo
    from frontdesk.migrate import upgrade
    from frontdesk.services import build_services

    svc = build_services(make_settings(sqlite_url, voice_stack="local"), clock=FakeClock())
    upgrade(svc.db)
    seed_demo(svc.db, svc.clock, svc.knowledge)
    svc.accounts.create("sup@example.com", "correct-horse-battery-9", "Sam")
    svc.knowledge.search("warm up")  # the first search loads the text models: not part of any turn
    yield svc
    svc.stop()


def transcribe(models: Any, pcm: np.ndarray, rate: int) -> str:
    """What Whisper hears in the receptionist's audio."""
    from livekit import rtc

    from frontdesk.agent.local_speech import to_whisper_audio

    whisper = models[0]
    return str(whisper.transcribe(to_whisper_audio(rtc.AudioFrame(pcm.tobytes(), rate, 1, pcm.size))))


def agent_audio_since(call: Any, start: float) -> tuple[np.ndarray, int]:
    """The receptionist's audio from `start` seconds into the call."""
    pcm, rate = call.agent_audio()
    return pcm[int(start * rate):], rate


def new_call(svc: Any, phone: str = "+15550001111") -> Any:
    from frontdesk.agent.audio_call import AudioCall
    from frontdesk.agent.worker import make_plugins

    return AudioCall(svc, make_plugins(svc.settings), phone=phone)


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_spoken_questions_answered_from_the_kb_and_by_the_supervisor_in_the_call(
        voice_salon: Any, models: Any, tmp_path: Path) -> None:
    from frontdesk.web import create_app

    svc = voice_salon
    known = espeak("How much is a women's haircut?", tmp_path / "known.wav")
    unknown = espeak("Can I bring my dog to the salon?", tmp_path / "unknown.wav")
    app = create_app(services=svc)
    client = app.test_client()
    token = client.post("/api/v1/auth/token",
                        json={"email": "sup@example.com", "password": "correct-horse-battery-9"}).get_json()["token"]

    async def body() -> dict[str, Any]:
        call = new_call(svc)
        await call.start()
        try:
            assert await call.wait_quiet(0.7, timeout=60)  # the greeting
            mark = call.speaker.timeline().size / call.speaker.rate
            await call.say_and_wait(*known)
            kb_reply = agent_audio_since(call, mark)
            mark = call.speaker.timeline().size / call.speaker.rate
            await call.say_and_wait(*unknown)
            request_id = call.call.state.turn_help_request_id if call.call else None
            assert request_id is not None, [line.text for line in call.lines]
            response = await asyncio.to_thread(
                client.post, f"/api/v1/help-requests/{request_id}/answer",
                headers={"Authorization": f"Bearer {token}"},
                json={"answer": "Yes, well-behaved dogs are welcome.", "add_to_kb": False})
            assert response.status_code == 200, response.get_json()
            spoken = await call.wait_for(lambda: any("dogs are welcome" in line.text for line in call.lines), 30)
            assert spoken, [line.text for line in call.lines]
            assert await call.wait_quiet(0.5, timeout=60)
            answer_reply = agent_audio_since(call, mark)
            return {"lines": [(line.role, line.text) for line in call.lines], "kb": kb_reply,
                    "answer": answer_reply, "call_id": call.call_id}
        finally:
            await call.close()

    result = run(body())
    lines = result["lines"]
    callers = [text.lower() for role, text in lines if role == "caller"]
    assert any("haircut" in text for text in callers), lines
    assert any("dog" in text for text in callers), lines
    heard_kb = transcribe(models, *result["kb"]).lower()
    assert "65" in heard_kb or "sixty-five" in heard_kb, heard_kb
    heard_answer = transcribe(models, *result["answer"]).lower()
    assert "supervisor" in heard_answer and "dogs are welcome" in heard_answer, heard_answer
    transcript = [(line.role, line.text) for line in svc.calls.transcript(result["call_id"])]
    assert any(role == "agent" and "dogs are welcome" in text for role, text in transcript)


def test_caller_talking_over_the_receptionist_stops_its_speech(voice_salon: Any, models: Any, tmp_path: Path) -> None:
    svc = voice_salon
    # Words Whisper hears the same in every run ("opening hours" came out as "own printing hours" once,
    # an escalation whose short line ended before the caller could talk over it).
    hours = espeak("What time do you open?", tmp_path / "hours.wav")
    barge = espeak("Sorry, how much is a men's haircut?", tmp_path / "barge.wav")

    async def body() -> dict[str, Any]:
        call = new_call(svc)
        await call.start()
        try:
            assert await call.wait_quiet(0.7, timeout=60)
            await call.speak(*hours)
            segments = len(call.speaker.segments)
            assert await call.wait_for(lambda: len(call.speaker.segments) > segments, 60)
            reply = call.speaker.segments[segments]
            # LiveKit ignores the caller for the first 3 s of each reply (echo-cancellation warm-up).
            await asyncio.sleep(3.3)
            await call.say_and_wait(*barge)
            return {"reply": reply, "lines": [(line.role, line.text, line.interrupted) for line in call.lines]}
        finally:
            await call.close()

    result = run(body())
    reply, lines = result["reply"], result["lines"]
    shown = "\n".join(map(str, lines))
    assert reply.interrupted, shown
    first_caller = next(i for i, (role, _, _) in enumerate(lines) if role == "caller")
    cut_role, cut_text, cut = lines[first_caller + 1]  # the reply (an answer, or a read-back if misheard)
    assert cut_role == "agent" and cut, shown  # the framework marked it interrupted
    piper = models[1]
    whole = len(piper.synthesize(cut_text)) / 2 / piper.sample_rate
    heard = len(reply.pcm) / 2 / piper.sample_rate
    assert 3.0 < heard < whole - 0.5, (heard, whole)  # cut soon after the caller started, not played out
    assert any(role == "agent" and "$40" in text for role, text, _ in lines), lines  # and the new question answered


def test_silence_and_noise_open_nothing(voice_salon: Any, models: Any) -> None:
    svc = voice_salon
    rng = np.random.default_rng(7)
    silence = np.zeros(16000 * 3, dtype=np.int16)
    noise = (rng.normal(0, 1500, 16000 * 3)).astype(np.int16)  # steady hiss, like a bad line

    async def body() -> list[tuple[str, str]]:
        call = new_call(svc)
        await call.start()
        try:
            assert await call.wait_quiet(0.7, timeout=60)
            await call.speak(silence, 16000)
            await call.speak(noise, 16000)
            await asyncio.sleep(3.0)  # a loaded machine's VAD may run behind real time
            assert await call.wait_quiet(1.0, timeout=60)
            return [(line.role, line.text) for line in call.lines]
        finally:
            await call.close()

    lines = run(body())
    assert [role for role, _ in lines] == ["agent"], lines  # the greeting only
    with svc.db.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(HelpRequest)).scalar() == 0


def test_call_command_runs_a_voice_call_from_wav_files(tmp_path: Path) -> None:
    """`frontdesk call --audio-in F.wav --audio-out OUT.wav` in a fresh process, as a user runs it."""
    import os
    import sys

    from frontdesk.agent.audio_io import read_wav

    frontdesk = str(Path(sys.executable).parent / "frontdesk")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LIVEKIT", "OPENAI", "DEEPGRAM"))}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path}/x.db", VOICE_STACK="local")
    subprocess.run([frontdesk, "seed-demo"], env=env, cwd=tmp_path, check=True, capture_output=True, timeout=120)
    espeak("How much is a men's haircut?", tmp_path / "q.wav")
    out = tmp_path / "out.wav"
    proc = subprocess.run([frontdesk, "call", "--audio-in", str(tmp_path / "q.wav"), "--audio-out", str(out),
                           "--hold", "0"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("agent: Thanks for calling"), lines
    shown = "\n".join(lines)
    assert any(line.startswith("caller: ") and "haircut" in line for line in lines), shown
    assert any(line.startswith("agent: ") and "$40" in line for line in lines), shown
    pcm, rate = read_wav(out)
    assert rate == 22050 and pcm.size > rate * 5 and np.abs(pcm).max() > 1000


def test_call_command_refuses_half_a_voice_call_or_a_bad_file(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from frontdesk.cli import main

    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not a wav")
    runner = CliRunner()
    result = runner.invoke(main, ["call", "--audio-in", str(bad)])
    assert result.exit_code == 2 and "--audio-out" in result.output
    result = runner.invoke(main, ["call", "--audio-in", str(bad), "--audio-out", str(tmp_path / "o.wav")])
    assert result.exit_code == 2 and "not a readable 16-bit WAV" in result.output
