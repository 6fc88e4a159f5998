"""Users and roles (admins)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from tracker import db
from tracker.cli.application import _commands, app
from tracker.cli.options import AsUser, JsonFlag
from tracker.cli.output import _count, _print_json, _table
from tracker.cli.session import _acting, _read, _write
from tracker.config import load_settings
from tracker.lazy import lazy_module
from tracker.vocabulary import Role

if TYPE_CHECKING:
    from tracker.services import users
else:  # imported when a command first uses it (start-up time is benchmarked)
    users = lazy_module("tracker.services.users")


users_app = _commands("Users and roles (admins).")
app.add_typer(users_app, name="users")
# --- users -----------------------------------------------------------------------------------


def _password(given: str | None) -> str:
    if given is not None:
        return given
    return str(typer.prompt("password", hide_input=True, confirmation_prompt=True))


@users_app.command("add")
def users_add(
    username: str,
    role: Annotated[Role, typer.Option(help="viewer, reviewer, editor or admin")] = Role.VIEWER,
    name: Annotated[str, typer.Option(help="display name")] = "",
    password: Annotated[str | None, typer.Option(help="omit to be prompted")] = None,
    no_password: Annotated[bool, typer.Option("--no-password",
                                              help="CLI-only user, cannot sign in")] = False,
    as_user: AsUser = None,
    as_json: JsonFlag = False,
) -> None:
    """Add a user. The first admin of a new installation needs no --as."""
    settings = load_settings()
    if not (as_user or settings.user or settings.token):  # refused before any password prompt
        with _read() as session:
            users.check_first_admin(session, role)
    with _acting(as_user, anyone=True) as acting:  # credentials first, then the new password
        secret = None if no_password else _password(password)
        with db.writing(acting.engine) as session:
            info = users.add_user(session, acting.actor(session), username, role, secret, name)
    if as_json:
        _print_json(info)
    else:
        typer.echo(f"added {info.username} ({info.role})")


@users_app.command("list")
def users_list(as_json: JsonFlag = False) -> None:
    """Every user with role, state and whether they can sign in."""
    with _read() as session:
        rows = users.list_users(session)
    if as_json:
        _print_json(rows)
        return
    _table(["username", "role", "active", "sign-in", "name"],
           [(u.username, u.role, u.active, u.can_sign_in, u.display_name) for u in rows])


@users_app.command("set-role")
def users_set_role(username: str, role: Role, as_user: AsUser = None) -> None:
    """Change a user's role (admins); the last active admin stays an admin."""
    with _write(as_user) as (session, actor):
        info = users.set_role(session, actor, username, role)
    typer.echo(f"{info.username} is now {info.role}")


@users_app.command("passwd")
def users_passwd(
    username: str,
    password: Annotated[str | None, typer.Option(help="omit to be prompted")] = None,
    as_user: AsUser = None,
) -> None:
    """Change your own password, or (admins) anyone's."""
    with _acting(as_user) as acting:  # credentials first, then the new password
        secret = _password(password)
        with db.writing(acting.engine) as session:
            actor = acting.actor(session)
            assert actor is not None
            users.set_password(session, actor, username, secret)
    typer.echo(f"password of {username} changed")


@users_app.command("deactivate")
def users_deactivate(username: str, as_user: AsUser = None) -> None:
    """Stop a user from acting or signing in (admins); the last active admin cannot be."""
    with _write(as_user) as (session, actor):
        users.set_active(session, actor, username, False)
    typer.echo(f"{username} deactivated")


@users_app.command("activate")
def users_activate(username: str, as_user: AsUser = None) -> None:
    """Let a deactivated user act and sign in again (admins)."""
    with _write(as_user) as (session, actor):
        users.set_active(session, actor, username, True)
    typer.echo(f"{username} activated")


@users_app.command("token")
def users_token(
    username: str,
    revoke: Annotated[bool, typer.Option("--revoke", help="revoke the user's tokens")] = False,
    as_user: AsUser = None,
) -> None:
    """Issue USERNAME a command-line token, printed once (admins); it replaces their earlier
    ones. The user sets TRACKER_TOKEN to it to write to a shared (PostgreSQL) database."""
    with _write(as_user) as (session, actor):
        if revoke:
            revoked = users.revoke_tokens(session, actor, username)
        else:
            token = users.issue_token(session, actor, username)
    if revoke:
        typer.echo(f"{username}: {_count(revoked, 'token')} revoked")
        return
    typer.echo(token)
    typer.echo(f"the token of {username}, shown this once: set TRACKER_TOKEN to it; it "
               "replaces any earlier one", err=True)


@users_app.command("unlock")
def users_unlock(username: str, as_user: AsUser = None) -> None:
    """Clear the failed sign-ins that lock USERNAME out of the dashboard (admins)."""
    with _write(as_user) as (session, actor):
        cleared = users.unlock(session, actor, username)
    typer.echo(f"{username}: {cleared} failed sign-in(s) cleared" if cleared
               else f"{username} is not locked")
