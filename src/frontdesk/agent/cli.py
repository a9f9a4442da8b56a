"""CLI commands of the receptionist: `frontdesk agent dev|start`, `frontdesk call`, `frontdesk token`.

`frontdesk.cli` is imported inside the commands: it registers these commands when it loads, so a
top-level import back into it would be circular (e.g. under `python -m frontdesk.cli`)."""

from __future__ import annotations

import datetime
import sys
import threading
from collections.abc import Callable

import click

from frontdesk.cli_input import TEXT, FiniteFloatRange


@click.command("agent")
@click.argument("mode", type=click.Choice(["dev", "start"]))
def agent(mode: str) -> None:
    """Run the LiveKit voice worker (needs LiveKit; the cloud speech stack also Deepgram and OpenAI keys)."""
    from frontdesk.cli import CliError, load_settings, setup_logging

    settings = load_settings()
    from frontdesk.agent.worker import build_server, missing_setting, voice_stack

    missing = missing_setting(settings)
    if missing:
        needs = "LiveKit" if missing.startswith("LIVEKIT") else "Deepgram and OpenAI keys (or VOICE_STACK=local)"
        raise CliError(f"{missing} is not set; the voice worker ({voice_stack(settings)} speech stack) needs {needs}")
    extra = missing_voice_extra() if voice_stack(settings) == "cloud" else None
    if extra:
        raise CliError(extra)
    setup_logging(settings)
    from livekit.agents import cli as lk_cli

    server = build_server(settings)
    sys.argv = [sys.argv[0], mode]  # the LiveKit CLI reads its own argv
    lk_cli.run_app(server)


def missing_voice_extra() -> str | None:
    """What to install when the voice worker's speech plugins are absent (they are the `voice` extra), or None."""
    import importlib.util

    for module in ("livekit.plugins.deepgram", "livekit.plugins.silero"):
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            return (f"{module} is not installed; the voice worker needs the `voice` extra: "
                    "run `make install-voice` (or pip install -e '.[voice]')")
    return None


@click.command("token")
@click.option("--room", required=True, type=TEXT, help="Room to join.")
@click.option("--identity", required=True, type=TEXT, help="Participant identity.")
@click.option("--name", default="", type=TEXT, help="Display name.")
@click.option("--ttl", default=3600, show_default=True, type=click.IntRange(60, 86400), help="Seconds.")
@click.option("--dispatch", is_flag=True, help="Also dispatch the receptionist into the room.")
def token(room: str, identity: str, name: str, ttl: int, dispatch: bool) -> None:
    """Print a LiveKit access token (replaces `livekit-cli create-token`)."""
    from frontdesk.cli import CliError, load_settings

    settings = load_settings()
    if not settings.livekit_api_key or not settings.livekit_api_secret:
        raise CliError("LIVEKIT_API_KEY and LIVEKIT_API_SECRET must be set to sign a token")
    if not room.strip() or not identity.strip():
        raise CliError("--room and --identity must not be empty")
    from frontdesk.agent.tokens import access_token

    click.echo(access_token(settings, room=room, identity=identity, name=name,
                            ttl=datetime.timedelta(seconds=ttl), dispatch_metadata={} if dispatch else None))


@click.command("call")
@click.option("--phone", default="", type=TEXT,
              help="Your phone number (for a text if you hang up before an answer).")
@click.option("--name", default="", type=TEXT, help="Your name.")
@click.option("--audio-in", "audio_in", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="A voice call instead: a WAV file (16-bit mono) said as the caller; repeat for turns.")
@click.option("--audio-out", "audio_out", type=click.Path(dir_okay=False, writable=True),
              help="Write everything the receptionist said in the voice call to this WAV file.")
@click.option("--hold", default=3.0, show_default=True, type=FiniteFloatRange(0, 600),
              help="Voice call: seconds to stay on the line after the last answer.")
