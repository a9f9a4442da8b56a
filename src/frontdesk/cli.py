"""The `frontdesk` command line. Bad input gives a one-line error and exit status 2."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError

from frontdesk.cli_input import TEXT, existing_file, printable
from frontdesk.errors import LifecycleError
from frontdesk.settings import Settings, SettingsError


class CliError(click.ClickException):
    """A user error: printed as one line, exit status 2."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(printable(message))



def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment, turning validation problems into a one-line CLI error."""
    try:
        return Settings(**overrides)
    except (ValidationError, SettingsError) as exc:
        errors = getattr(exc, "errors", None)
        if callable(errors):
            first = exc.errors()[0]  # type: ignore[union-attr]
            where = ".".join(str(p) for p in first.get("loc", ())) or "settings"
            raise CliError(f"configuration: {where.upper()}: {first.get('msg')}") from None
        raise CliError(f"configuration: {exc}") from None


def setup_logging(settings: Settings) -> None:
    """Log to stderr at the configured level."""
    logging.basicConfig(
        level=getattr(logging, settings.log_level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)


def services(migrate: bool = False, settings: Settings | None = None):  # type: ignore[no-untyped-def]
    """Build the services from the environment (optionally migrating first)."""
    from frontdesk.services import build_services

    settings = settings or load_settings()
    setup_logging(settings)
    svc = build_services(settings)
    if migrate:
        from frontdesk.migrate import upgrade

        upgrade(svc.db)
    return svc


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Frontdesk: a human-in-the-loop AI receptionist."""
    # Before numpy loads (the knowledge index, LiveKit): one BLAS thread per process. Each search is
    # a tiny matrix product; BLAS worker threads only fight the web threads and the call hub for the
    # two cores (measured: knowledge searches 5x slower under 100 live calls). An explicit value wins.
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")


@main.command("init-db")
def init_db() -> None:
    """Create or migrate the database to the newest schema (safe to re-run)."""
    from frontdesk.migrate import current_revision, head_revision

    svc = services(migrate=True)
    click.echo(f"database ready at revision {current_revision(svc.db)} (head {head_revision()})")


@main.command("seed-demo")
def seed_demo() -> None:
    """Load the demo salon: business profile and starter knowledge base."""
    from frontdesk.demo import seed_demo as seed

    svc = services(migrate=True)
    profile, added = seed(svc.db, svc.clock, svc.knowledge)
    click.echo(f"demo salon: profile {'created' if profile else 'kept'}, {added} knowledge entries added")


@main.command("setup-demo")
@click.option("--email", default="demo@example.com", show_default=True, type=TEXT)
@click.option("--password", default="frontdesk-demo", show_default=True, type=TEXT,
              help="Used only when creating the account.")
@click.option("--host", default="127.0.0.1", show_default=True, type=TEXT, help="The address `serve` will listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
def setup_demo(email: str, password: str, host: str, port: int) -> None:
    """`make run`'s one step: migrate, seed the demo salon, create the demo supervisor if missing, and
    print how to log in, every time (an existing password is never reset)."""
    from frontdesk.demo import seed_demo as seed
    from frontdesk.server import served_url

    svc = services(migrate=True)
    profile, added = seed(svc.db, svc.clock, svc.knowledge)
    click.echo(f"demo salon: profile {'created' if profile else 'kept'}, {added} knowledge entries added")
    try:
        svc.accounts.create(email, password, "Demo")
    except LifecycleError as exc:
        if "already exists" not in str(exc):
            raise CliError(str(exc)) from None
    login = f"{served_url(host, port)}/login"
    if svc.accounts.password_matches(email, password):
        click.echo(f"Log in at {login} as {email.strip().lower()} / {password}")
    else:
        click.echo(f"Log in at {login} as {email.strip().lower()} (its password was changed; "
                   f"`frontdesk reset-password {email.strip().lower()}` sets a new one)")


@main.command("create-supervisor")
@click.argument("email", type=TEXT)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True, type=TEXT,
              help="At least 8 characters.")
@click.option("--name", default="", type=TEXT, help="Display name.")
@click.option("--phone", default="", type=TEXT, help="Their own phone for SMS alerts (stored in E.164).")
def create_supervisor(email: str, password: str, name: str, phone: str) -> None:
    """Create a supervisor account who can log in to the dashboard."""
    svc = services(migrate=True)
    try:
        sup = svc.accounts.create(email, password, name, phone=phone, region=svc.settings.phone_region)
    except LifecycleError as exc:
        raise CliError(str(exc)) from None
    click.echo(f"supervisor {sup.email} created")


@main.command("reset-password")
@click.argument("email", type=TEXT)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True, type=TEXT,
              help="At least 8 characters.")
def reset_password(email: str, password: str) -> None:
    """Set a new password for a supervisor (ends their sessions and API tokens)."""
    svc = services(migrate=True)
    try:
        svc.accounts.set_password(email, password)
    except LifecycleError as exc:
        raise CliError(str(exc)) from None
    click.echo(f"password of {email.strip().lower()} changed")


@main.command("deactivate-supervisor")
@click.argument("email", type=TEXT)
def deactivate_supervisor(email: str) -> None:
    """Stop a supervisor from logging in; their sessions and API tokens end at once."""
    svc = services(migrate=True)
    try:
        svc.accounts.set_active(email, False)
    except LifecycleError as exc:
        raise CliError(str(exc)) from None
    click.echo(f"supervisor {email.strip().lower()} deactivated; their sessions and API tokens are ended")


