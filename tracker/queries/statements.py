"""Shared plumbing of the reads: prebuilt statements run on the session's connection."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Executable, Result, case, func
from sqlalchemy.orm import Session

from tracker.models import PATH_SEPARATOR


def split_path(path_key: str | None) -> list[str]:
    return path_key.split(PATH_SEPARATOR) if path_key else []


# The reads every page and the CLI repeat are built once, with bound parameters, and cached
# (`@cache` on a builder per shape): building a SELECT and its cache key costs more than running
# it on one document's claims.
DOCUMENT = "document_id"


def _for_document(document_id: int | None) -> dict[str, Any]:
    return {} if document_id is None else {DOCUMENT: document_id}


def _run(session: Session, statement: Executable, params: dict[str, Any]
         ) -> Result[*tuple[Any, ...]]:
    """Run a prebuilt statement on the session's connection, in its transaction: these reads
    return plain rows, so the ORM's execution layer (a third of a small read's cost) is
    skipped; pending changes are flushed first, as `session.execute` would."""
    session.flush()
    return session.connection().execute(statement, params)


def _count_if(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)