def call(phone: str, name: str, audio_in: tuple[str, ...], audio_out: str | None, hold: float) -> None:
    """A text call in this terminal (type lines, Ctrl-D to hang up), or with --audio-in a voice call
    in this process through the same voice agent, no LiveKit server needed."""
    from frontdesk.cli import CliError, load_settings, services
    from frontdesk.errors import LifecycleError

    if audio_in or audio_out:
        if not audio_in or not audio_out:
            raise CliError("a voice call needs both --audio-in and --audio-out")
        _voice_call(list(audio_in), audio_out, phone, name, hold)
        return
    if not phone:
        raise CliError("--phone is required for a text call")
    settings = load_settings()
    svc = services(migrate=True, settings=settings)
    _quiet_logs(settings)
    click.echo("(calling… one moment)", err=True)
    hub = svc.call_hub()
    try:
        started = hub.start_call(phone, name)
    except LifecycleError as exc:
        svc.stop()
        raise CliError(str(exc)) from None
    printer = _TranscriptPrinter(svc, started.id, on_tick=lambda: hub.touch(started.id))
    printer.flush()
    printer.start()
    try:
        for line in sys.stdin:
            if line.strip():
                # A reply that takes a moment (the model's first answer) is announced, not silent.
                notice = threading.Timer(THINKING_NOTICE_SECONDS,
                                         lambda: click.echo("(one moment…)", err=True))
                notice.start()
                try:
                    hub.send(started.id, line)
                finally:
                    notice.cancel()
                printer.flush()
    except KeyboardInterrupt:
        pass
    finally:
        hub.end_call(started.id)
        printer.stop()
        svc.stop()
    click.echo("(call ended)")


THINKING_NOTICE_SECONDS = 0.7


def _quiet_logs(settings: object) -> None:
    """The terminal is the conversation: only warnings are logged into it, unless LOG_LEVEL was set."""
    import logging

    if "log_level" not in getattr(settings, "model_fields_set", set()):
        logging.getLogger().setLevel(logging.WARNING)
        for name in ("livekit", "livekit.agents", "frontdesk"):
            logging.getLogger(name).setLevel(logging.WARNING)


def _voice_call(files: list[str], out: str, phone: str, name: str, hold: float) -> None:
    """`frontdesk call --audio-in ... --audio-out ...`: prints `caller:` / `agent:` lines as said."""
    import asyncio
    import logging

    from frontdesk.agent.audio_call import call_with_files
    from frontdesk.agent.audio_io import read_wav, write_wav
    from frontdesk.agent.worker import make_plugins, missing_setting, voice_stack
    from frontdesk.cli import CliError, services

    for path in files:
        try:
            read_wav(path)
        except Exception as exc:  # wave.Error, EOFError, ValueError, OSError
            raise CliError(f"{path}: not a readable 16-bit WAV file ({exc})") from None
    svc = services(migrate=True)
    settings = svc.settings
    missing = missing_setting(settings, livekit=False)
    if missing:
        svc.stop()
        raise CliError(f"{missing} is not set; set it, or install the local stack (`make install-voice`)")
    if settings.log_level.upper() == "INFO":  # LiveKit's per-turn INFO lines would drown the transcript
        for name in ("livekit", "faster_whisper"):
            logging.getLogger(name).setLevel(logging.WARNING)
    try:
        plugins = make_plugins(settings)
    except Exception as exc:
        svc.stop()
        raise CliError(f"the {voice_stack(settings)} speech stack could not start: {exc}") from None

    def show(line: object) -> None:
        click.echo(f"{line.role}: {line.text}")  # type: ignore[attr-defined]

    try:
        ended = asyncio.run(call_with_files(svc, plugins, files, phone=phone, name=name, hold=hold, on_line=show))
    finally:
        svc.stop()
    pcm, rate = ended.agent_audio()
    write_wav(out, pcm, rate)
    click.echo(f"(call ended; the receptionist's audio is in {out})")


class _TranscriptPrinter:
    """Prints the agent's lines as they land, including in-call answers between turns."""

    def __init__(self, svc: object, call_id: str, on_tick: Callable[[], None]) -> None:
        self.svc, self.call_id, self.on_tick = svc, call_id, on_tick
        self._printed = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="call-printer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2)

    def flush(self) -> None:
        with self._lock:
            lines = self.svc.calls.transcript(self.call_id)  # type: ignore[attr-defined]
            for line in lines[self._printed :]:
                if line.role != "caller":
                    click.echo(f"{line.role}: {line.text}")
            self._printed = len(lines)

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self.on_tick()  # someone is at the terminal: the call is not idle
            self.flush()
