"""CiTO, the Citation Typing Ontology (http://purl.org/spar/cito/), as Turtle written with
rdflib: for every claim, the claim (a part of the article, ``frbr:partOf``, with its text as
``rdf:value``) ``cito:supports`` / ``cito:disputes`` / ``cito:discusses`` /
``cito:citesAsEvidence`` each study linked to it (`tracker.vocabulary.CITO_TERMS`), and the
article ``cito:citesAsEvidence`` every study linked to one of its claims. Studies are named by
their DOI address, else their PubMed page, else a URN from the citation key; each has its
``dcterms:title``. Pure."""

from __future__ import annotations

from collections.abc import Iterable

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF

from tracker.formats.assessed import Article, AssessedClaim, study_iri

__all__ = ["CITO", "cito_graph", "to_turtle"]

CITO = Namespace("http://purl.org/spar/cito/")
FRBR = Namespace("http://purl.org/vocab/frbr/core#")


def cito_graph(article: Article, claims: Iterable[AssessedClaim]) -> Graph:
    graph = Graph()
    graph.bind("cito", CITO)
    graph.bind("frbr", FRBR)
    graph.bind("dcterms", DCTERMS)
    work = URIRef(article.address)
    graph.add((work, DCTERMS.title, Literal(article.title)))
    for claim in claims:
        node = URIRef(f"urn:evidence-tracker:{article.slug}:claim:{claim.id}")
        graph.add((node, FRBR.partOf, work))
        graph.add((node, RDF.value, Literal(claim.text)))
        for study in claim.studies:
            cited = URIRef(study_iri(study))
            term = study.cito.removeprefix("cito:")
            graph.add((node, CITO[term], cited))
            graph.add((work, CITO.citesAsEvidence, cited))
            graph.add((cited, DCTERMS.title, Literal(study.title)))
    return graph


def to_turtle(article: Article, claims: Iterable[AssessedClaim]) -> str:
    return str(cito_graph(article, claims).serialize(format="turtle"))
