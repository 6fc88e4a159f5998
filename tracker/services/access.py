"""Who is acting, what they may do, and the audit trail every write leaves.

`USE_CASES` is the access-control table, defined once: every write use case, the service
functions that perform it, the least role that may run it and the audit actions it records.
Every write takes an `Actor`, calls `authorize(actor, USE_CASE)` first (tests/test_access.py
holds every service to the table), and `record()`s what it did; the caller's
`tracker.db.writing()` block commits both in one transaction. The dashboard shows a control
only when `may()` allows it, and the documentation's table is `table_markdown()`
(docs/access-control.md, pinned by a test).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.errors import NotFound, PermissionDenied
from tracker.models import AuditEvent, User
from tracker.vocabulary import Role

SYSTEM_USERNAME = "system"


@dataclass(frozen=True, slots=True)
class Actor:
    """The signed-in (dashboard) or named (CLI `--as`) user a use case runs for."""

    id: int
    username: str
    role: Role

    @classmethod
    def of(cls, user: User) -> Actor:
        return cls(id=user.id, username=user.username, role=Role(user.role))


@dataclass(frozen=True, slots=True)
class UseCase:
    """One write a user can ask for: who may, which services do it, what the audit shows."""

    name: str  # e.g. "evidence.link"; usually the audit action it records
    role: Role  # the least role that may run it (the roles above include it)
    doing: str  # completes "… needs the X role" in the refusal, e.g. "linking evidence"
    services: tuple[str, ...]  # "module.function" under tracker.services
    records: tuple[str, ...]  # the audit actions it writes
    note: str = ""


def _use(name: str, role: Role, doing: str, services: str, records: str = "",
         note: str = "") -> UseCase:
    return UseCase(name, role, doing, tuple(services.split()), tuple((records or name).split()),
                   note)


_R, _E, _A = Role.REVIEWER, Role.EDITOR, Role.ADMIN
#: The access-control table: every write use case and the least role that may run it.
USE_CASES: Mapping[str, UseCase] = {u.name: u for u in (
    _use("citations.import", _R, "importing citations",
         "citations.parse_import citations.import_bibtex", "citations.import"),
    _use("citation.design", _R, "confirming study designs", "citations.set_design"),
    _use("citation.verify", _R, "verifying citations", "citations.set_verification"),
    _use("evidence.link", _R, "linking evidence", "evidence.link_evidence"),
    _use("evidence.edit", _R, "editing evidence", "evidence.update_link",
         "evidence.edit evidence.judge", "stance, locator, note or GRADE judgements"),
    _use("evidence.unlink", _R, "removing evidence", "evidence.unlink"),
    _use("citation.appraise", _R, "appraising studies",
         "appraisals.appraise appraisals.clear_appraisal",
         note="RoB 2, ROBINS-I, AMSTAR 2 or a JBI checklist, as the design calls for"),
    _use("claim.body-judgement", _R, "judging a body of evidence",
         "appraisals.judge_body appraisals.clear_body_judgement",
         note="a GRADE domain of a claim's whole body"),
    _use("claim.search", _R, "recording a search for evidence", "appraisals.record_search"),
    _use("claim.track", _R, "choosing how a claim is graded", "appraisals.set_track",
         note="effect or descriptive"),
    _use("dual.propose", _R, "proposing a study for a claim under dual review",
         "dual.propose_study", note="both reviewers then judge its stance"),
    _use("dual.enter", _R, "entering a judgement under dual review",
         "dual.enter_stance dual.enter_appraisal dual.enter_directness",
         "dual.entry dual.agree dual.disagree evidence.link evidence.edit evidence.judge "
         "citation.appraise",
         "a stance, an appraisal or a directness, hidden from everyone else until the second "
         "reviewer's entry is in; what both agree on becomes the record"),
    _use("tags.decide", _R, "confirming or rejecting PICO tags",
         "tags.decide_claim_tag tags.decide_citation_tag", "tag.decide",
         "of a claim or a citation; the gap map and the indirectness prompts follow them"),
    _use("question.evidence", _R, "adding evidence to open questions",
         "questions.address_question"),
    _use("review.load", _R, "loading a review", "review.load_review",
         "evidence.link evidence.edit evidence.judge claim.split flag.raise question.evidence "
         "citation.appraise claim.body-judgement claim.search claim.track",
         "the file's splits and flags also need the editor role"),
    _use("flag.raise", _E, "flagging claims", "flags.raise_flag flags.raise_flags"),
    _use("flag.resolve", _E, "resolving flags", "flags.close_flag"),
    _use("flag.dismiss", _E, "dismissing flags", "flags.close_flag"),
    _use("wording.accept", _E, "accepting a proposed overstated flag", "wording.decide_wording",
         "flag.raise wording.accept",
         "GRADE 26 wording check; keeps an open overstated flag rather than raise another"),
    _use("wording.dismiss", _E, "dismissing a proposed overstated flag",
         "wording.decide_wording", note="with a reason"),
    _use("claim.override", _E, "overriding a claim's required evidence",
         "evidence.override_requirement"),
    _use("claim.override-clear", _E, "clearing a required-evidence override",
         "evidence.clear_override"),
    _use("claim.split", _E, "splitting a claim", "evidence.split_claim"),
    _use("claim.sign-off", _E, "signing a claim off", "evidence.sign_off"),
    _use("document.dual-review", _E, "requiring dual review", "dual.require_dual_review",
         note="of a document's stances, appraisals and directness, or back to single review"),
    _use("dual.assign", _E, "assigning claims and studies to reviewer pairs", "dual.assign"),
    _use("dual.adjudicate", _E, "adjudicating reviewers' differing entries",
         "dual.adjudicate",
         "dual.adjudicate evidence.link evidence.edit evidence.judge citation.appraise",
         "not by an editor who entered one of them"),
    _use("scorecard.rate", _E, "rating a document's scorecard", "scorecard.rate_criterion",
         note="a HealthNewsReview criterion or a DISCERN question: confirming or overriding "
              "the rules' proposal, with a reason"),
    _use("scorecard.clear", _E, "clearing a scorecard rating", "scorecard.clear_rating",
         note="the rules' proposal stands again"),
    _use("citation.retract", _E, "marking retractions", "citations.set_retracted"),
    _use("document.resources", _E, "registering a document's listed resources",
         "citations.register_resources"),
    _use("document.ingest", _E, "ingesting an article", "articles.ingest",
         "document.ingest document.revise claim.revise claim.retire",
         "a new article or a revision of one"),
    _use("question.add", _E, "adding open questions", "questions.add_question"),
    _use("question.update", _E, "changing open questions", "questions.update_question"),
    _use("questions.load", _E, "loading open questions", "review.load_questions",
         "question.add"),
    _use("user.passwd", Role.VIEWER, "changing your own password", "users.set_password"),
    _use("user.passwd-other", _A, "setting another user's password", "users.set_password",
         "user.passwd"),
    _use("user.add", _A, "adding users", "users.add_user",
         note="the first admin of a new installation needs no acting user"),
    _use("user.set-role", _A, "changing roles", "users.set_role"),
    _use("user.deactivate", _A, "deactivating users", "users.set_active"),
    _use("user.activate", _A, "activating users", "users.set_active"),
    _use("user.unlock", _A, "clearing sign-in locks", "users.unlock"),
    _use("user.token", _A, "issuing command-line tokens", "users.issue_token"),
    _use("user.token-revoke", _A, "revoking command-line tokens", "users.revoke_tokens"),
    _use("citations.check-retractions", _A, "checking citations against retraction notices",
         "retractions.check_retractions", "citations.check-retractions flag.raise",
         "the Retraction Watch CSV: records each notice, retracts, regrades, flags changed "
         "verdicts"),
    _use("grading.regrade", _A, "regrading claims under new grading rules",
         "appraisals.regrade_stale", note="set-up runs it after an upgrade or a restore"),
)}


def authorize(actor: Actor, use_case: str) -> None:
    """Refuse (PermissionDenied) unless the table lets `actor`'s role run `use_case`."""
    use = USE_CASES[use_case]
    require(actor, use.role, use.doing)


