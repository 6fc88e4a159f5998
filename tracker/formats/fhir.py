"""HL7 FHIR R5 Evidence-Based Medicine resources (https://hl7.org/fhir/R5/evidence.html),
built and validated with fhir.resources' models: a Bundle (type "collection") holding one
Evidence per effect claim with linked studies — its body of evidence: title (the claim),
description (the verdict's explanation), assertion (the status), the outcome as the measured
variable, the overall certainty (GRADE: high / moderate / low / very low, coded in
certainty-rating; "not assessed" as text) with the reviewers' judgements of the GRADE domains
as its subcomponents, one statistic per study effect recorded on a link, and a related
artifact per study — and one Citation per study (title, DOI and PMID identifiers, web
locations; a retracted study's current state says so). Pure."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from fhir.resources.bundle import Bundle

from tracker.formats.assessed import AssessedClaim, Study, identifier_links

__all__ = ["evidence_bundle"]

_RATINGS = {"high": "high", "moderate": "moderate", "low": "low", "very-low": "very-low"}
_RATING_SYSTEM = "http://terminology.hl7.org/CodeSystem/certainty-rating"
_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/certainty-type"
_ROLE_SYSTEM = "http://terminology.hl7.org/CodeSystem/variable-role"
_DOMAIN_CODES = {"risk_of_bias": "RiskOfBias", "inconsistency": "Inconsistency",
                 "indirectness": "Indirectness", "imprecision": "Imprecision",
                 "publication_bias": "PublicationBias", "large_effect": "LargeEffect",
                 "dose_response": "DoseResponseGradient",
                 "plausible_confounding": "PlausibleConfounding"}
_ID = re.compile(r"[^A-Za-z0-9.\-]")


def _url(kind: str, key: str) -> str:
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'evidence-tracker:{kind}:{key}')}"


def _certainty(claim: AssessedClaim) -> dict[str, Any]:
    rating = _RATINGS.get(claim.certainty or "")
    certainty: dict[str, Any] = {
        "type": {"coding": [{"system": _TYPE_SYSTEM, "code": "Overall"}]},
        "rating": ({"coding": [{"system": _RATING_SYSTEM, "code": rating}]} if rating
                   else {"text": (claim.certainty or "not assessed").replace("-", " ")}),
        "description": claim.explanation or None,
    }
    parts = []
    for domain, value, reason in claim.body:
        code = _DOMAIN_CODES.get(domain)
        kind = ({"coding": [{"system": _TYPE_SYSTEM, "code": code}]} if code
                else {"text": domain})
        parts.append({"type": kind, "rating": {"text": value}, "description": reason or None})
    if parts:
        certainty["subcomponent"] = parts
    return {k: v for k, v in certainty.items() if v is not None}


def _statistic(study: Study) -> dict[str, Any] | None:
    effect = study.effect
    if effect.get("estimate") is None:
        return None
    statistic: dict[str, Any] = {
        "description": f"{study.key}: {effect.get('outcome') or 'effect'}",
        "statisticType": {"text": str(effect.get("measure") or "effect estimate")},
        "quantity": {"value": float(effect["estimate"])},
    }
    if effect.get("ci_low") is not None and effect.get("ci_high") is not None:
        statistic["attributeEstimate"] = [{
            "type": {"text": "95% confidence interval"},
            "range": {"low": {"value": float(effect["ci_low"])},
                      "high": {"value": float(effect["ci_high"])}}}]
    if effect.get("participants"):
        statistic["sampleSize"] = {"knownDataCount": int(effect["participants"])}
    return statistic


def _citation(study: Study) -> dict[str, Any]:
    identifiers = []
    if study.doi:
        identifiers.append({"system": "https://doi.org", "value": study.doi})
    if study.pmid:
        identifiers.append({"system": "https://pubmed.ncbi.nlm.nih.gov", "value": study.pmid})
    artifact: dict[str, Any] = {"title": [{"text": study.title}]}
    if identifiers:
        artifact["identifier"] = identifiers
    links = identifier_links(study.doi, study.pmid, study.pmcid)
    if links:
        artifact["webLocation"] = [{"url": address} for _, address in links]
    if study.retracted:
        artifact["currentState"] = [{"text": "retracted"}]
    return {"resourceType": "Citation", "id": _ID.sub("-", study.key)[:64] or "citation",
            "status": "active", "title": study.title, "citedArtifact": artifact}


def _evidence(claim: AssessedClaim) -> dict[str, Any]:
    outcomes = sorted({str(s.effect["outcome"]) for s in claim.studies
                       if s.effect.get("outcome")})
    statistics = [s for s in map(_statistic, claim.studies) if s is not None]
    evidence: dict[str, Any] = {
        "resourceType": "Evidence", "id": f"claim-{claim.id}",
        "status": "draft" if claim.status == "not-reviewed" else "active",
        "title": claim.text, "description": claim.explanation or None,
        "assertion": f"status: {claim.status}",
        "variableDefinition": [{
            "variableRole": {"coding": [{"system": _ROLE_SYSTEM, "code": "measuredVariable"}]},
            "description": "; ".join(outcomes) or claim.text}],
        "certainty": [_certainty(claim)],
        "relatedArtifact": [{
            "type": "citation",
            "label": f"{s.stance}{' (retracted, not counted)' if s.retracted else ''}",
            "display": s.title,
            "resourceReference": {"reference": _url("citation", s.key)}}
            for s in claim.studies],
    }
    if statistics:
        evidence["statistic"] = statistics
    return {k: v for k, v in evidence.items() if v is not None}


def evidence_bundle(claims: Iterable[AssessedClaim], created: datetime) -> Bundle:
    """The Bundle, validated by fhir.resources (a pydantic ValidationError otherwise)."""
    entries: list[dict[str, Any]] = []
    studies: dict[str, Study] = {}
    for claim in claims:
        if claim.track != "effect" or not claim.studies:
            continue
        entries.append({"fullUrl": _url("claim", str(claim.id)), "resource": _evidence(claim)})
        for study in claim.studies:
            studies.setdefault(study.key, study)
    for key, study in sorted(studies.items()):
        entries.append({"fullUrl": _url("citation", key), "resource": _citation(study)})
    return Bundle.model_validate({"resourceType": "Bundle", "type": "collection",
                                  "timestamp": created.isoformat(), "entry": entries})