@main.command("reactivate-supervisor")
@click.argument("email", type=TEXT)
def reactivate_supervisor(email: str) -> None:
    """Let a deactivated supervisor log in again (old sessions and tokens stay ended)."""
    svc = services(migrate=True)
    try:
        svc.accounts.set_active(email, True)
    except LifecycleError as exc:
        raise CliError(str(exc)) from None
    click.echo(f"supervisor {email.strip().lower()} reactivated")


@main.command()
def sweep() -> None:
    """Mark every expired pending help request unresolved, once, now."""
    svc = services()
    click.echo(f"{svc.desk.sweep()} help request(s) timed out")


@main.command()
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
def dispatch(once: bool) -> None:
    """Deliver queued follow-ups (alerts, caller texts, webhooks) from the outbox."""
    import signal
    import threading

    from frontdesk.notifications import send_reminders

    svc = services()
    if once:
        send_reminders(svc.db, svc.clock, svc.settings, svc.signals)
        total = 0
        while (claimed := svc.dispatcher.drain()) > 0:
            total += claimed
        svc.stop()
        click.echo(f"{total} follow-up(s) processed")
        return
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    while not stop.is_set():
        try:
            send_reminders(svc.db, svc.clock, svc.settings, svc.signals)
            if svc.dispatcher.drain() == 0:
                stop.wait(svc.settings.dispatch_interval_seconds)
        except Exception:  # e.g. the database restarting: keep going, as serve's dispatcher thread does
            logging.getLogger("frontdesk.dispatch").exception("dispatch step failed; retrying")
            stop.wait(max(1.0, svc.settings.dispatch_interval_seconds))
    svc.stop()


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, type=TEXT)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
def serve(host: str, port: int) -> None:
    """Serve the dashboard and API with the background workers."""
    from frontdesk.server import run, with_served_base_url

    _check_listen_address(host, port)
    svc = services(migrate=True, settings=with_served_base_url(load_settings(), host, port))
    try:
        run(svc, host, port)
    except (OSError, ValueError) as exc:  # the port is taken, the address is not this machine's, waitress refuses it
        raise CliError(f"cannot listen on {host}:{port}: {getattr(exc, 'strerror', None) or exc}") from None


def _check_listen_address(host: str, port: int) -> None:
    """A one-line error for a host that does not resolve, before anything starts (waitress would raise)."""
    import socket

    try:
        socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (OSError, UnicodeError, ValueError) as exc:
        raise CliError(f"cannot listen on {host!r}: {getattr(exc, 'strerror', None) or exc}") from None


@main.group()
def kb() -> None:
    """Knowledge base import and export (JSON list of {question, answer})."""


@kb.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def kb_import(file: Path) -> None:
    """Import entries from FILE (all or nothing)."""
    existing_file(file)
    try:
        text = file.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read {file}: {exc}") from None
    svc = services()
    try:
        count, skipped = svc.knowledge.import_entries(text, by="cli")
    except LifecycleError as exc:
        raise CliError(f"{file}: {exc}") from None
    note = f" ({skipped} skipped: the knowledge base already has their question)" if skipped else ""
    click.echo(f"imported {count} knowledge entries{note}")


@kb.command("export")
def kb_export() -> None:
    """Write the active entries to standard output as JSON."""
    click.echo(services().knowledge.export_json())


@kb.command("eval")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--verbose", "-v", is_flag=True, help="List the questions the gate got wrong or escalated.")
def kb_eval(file: Path, verbose: bool) -> None:
    """Measure retrieval and the answerable gate on an eval set FILE (see evals/)."""
    import json

    from frontdesk.knowledge.evaluation import evaluate, format_report

    existing_file(file)
    try:
        data = json.loads(file.read_text("utf-8"))
        report = evaluate(data)
    except (OSError, UnicodeError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        raise CliError(f"{file}: not a valid eval set ({exc})") from None
    click.echo(format_report(report, verbose=verbose))


@main.group("eval")
def eval_group() -> None:
    """Evaluate the receptionist on scripted material."""


@eval_group.command("dialogues")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--verbose", "-v", is_flag=True, help="List every turn that did not pass.")
def eval_dialogues(files: tuple[Path, ...], verbose: bool) -> None:
    """Play the scripted conversations of FILES (default: evals/dialogues/*.json) against the receptionist
    (offline brain) and print pass rates by kind; untouched businesses are reported separately."""
    from frontdesk.agent.dialogue_eval import evaluate_files

    paths = list(files) or sorted(Path("evals/dialogues").glob("*.json"))
    if not paths:
        raise CliError("no dialogue files given and none in evals/dialogues/")
    for path in paths:
        existing_file(path)
    logging.basicConfig(level=logging.WARNING)
    from sqlalchemy.exc import SQLAlchemyError

    try:
        text, _ = evaluate_files(paths, verbose=verbose)
    # A file's business is loaded into a scratch database: a missing name fails there (IntegrityError).
    except (OSError, UnicodeError, ValueError, KeyError, TypeError, IndexError, AttributeError, SQLAlchemyError,
            LifecycleError) as exc:
        raise CliError(f"not a valid dialogue file ({exc})") from None
    click.echo(text)


def _register_agent_commands() -> None:
    from frontdesk.agent import cli as agent_cli

    main.add_command(agent_cli.agent)
    main.add_command(agent_cli.call)
    main.add_command(agent_cli.token)


_register_agent_commands()

if __name__ == "__main__":  # pragma: no cover
    main()
