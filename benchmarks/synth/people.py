"""The desk's users: one of each role and more, every one signing in with `PASSWORD`."""

from __future__ import annotations

from datetime import timedelta

from argon2 import PasswordHasher

from tracker.vocabulary import Role

from .generator import DAY, Desk

PASSWORD = "synthetic-password"  # every synthetic user's password (to sign in on a bench DB)


def people(desk: Desk) -> None:
    """The system user, then admins, editors, reviewers and viewers (the last of each role
    inactive when there are three or more), all with the synthetic password."""
    pw_hash = PasswordHasher().hash(PASSWORD)
    rows = desk.work.rows("users")
    created = desk.start - 30 * DAY
    rows.append({"id": 1, "username": "system", "display_name": "Evidence Tracker set-up",
                 "role": Role.ADMIN.value, "password_hash": None, "active": True,
                 "is_system": True, "created_at": created, "version": 1})
    system = (1, "system")
    counts = {Role.ADMIN: desk.size.admins, Role.EDITOR: desk.size.editors,
              Role.REVIEWER: desk.size.reviewers, Role.VIEWER: desk.size.viewers}
    for role, n in counts.items():
        for i in range(1, n + 1):
            ident = len(rows) + 1
            name = f"synth-{role.value}-{i:02d}"
            at = created + timedelta(hours=ident)
            rows.append({"id": ident, "username": name,
                         "display_name": f"Synthetic {role.value} {i}", "role": role.value,
                         "password_hash": pw_hash, "active": i != n or n < 3,
                         "is_system": False, "created_at": at, "version": 1})
            desk.users.setdefault(role, []).append((ident, name))
            desk.event(at, system if ident == 2 else desk.users[Role.ADMIN][0], "user.add",
                       "user", ident, f"added {name} as {role.value}",
                       after={"username": name, "role": role.value})

