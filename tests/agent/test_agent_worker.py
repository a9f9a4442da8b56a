"""The voice worker's entrypoint under LiveKit's fake job context, caller identity, the no-keys exit,
and `frontdesk token` checked with livekit-api's TokenVerifier."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

from agent_helpers import run
from click.testing import CliRunner
from livekit import api
from livekit.agents import room_io
from livekit.agents.testing import fake_job_context

from frontdesk.agent.brain import OfflineBrain
from frontdesk.agent.worker import (
    VoicePlugins,
    build_server,
    caller_identity,
    missing_setting,
    run_voice_call,
)
from frontdesk.cli import main
from frontdesk.services import Services
from frontdesk.settings import Settings

SECRET = "s" * 40
FRONTDESK = str(Path(sys.executable).parent / "frontdesk")


def test_worker_entrypoint_serves_a_sip_call_and_says_the_answer_in_call(salon: Services) -> None:
    async def body() -> tuple[str, int | None]:
        meta = json.dumps({"caller_name": "Dana"})
        with fake_job_context(job_metadata=meta) as ctx:
            caller = SimpleNamespace(attributes={"sip.phoneNumber": "+15550001111"}, name="")
            session = await run_voice_call(
                ctx, salon, VoicePlugins(llm=OfflineBrain()), participant=caller,
                room_options=room_io.RoomOptions(audio_input=False, audio_output=False),
            )
            try:
                await session.wait_for_idle()
                result = await session.run(user_input="Do you offer a scalp detox treatment with rosemary oil?")
                result.expect.contains_function_call(name="request_help")
                state = session.userdata
                salon.desk.answer(state.turn_help_request_id, "Yes, it is $40.", by="sup@x")
                for _ in range(100):  # the job polls the DB by call id every 100 ms
                    if any("$40" in line.text for line in salon.calls.transcript(state.call_id)):
                        break
                    await asyncio.sleep(0.05)
                return state.call_id, state.turn_help_request_id
            finally:
                await session.aclose()

    call_id, request_id = run(body())
    call = salon.calls.get(call_id)
    assert call.channel == "voice" and call.caller_phone == "+15550001111" and call.caller_name == "Dana"
    assert call.holder == "job:fake-job" and call.room_name
    roles_texts = [(line.role, line.text) for line in salon.calls.transcript(call_id)]
    assert roles_texts[0][0] == "agent" and "Thanks for calling" in roles_texts[0][1]
    assert ("caller", "Do you offer a scalp detox treatment with rosemary oil?") in roles_texts
    assert any(role == "agent" and "Good news" in text and "$40" in text for role, text in roles_texts)
    assert request_id is not None


def test_caller_identity_from_sip_metadata_or_token_attributes() -> None:
    sip = SimpleNamespace(attributes={"sip.phoneNumber": "+15550002222"}, name="sip_+15550002222")
    assert caller_identity(sip, "")[0] == "+15550002222"
    web = SimpleNamespace(attributes={"phone": "+15550003333"}, name="Web caller")
    assert caller_identity(web, "") == ("+15550003333", "Web caller")
    meta = json.dumps({"caller_phone": "+15550004444", "caller_name": "Robin"})
    assert caller_identity(SimpleNamespace(attributes={}, name=""), meta) == ("+15550004444", "Robin")
    # Junk metadata or a bogus number: no phone, the agent asks for it.
    assert caller_identity(SimpleNamespace(attributes={"phone": "call me"}, name=""), "{not json")[0] == ""


def test_server_registers_our_agent_name_without_touching_plugins() -> None:
    settings = Settings(_env_file=None, livekit_url="ws://127.0.0.1:1", livekit_api_key="k",  # type: ignore[call-arg]
                        livekit_api_secret=SECRET, livekit_agent_name="salon-test")
    server = build_server(settings)
    assert server is not None
    assert missing_setting(settings.model_copy(update={"voice_stack": "cloud"})) == "DEEPGRAM_API_KEY"
    # The local stack needs LiveKit only (the offline brain answers without an OpenAI key).
    assert missing_setting(settings.model_copy(update={"voice_stack": "local"})) is None


def test_voice_stack_defaults_to_cloud_with_keys_and_local_without() -> None:
    from frontdesk.agent import local_speech
    from frontdesk.agent.worker import voice_stack

    base = Settings(_env_file=None, deepgram_api_key="", openai_api_key="")  # type: ignore[call-arg]
    keyed = base.model_copy(update={"deepgram_api_key": "d", "openai_api_key": "o"})
    assert voice_stack(keyed) == "cloud"
    installed = local_speech.local_stack_installed()
    assert voice_stack(base) == ("local" if installed else "cloud")
    assert voice_stack(keyed.model_copy(update={"voice_stack": "local"})) == "local"
    assert voice_stack(base.model_copy(update={"voice_stack": "cloud"})) == "cloud"
    assert missing_setting(base.model_copy(update={"voice_stack": "cloud"}), livekit=False) == "DEEPGRAM_API_KEY"


def test_agent_command_without_keys_exits_2_naming_the_variable(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LIVEKIT", "OPENAI", "DEEPGRAM"))}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path}/x.db", HOME=str(tmp_path))
    proc = subprocess.run([FRONTDESK, "agent", "dev"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "LIVEKIT_URL" in lines[0]
    env.update(LIVEKIT_URL="ws://127.0.0.1:1", LIVEKIT_API_KEY="k", LIVEKIT_API_SECRET=SECRET, DEEPGRAM_API_KEY="d",
               VOICE_STACK="cloud")
    proc = subprocess.run([FRONTDESK, "agent", "start"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "OPENAI_API_KEY" in proc.stderr


def test_token_command_prints_a_verifiable_token(monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LIVEKIT_API_KEY", "devkey")
    monkeypatch.setenv("LIVEKIT_API_SECRET", SECRET)
    result = CliRunner().invoke(main, ["token", "--room", "salon-call-1", "--identity", "caller-1", "--dispatch"])
    assert result.exit_code == 0, result.output
    claims = api.TokenVerifier("devkey", SECRET).verify(result.output.strip())
    assert claims.identity == "caller-1" and claims.video.room == "salon-call-1" and claims.video.room_join
    assert [a.agent_name for a in claims.room_config.agents] == ["salon-receptionist"]


def test_token_command_without_keys_is_a_one_line_error(monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LIVEKIT_API_KEY", raising=False)
    monkeypatch.delenv("LIVEKIT_API_SECRET", raising=False)
    result = CliRunner().invoke(main, ["token", "--room", "r", "--identity", "i"])
    assert result.exit_code == 2 and "LIVEKIT_API_KEY" in result.output


def test_voice_plugins_are_built_from_settings_inside_the_job() -> None:
    """With keys, the entrypoint's pipeline is Deepgram STT, OpenAI LLM + TTS, local VAD and turn detector."""
    from frontdesk.agent.worker import make_plugins

    settings = Settings(_env_file=None, livekit_url="ws://127.0.0.1:1", livekit_api_key="k",  # type: ignore[call-arg]
                        livekit_api_secret=SECRET, deepgram_api_key="dg-test", openai_api_key="sk-test",
                        openai_model="gpt-4o-mini")

    async def body() -> object:
        return make_plugins(settings)

    plugins = run(body())
    assert type(plugins.llm).__module__.startswith("livekit.plugins.openai")  # type: ignore[attr-defined]
    assert type(plugins.stt).__module__.startswith("livekit.plugins.deepgram")  # type: ignore[attr-defined]
    assert type(plugins.tts).__module__.startswith("livekit.plugins.openai")  # type: ignore[attr-defined]
    assert plugins.vad is not None and plugins.turn_detection is not None  # type: ignore[attr-defined]