def may(actor: Actor | None, use_case: str) -> bool:
    """Whether to offer `use_case` to `actor` (None: nobody signed in); the service still
    checks with `authorize()`."""
    return actor is not None and actor.role.includes(USE_CASES[use_case].role)


def table_markdown() -> str:
    """The access-control table as Markdown (docs/access-control.md, SECURITY.md)."""
    roles = list(Role)
    lines = ["| Use case | What | Service (`tracker.services.…`) | "
             + " | ".join(r.value for r in roles) + " | Audit actions |",
             "|---|---|---|" + ":-:|" * len(roles) + "---|"]
    for use in USE_CASES.values():
        what = use.doing[:1].upper() + use.doing[1:] + (f" ({use.note})" if use.note else "")
        marks = " | ".join("✓" if r.includes(use.role) else "—" for r in roles)
        lines.append(f"| `{use.name}` | {what} | "
                     + ", ".join(f"`{s}`" for s in use.services)
                     + f" | {marks} | " + ", ".join(f"`{a}`" for a in use.records) + " |")
    return "\n".join(lines) + "\n"


def require(actor: Actor, role: Role, doing: str) -> None:
    """Refuse unless `actor`'s role includes `role`; `doing` completes "… needs the X role"."""
    if not actor.role.includes(role):
        raise PermissionDenied(
            f"{actor.username} is {with_article(actor.role.value)}; {doing} needs the "
            f"{role.value} role"
        )


