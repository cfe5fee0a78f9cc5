"""The item crosswalk: resolution order, effective-dated versions, suggestions, the CSV file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from careweave.exceptions import CsvError, ValidationError
from careweave.masterdata import CodeKind, CrosswalkEntry, CrosswalkFile, parse_crosswalk
from careweave.masterdata.items import normalize, udi_identifiers
from tests.unit.masterdata.factories import MARCH, STENT, WIRE, crosswalk, ehr_entry, supply


def test_the_ehr_code_wins_over_the_gtin_and_the_catalog_number() -> None:
    xw = crosswalk(
        ehr_entry("CV10421", STENT.item_number),
        CrosswalkEntry(
            kind=CodeKind.GTIN, code=WIRE.gtin or "", item_number=WIRE.item_number,
            effective_from=dt.date(2024, 1, 1),
        ),
    )  # fmt: skip
    match = xw.resolve(supply(gtin=WIRE.gtin), MARCH)
    assert match is not None
    assert match.item.item_number == STENT.item_number
    assert match.entry.kind is CodeKind.EHR


def test_a_gs1_udi_resolves_through_its_gtin_and_catalog_numbers_ignore_punctuation() -> None:
    gtin = CrosswalkEntry(
        kind=CodeKind.GTIN, code="884521031256", item_number=STENT.item_number,
        effective_from=dt.date(2024, 1, 1),
    )  # fmt: skip
    xw = crosswalk(gtin)
    by_udi = xw.resolve(supply(code="UNKNOWN", udi="(01)00884521031256(17)260104(10)LOT1"), MARCH)
    assert by_udi is not None and by_udi.item == STENT
    catalog = CrosswalkEntry(
        kind=CodeKind.CATALOG, code="HM 20056", item_number=WIRE.item_number,
        effective_from=dt.date(2024, 1, 1),
    )  # fmt: skip
    by_catalog = crosswalk(catalog).resolve(supply(code="X", catalog_number="hm-20056"), MARCH)
    assert by_catalog is not None and by_catalog.item == WIRE
    assert normalize(CodeKind.CATALOG, "HALCYON MEDICAL^HM-20056") == "HM20056"


def test_a_hibcc_udi_yields_its_labeler_and_product() -> None:
    assert udi_identifiers("+H123PROD1010/$$3LOT42") == [(CodeKind.HIBCC, "H123PROD101")]
    assert udi_identifiers("(01)00884521031256") == [(CodeKind.GTIN, "00884521031256")]
    assert udi_identifiers("XYZ") == [(CodeKind.UDI, "XYZ")]


def test_a_new_version_wins_from_its_date_and_the_old_one_stays_for_history() -> None:
    xw = crosswalk(ehr_entry("CV10421", STENT.item_number))
    v2 = xw.add(
        CodeKind.EHR, "CV10421", WIRE.item_number, effective_from=dt.date(2025, 4, 1), added_by="a"
    )
    assert v2.version == 2
    march = xw.resolve(supply(), MARCH)
    april = xw.resolve(supply(), dt.date(2025, 4, 2))
    assert march is not None and march.item == STENT and march.entry.version == 1
    assert april is not None and april.item == WIRE
    history = xw.history(CodeKind.EHR, "cv10421")
    assert [e.effective_to for e in history] == [dt.date(2025, 3, 31), None]


def test_an_entry_to_an_unknown_item_or_an_empty_code_is_refused() -> None:
    xw = crosswalk()
    with pytest.raises(ValidationError, match="NOPE"):
        xw.add(CodeKind.EHR, "CV1", "NOPE", effective_from=MARCH)
    with pytest.raises(ValidationError, match="empty"):
        xw.add(CodeKind.EHR, "  ", STENT.item_number, effective_from=MARCH)
    assert xw.resolve(supply(), MARCH) is None


def test_suggestions_rank_gtin_then_catalog_then_description() -> None:
    xw = crosswalk()
    event = supply(code="CV99999", gtin=STENT.gtin, catalog_number="HM-20056")
    ranked = xw.suggest(event)
    assert [s.item_number for s in ranked[:2]] == [STENT.item_number, WIRE.item_number]
    assert ranked[0].score == 1.0 and "GTIN" in ranked[0].reason
    assert "catalog" in ranked[1].reason
    fuzzy = xw.suggest(supply(code="CV1", item=supply().item))
    assert fuzzy and fuzzy[0].item_number == STENT.item_number
    assert fuzzy[0].reason == "similar description"


def test_the_crosswalk_file_round_trips_and_names_a_bad_row(tmp_path: Path) -> None:
    xw = crosswalk(ehr_entry("CV10421", STENT.item_number))
    xw.add(CodeKind.GTIN, WIRE.gtin or "", WIRE.item_number, effective_from=MARCH, source="cli")
    file = CrosswalkFile(tmp_path / "xw" / "crosswalk.csv")
    assert file.load() == []
    file.save(xw.entries())
    assert file.load() == xw.entries()
    with pytest.raises(CsvError, match="line 2, kind: 'sku'"):
        parse_crosswalk("kind,code,item_number,effective_from\nsku,A,B,2025-01-01\n")
    with pytest.raises(CsvError, match="line 3, effective_from"):
        parse_crosswalk(
            "kind,code,item_number,effective_from\nehr,A,B,2025-01-01\nehr,C,D,01/02/2025\n"
        )
    with pytest.raises(CsvError, match="lacks column"):
        parse_crosswalk("kind,code\nehr,A\n")
    with pytest.raises(CsvError, match="before"):
        parse_crosswalk(
            "kind,code,item_number,effective_from,effective_to\nehr,A,B,2025-02-01,2025-01-01\n"
        )
