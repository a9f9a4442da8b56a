"""CLI commands of the receptionist: `frontdesk agent dev|start`, `frontdesk call`, `frontdesk token`.

`frontdesk.cli` is imported inside the commands: it registers these commands when it loads, so a
top-level import back into it would be circular (e.g. under `python -m frontdesk.cli`)."""

from __future__ import annotations

import datetime
import sys
import threading
from collections.abc import Callable

import click


@click.command("agent")
@click.argument("mode", type=click.Choice(["dev", "start"]))
def agent(mode: str) -> None:
    """Run the LiveKit voice worker (needs LiveKit, Deepgram and OpenAI keys)."""
    from frontdesk.cli import CliError, load_settings, setup_logging

    settings = load_settings()
    from frontdesk.agent.worker import build_server, missing_setting

    missing = missing_setting(settings)
    if missing:
        raise CliError(f"{missing} is not set; the voice worker needs LiveKit, Deepgram and OpenAI keys")
    extra = missing_voice_extra()
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
@click.option("--room", required=True, help="Room to join.")
@click.option("--identity", required=True, help="Participant identity.")
@click.option("--name", default="", help="Display name.")
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
@click.option("--phone", required=True, help="Your phone number (for a text if you hang up before an answer).")
@click.option("--name", default="", help="Your name.")
def call(phone: str, name: str) -> None:
    """A text call with the receptionist in this terminal; type lines, Ctrl-D to hang up."""
    from frontdesk.cli import CliError, load_settings, services
    from frontdesk.errors import LifecycleError

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