def with_article(word: str) -> str:
    """ "an editor", "a reviewer" (role names; none starts with a silent or a sounded vowel
    letter that breaks the rule)."""
    return f"{'an' if word[:1] in 'aeiou' else 'a'} {word}"


def record(
    session: Session,
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: int | None,
    summary: str,
    *,
    document_id: int | None = None,
    claim_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an audit event (never updated or deleted)."""
    event = AuditEvent(
        actor_id=actor.id,
        actor_name=actor.username,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        document_id=document_id,
        claim_id=claim_id,
        summary=summary,
        before=before,
        after=after,
    )
    session.add(event)
    return event


def cli_needs_credentials(dialect: str) -> bool:
    """Whether a command-line write must prove who it acts for (a token or a password)
    rather than merely name a user with --as: on any shared database, i.e. anything but a
    local SQLite file, whose owner can change it at will anyway."""
    return dialect != "sqlite"


def actor_named(session: Session, username: str) -> Actor:
    """Resolve a username (CLI `--as`, `TRACKER_USER`, a dashboard sign-in) to an active,
    listed user. The built-in `system` user is refused like a name nobody has: set-up acts as
    it through `system_actor()`, and no person may."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or user.is_system:
        raise NotFound(f"no user named {username!r}; an admin adds one with `tracker users add`")
    if not user.active:
        raise PermissionDenied(f"user {username!r} is deactivated")
    return Actor.of(user)


def system_actor(session: Session) -> Actor:
    """The built-in `system` user that set-up (bootstrap, migrations' data) acts as.

    It has no password and `actor_named` refuses it, so nobody can sign in or act as it; it is
    not listed (`users.list_users`)."""
    user = session.scalar(select(User).where(User.username == SYSTEM_USERNAME))
    if user is None:
        user = User(
            username=SYSTEM_USERNAME,
            display_name="Evidence Tracker set-up",
            role=Role.ADMIN.value,
            is_system=True,
        )
        session.add(user)
        session.flush()
    return Actor.of(user)
