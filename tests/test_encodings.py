"""BibTeX files that are not UTF-8: the encoding is decided by evidence, reported with its
confidence, refused when unsure, and can be stated (`tracker.encodings`, `--encoding`).

Inputs: biber's examples (`../shared/corpora/bibtexparser-tests-v1/biber-examples.bib`,
BSD-3-Clause/LGPL-3.0 as that folder's SOURCE.txt says), re-encoded entry by entry into each
encoding that can hold it; and short entries written for these tests (the titles and names
below, made up for this project, MIT like the rest of it).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from tests.conftest import SHARED, cli_env
from tracker import bibtex, db, encodings
from tracker.cli import app
from tracker.models import Citation
from tracker.services import users
from tracker.services.access import system_actor
from tracker.vocabulary import Role

BIBER = SHARED / "corpora" / "bibtexparser-tests-v1" / "biber-examples.bib"

#: (what, encoding it is written in, the codec expected to be reported, the entry)
OWN = [
    ("Portuguese in Latin-1", "latin-1", "cp1252",
     "@article{silva2019,\n  title = {Avaliação da dor crônica após cirurgia},\n"
     "  author = {Silva, João and Conceição, Maria},\n  year = {2019}\n}\n"),
    ("Czech in Latin-2", "iso8859-2", "iso8859-2",
     "@article{novak2018,\n  title = {Léčba bolesti ketaminem u pacientů s rakovinou},\n"
     "  author = {Novák, Jiří and Šťastný, Petr},\n  journal = {Časopis lékařů českých},\n"
     "  year = {2018}\n}\n"),
    ("Polish in Latin-2", "iso8859-2", "iso8859-2",
     "@article{kowalski2020,\n  title = {Skuteczność ketaminy w leczeniu bólu},\n"
     "  author = {Kowalski, Łukasz and Wiśniewska, Żaneta},\n  year = {2020}\n}\n"),
    ("Finnish and Lithuanian in Latin-9", "iso8859-15", "iso8859-15",
     "@article{saarinen2017,\n  title = {Šokkihoidon ja kivun yhteys: Žilinan aineisto},\n"
     "  author = {Saarinen, Pekka and Šimkus, Jonas},\n  note = {Hinta 20 €},\n"
     "  year = {2017}\n}\n"),
    ("French in Latin-9", "iso8859-15", "iso8859-15",
     "@article{dupont2016,\n  title = {L'œuvre de la douleur: effets de la kétamine},\n"
     "  author = {Dupont, Étienne},\n  year = {2016}\n}\n"),
    ("English with curly quotes in Windows-1252", "cp1252", "cp1252",
     "@article{smith2015,\n  title = {Ketamine “bursts” for pain – a review},\n"
     "  author = {Smith, Anne and Müller, Karl},\n  year = {2015}\n}\n"),
]


@pytest.mark.parametrize(("what", "written", "reported", "entry"), OWN, ids=[o[0] for o in OWN])
def test_each_encoding_is_recognised_by_its_words(what: str, written: str, reported: str,
                                                  entry: str) -> None:
    found = encodings.detect(entry.encode(written))
    assert (found.text, found.encoding) == (entry, reported), what
    assert 0 < found.confidence <= 1
    assert "accented words plausible" in found.evidence


@pytest.mark.parametrize("written", ["latin-1", "iso8859-2", "iso8859-15", "cp1252"])
def test_biber_examples_read_back_in_every_encoding(written: str) -> None:
    """Every entry of biber's examples that the encoding can hold, in that encoding: decoded
    to exactly the original text (Latin-1's reading is Windows-1252's: the same here)."""
    if not BIBER.exists():
        pytest.skip(f"{BIBER} is not available")
    entries = ["@" + e for e in BIBER.read_text(encoding="utf-8").split("\n@")[1:]]
    kept = []
    for entry in entries:
        try:
            entry.encode(written)
        except UnicodeEncodeError:
            continue
        kept.append(entry)
    text = "\n".join(kept)
    assert len(kept) > 100 and not text.isascii()
    decoded = bibtex.decode_bib_bytes(text.encode(written), "biber.bib")
    assert decoded.text == text
    assert decoded.encoding == {"latin-1": "cp1252"}.get(written, written)
    assert decoded.note().startswith("not UTF-8: read as ")


def test_an_ambiguous_file_is_refused_naming_the_line_and_both_readings(tmp_path: Path
                                                                        ) -> None:
    path = tmp_path / "short.bib"
    path.write_bytes("@misc{a,\n  title = {Año}, year = {2000}}\n".encode("latin-1"))
    with pytest.raises(bibtex.BibFileError, match=(
            r"is not UTF-8 and its encoding is unclear: line 2: could be Windows-1252 "
            r"\('\{Año\},'\) or Latin-2 \('\{Ańo\},'\).*state the encoding")):
        bibtex.read_bib_file(path)
    assert bibtex.read_bib_file(path, "latin-1")[0].startswith("@misc{a,\n  title = {Año}")
    assert bibtex.read_bib_file(path, "latin-2")[0].startswith("@misc{a,\n  title = {Ańo}")


def test_a_stated_encoding_is_checked(tmp_path: Path) -> None:
    path = tmp_path / "x.bib"
    path.write_bytes(b"@misc{x, title = {\x81}}")
    with pytest.raises(bibtex.BibFileError, match="unknown encoding 'klingon'"):
        bibtex.read_bib_file(path, "klingon")
    with pytest.raises(bibtex.BibFileError, match=r"line 1: byte 0x81 is not Windows-1252"):
        bibtex.read_bib_file(path, "cp1252")
    assert bibtex.decode_bib_file(path, "latin-1").note() == "read as Latin-1, as stated"


def _editor(engine: Engine) -> dict[str, str]:
    with db.writing(engine) as session:
        users.add_user(session, system_actor(session), "enc", Role.EDITOR, "password-1")
    return cli_env(engine, "enc")


def test_the_import_report_names_the_encoding_and_its_confidence(
        engine: Engine, tmp_path: Path) -> None:
    env = _editor(engine)
    czech = tmp_path / "czech.bib"
    czech.write_bytes(OWN[1][3].encode("iso8859-2"))
    result = CliRunner().invoke(app, ["import-bib", str(czech)], env=env)
    assert result.exit_code == 0, result.output
    assert (f"  encoding {czech}: not UTF-8: read as Latin-2 (confidence 0.88: 8 of 8 "
            "accented words plausible as Latin-2; as Windows-1252, 5 of 8)") in result.output
    with db.reading(engine) as session:
        title = session.scalar(select(Citation.title).where(Citation.key == "novak2018"))
    assert title == "Léčba bolesti ketaminem u pacientů s rakovinou"
    polish = tmp_path / "polish.bib"
    polish.write_bytes(OWN[2][3].encode("iso8859-2"))
    as_json = json.loads(CliRunner().invoke(app, ["import-bib", str(polish), "--json"],
                                            env=env).output)
    [note] = as_json["encodings"]
    assert (note["encoding"], note["stated"]) == ("iso8859-2", False)
    assert 0.5 < note["confidence"] <= 1


def test_an_unclear_file_is_refused_by_the_command_and_can_be_stated(
        engine: Engine, tmp_path: Path) -> None:
    env = _editor(engine)
    path = tmp_path / "short.bib"
    path.write_bytes("@misc{ano, title = {Año}, year = {2000}}\n".encode("latin-1"))
    refused = CliRunner().invoke(app, ["import-bib", str(path)], env=env)
    assert refused.exit_code == 2
    assert refused.output.startswith(f"error: {path}: is not UTF-8 and its encoding is "
                                     "unclear: line 1: could be")
    stated = CliRunner().invoke(app, ["import-bib", str(path), "--encoding", "latin-1"],
                                env=env)
    assert stated.exit_code == 0, stated.output
    assert f"  encoding {path}: read as Latin-1, as stated" in stated.output
    with db.reading(engine) as session:
        assert session.scalar(select(Citation.title).where(Citation.key == "ano")) == "Año"
