"""`frontdesk` commands that manage supervisor accounts: create, reset a password, deactivate, reactivate."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from frontdesk.cli_input import TEXT
from frontdesk.errors import LifecycleError

PASSWORD = click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True, type=TEXT,
                        help="At least 8 characters.")


def change_account(change: Callable[[Any], Any]) -> Any:
    """Run `change(services)` on the migrated store; a refused change (unknown email, weak password, ...)
    is a one-line CLI error, not a traceback. Returns what `change` returned."""
    # Not at import: `frontdesk.cli` imports this module while it registers its commands.
    from frontdesk.cli import CliError, services

    svc = services(migrate=True)
    try:
        return change(svc)
    except LifecycleError as exc:
        raise CliError(str(exc)) from None


@click.command("create-supervisor")
@click.argument("email", type=TEXT)
@PASSWORD
@click.option("--name", default="", type=TEXT, help="Display name.")
@click.option("--phone", default="", type=TEXT, help="Their own phone for SMS alerts (stored in E.164).")
def create_supervisor(email: str, password: str, name: str, phone: str) -> None:
    """Create a supervisor account who can log in to the dashboard."""
    sup = change_account(lambda svc: svc.accounts.create(email, password, name, phone=phone,
                                                         region=svc.settings.phone_region))
    click.echo(f"supervisor {sup.email} created")


@click.command("reset-password")
@click.argument("email", type=TEXT)
@PASSWORD
def reset_password(email: str, password: str) -> None:
    """Set a new password for a supervisor (ends their sessions and API tokens)."""
    change_account(lambda svc: svc.accounts.set_password(email, password))
    click.echo(f"password of {email.strip().lower()} changed")


@click.command("deactivate-supervisor")
@click.argument("email", type=TEXT)
def deactivate_supervisor(email: str) -> None:
    """Stop a supervisor from logging in; their sessions and API tokens end at once."""
    change_account(lambda svc: svc.accounts.set_active(email, False))
    click.echo(f"supervisor {email.strip().lower()} deactivated; their sessions and API tokens are ended")


@click.command("reactivate-supervisor")
@click.argument("email", type=TEXT)
def reactivate_supervisor(email: str) -> None:
    """Let a deactivated supervisor log in again (old sessions and tokens stay ended)."""
    change_account(lambda svc: svc.accounts.set_active(email, True))
    click.echo(f"supervisor {email.strip().lower()} reactivated")


COMMANDS = (create_supervisor, reset_password, deactivate_supervisor, reactivate_supervisor)
