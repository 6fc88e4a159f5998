"""A document's claims out: W3C Web Annotation (validated against the model's JSON-LD context,
bundled), CiTO as Turtle (read back by rdflib) and FHIR R5 Evidence/Citation (validated by
fhir.resources) — issue 19."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rdflib import Graph, Namespace
from sqlalchemy import Engine

from tests.conftest import ROOT
from tracker import db, exports, queries
from tracker.formats import assessed
from tracker.vocabulary import CITO_TERMS, Stance

FIXTURE = ROOT / "tests" / "fixtures" / "webannotation" / "anno.jsonld"
CONTEXT_DOC = json.loads(FIXTURE.read_text(encoding="utf-8"))
TERMS = set(CONTEXT_DOC["@context"])
CITO = Namespace("http://purl.org/spar/cito/")
OA = "http://www.w3.org/ns/oa#"


def export(engine: Engine, fmt: str) -> str:
    with db.reading(engine) as session:
        return exports.export(session, fmt)


def linked(engine: Engine) -> list[queries.EvidenceRow]:
    with db.reading(engine) as session:
        claims = [c.id for c in queries.claims(session) if not c.retired]
        return queries.evidence(session, claims)


def keys_and_terms(value: Any, found: set[str]) -> None:
    """Every property name, class and vocabulary value an annotation uses (outside @context)."""
    if isinstance(value, list):
        for item in value:
            keys_and_terms(item, found)
        return
    if not isinstance(value, dict):
        return
    for key, item in value.items():
        if key == "@context":
            continue
        found.add(key)
        if key in ("type", "motivation", "purpose"):
            found.add(item)
        keys_and_terms(item, found)


# --- Web Annotation --------------------------------------------------------------------------


def test_every_claim_is_an_annotation_anchored_by_quote_and_position(
        shipped_engine: Engine) -> None:
    collection = json.loads(export(shipped_engine, "annotations"))
    items = collection["first"]["items"]
    with db.reading(shipped_engine) as session:
        document = queries.resolve_document(session, None)
        live = [c for c in queries.claims(
            session, queries.ClaimFilter(document_id=document.id)) if not c.retired]
        text = document.source_text
    assert collection["total"] == len(items) == len(live) > 50
    for item in items:
        quote, position = item["target"]["selector"]
        assert quote["type"] == "TextQuoteSelector" and position["type"] == (
            "TextPositionSelector")
        start, end = position["start"], position["end"]
        assert text[start:end] == quote["exact"]
        assert text[:start].endswith(quote["prefix"]) and text[end:].startswith(quote["suffix"])
        assessing = item["body"][0]
        assert assessing["purpose"] == "assessing" and "no medical advice" in assessing["value"]
        assert item["body"][1]["value"].startswith("status:")


def test_annotations_link_the_evidence_by_doi_and_pubmed(shipped_engine: Engine) -> None:
    items = json.loads(export(shipped_engine, "annotations"))["first"]["items"]
    sources = [b["source"] for i in items for b in i["body"] if b.get("purpose") == "linking"]
    assert sources and all(s.startswith(("https://doi.org/10.", "https://pubmed.ncbi.nlm.nih.gov/",
                                         "https://pmc.ncbi.nlm.nih.gov/")) for s in sources)
    assert len(sources) >= len({link.citation_key for link in linked(shipped_engine)}) // 2


def test_annotations_use_only_terms_of_the_web_annotation_context(
        shipped_engine: Engine) -> None:
    """Every property, class and motivation is a term the W3C context defines (JSON-LD drops
    what a context does not define, silently: this is the check that nothing is lost)."""
    collection = json.loads(export(shipped_engine, "annotations"))
    used: set[str] = set()
    keys_and_terms(collection, used)
    assert used - TERMS == set()


def test_annotations_expand_to_the_open_annotation_vocabulary(shipped_engine: Engine) -> None:
    jsonld = pytest.importorskip("pyld.jsonld")

    def loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        assert url.rstrip("/").removeprefix("https").removeprefix("http") == (
            "://www.w3.org/ns/anno.jsonld"), url  # nothing but the bundled context
        return {"contextUrl": None, "documentUrl": url, "document": CONTEXT_DOC}

    item = json.loads(export(shipped_engine, "annotations"))["first"]["items"][0]
    [expanded] = jsonld.expand(item, {"documentLoader": loader})
    assert expanded["@type"] == [f"{OA}Annotation"]
    assert expanded[f"{OA}motivatedBy"] == [{"@id": f"{OA}assessing"}]
    [target] = expanded[f"{OA}hasTarget"]
    selectors = {s["@type"][0] for s in target[f"{OA}hasSelector"]}
    assert selectors == {f"{OA}TextQuoteSelector", f"{OA}TextPositionSelector"}
    quote = next(s for s in target[f"{OA}hasSelector"]
                 if s["@type"] == [f"{OA}TextQuoteSelector"])
    assert quote[f"{OA}exact"][0]["@value"]


def test_a_claim_without_a_known_span_is_anchored_by_its_quote_only() -> None:
    from datetime import UTC, datetime

    from tracker.formats.annotation import annotation

    article = assessed.Article("a", "A", "https://example.org/a", "Some text.", "en")
    claim = assessed.AssessedClaim(1, "Some text.", (), "insufficient", None, "why", "effect",
                                   None, ())
    target = annotation(article, claim, datetime.now(UTC))["target"]
    assert target["selector"] == [{"type": "TextQuoteSelector", "exact": "Some text."}]


# --- CiTO ------------------------------------------------------------------------------------


def test_cito_turtle_has_one_typed_citation_per_link(shipped_engine: Engine) -> None:
    graph = Graph().parse(data=export(shipped_engine, "cito"), format="turtle")
    links = linked(shipped_engine)
    for stance in Stance:
        term = CITO[CITO_TERMS[stance].removeprefix("cito:")]
        expected = {(link.claim_id, link.citation_key) for link in links
                    if link.stance == stance.value}
        found = list(graph.subject_objects(term))
        claims = {int(str(s).rsplit(":", 1)[1]) for s, _ in found if ":claim:" in str(s)}
        assert claims == {c for c, _ in expected}, stance
    assert any(str(o).startswith("https://doi.org/") for o in graph.objects(None,
                                                                           CITO.citesAsEvidence))


# --- FHIR ------------------------------------------------------------------------------------


def test_fhir_bundle_is_valid_r5_with_evidence_per_effect_claim(shipped_engine: Engine) -> None:
    from fhir.resources.bundle import Bundle

    bundle = Bundle.model_validate_json(export(shipped_engine, "fhir"))
    resources = [e.resource for e in bundle.entry or []]
    evidence = [r for r in resources if r.get_resource_type() == "Evidence"]
    cited = [r for r in resources if r.get_resource_type() == "Citation"]
    links = linked(shipped_engine)
    with db.reading(shipped_engine) as session:
        effect = {c.id for c in queries.claims(session) if c.track == "effect" and not c.retired}
    assert {int(r.id.removeprefix("claim-")) for r in evidence} == {
        link.claim_id for link in links if link.claim_id in effect}
    assert {r.title for r in cited} >= {link.citation_title for link in links
                                        if link.claim_id in effect}
    references = {e.fullUrl for e in bundle.entry or [] if e.resource.get_resource_type() ==
                  "Citation"}
    for resource in evidence:
        overall = resource.certainty[0]
        assert overall.type.coding[0].code == "Overall"
        assert overall.rating.coding or overall.rating.text
        for artifact in resource.relatedArtifact:
            assert artifact.resourceReference.reference in references


def test_identifier_links_are_the_public_pages() -> None:
    assert assessed.identifier_links("10.1000/x(1)", "123", "pmc45") == [
        ("doi:10.1000/x(1)", "https://doi.org/10.1000/x(1)"),
        ("PMID 123", "https://pubmed.ncbi.nlm.nih.gov/123/"),
        ("PMC45", "https://pmc.ncbi.nlm.nih.gov/articles/PMC45/")]
    assert assessed.identifier_links(None, "not a number") == []


# --- links wherever a citation is shown ------------------------------------------------------


def test_the_dashboard_shows_doi_and_pubmed_links_for_citations(
        shipped_engine: Engine, open_app: Any, make_actor: Any) -> None:  # noqa: F811
    from tracker.vocabulary import Role

    at = open_app(shipped_engine, "evidence", make_actor(shipped_engine, Role.REVIEWER))
    assert not at.exception
    [results] = [d.value for d in at.dataframe if "doi" in d.value.columns]
    dois = [v for v in results["doi"] if isinstance(v, str)]
    assert dois and all(v.startswith("https://doi.org/10.") for v in dois)


def test_citations_show_prints_the_public_addresses(shipped_engine: Engine) -> None:
    from typer.testing import CliRunner

    from tests.conftest import cli_env
    from tracker.cli import app

    result = CliRunner().invoke(app, ["citations", "show", "laskowski2011"],
                                env=cli_env(shipped_engine))
    assert "https://doi.org/10.1007/s12630-011-9560-0" in result.output


