from collections import Counter

import msgspec
import pytest
import simple_icd_10_cm as icd

from careweave.codecs.hl7v2 import parse_header, parse_message
from careweave.sandbox.ehr import (
    EhrScenarioConfig,
    GeneratedMessage,
    build_item_catalog,
    generate_scenario,
    is_valid_gtin,
    is_valid_npi,
)
from careweave.sandbox.ehr.chargemaster import ALL_DIAGNOSES
from tests.unit.sandbox.ehr_feed import field, first, oracle, segments

CONFIG = EhrScenarioConfig(seed=11, days=3, encounters_per_day=40, item_mismatch_rate=0.2)


@pytest.fixture(scope="module")
def scenario():
    return generate_scenario(CONFIG)


@pytest.fixture(scope="module")
def feed(scenario) -> list[GeneratedMessage]:
    return list(scenario.well_formed())


def test_same_seed_gives_identical_bytes_and_another_seed_differs(scenario):
    again = generate_scenario(CONFIG)
    assert [m.raw for m in again.messages] == [m.raw for m in scenario.messages]
    other = generate_scenario(msgspec.structs.replace(CONFIG, seed=12))
    assert [m.raw for m in other.messages] != [m.raw for m in scenario.messages]


def test_volume_follows_the_configuration():
    small = generate_scenario(EhrScenarioConfig(seed=3, days=1, encounters_per_day=10))
    large = generate_scenario(EhrScenarioConfig(seed=3, days=2, encounters_per_day=40))
    assert 20 < len(small.messages) < len(large.messages)
    assert not generate_scenario(EhrScenarioConfig(seed=3, encounters_per_day=0)).messages


def test_config_rejects_impossible_values():
    with pytest.raises(ValueError, match="malformed_rate"):
        EhrScenarioConfig(malformed_rate=1.5)
    with pytest.raises(ValueError, match="days"):
        EhrScenarioConfig(days=0)


def test_feed_covers_every_message_type(feed):
    types = Counter(m.message_type for m in feed)
    for expected in ("ADT^A01", "ADT^A02", "ADT^A03", "ADT^A04", "ADT^A08", "ORM^O01",
                     "SIU^S12", "SIU^S13", "SIU^S14", "DFT^P03"):  # fmt: skip
        assert types[expected] > 0, expected
    rare = generate_scenario(
        msgspec.structs.replace(
            CONFIG,
            rates=msgspec.structs.replace(
                CONFIG.rates,
                cancel_admit=0.3,
                cancel_transfer=0.5,
                cancel_discharge=0.5,
                duplicate_registration=0.3,
                cancel_appointment=0.3,
            ),
        )
    )
    rare_types = Counter(m.message_type for m in rare.messages)
    for expected in ("ADT^A11", "ADT^A12", "ADT^A13", "ADT^A40", "SIU^S15"):
        assert rare_types[expected] > 0, expected


def test_every_message_parses_with_python_hl7_and_the_project_parser(feed):
    for message in feed:
        parsed = oracle(message)
        assert str(parsed.segment("MSH")[9]) == message.message_type or str(
            parsed.segment("MSH")[9]
        ).startswith(message.message_type + "^")
        assert str(parsed.segment("MSH")[10]) == message.control_id
        ours = parse_message(message.raw)
        assert ours.get("MSH-10") == message.control_id
        header = parse_header(message.raw)
        assert header.sending_facility.split("^")[0] == message.sending_facility


def test_control_ids_are_unique_per_sender(scenario):
    keys = [parse_header(m.raw).dedup_key() for m in scenario.well_formed()]
    assert len(keys) == len(set(keys))


def test_vendor_quirks_of_the_real_feeds_are_reproduced(feed):
    raws = [m.raw for m in feed]
    assert any(b"\r" in r and b"\n" not in r for r in raws)  # CR-terminated (the standard)
    assert any(b"\n" in r and b"\r" not in r for r in raws)  # LF-terminated practice system
    versions = Counter(parse_header(r).version_id for r in raws)
    assert versions["2.3"] and versions["2.5.1"]
    charsets = Counter(parse_header(r).character_set for r in raws)
    assert charsets["UNICODE UTF-8"] and charsets["8859/1"] and charsets[""]
    stamps = {parse_header(r).message_datetime for r in raws}
    assert any(len(s) == 19 and s[14] in "+-" for s in stamps)  # with zone offset
    assert any(len(s) == 14 for s in stamps) and any(len(s) == 12 for s in stamps)
    assert any(r.rstrip(b"\r").split(b"\r")[1].endswith(b"|||") for r in raws)  # padded fields
    pid3 = [field(first(m, "PID"), 3) for m in feed if m.message_type.startswith("ADT")]
    assert any("~" in p and "^^^RBHEMPI^PI" in p for p in pid3)  # repeating PID-3
    assert any("^^^LCH MRN^MRN~" in p for p in pid3)
    assert any(b"ZSU|" in r for r in raws)
    non_ascii = [m for m in feed if any(b > 127 for b in m.raw)]
    assert non_ascii and all(parse_message(m.raw).get("PID-5.1") for m in non_ascii)


def _xcn_repetitions(value: str) -> list[list[str]]:
    return [rep.split("^") for rep in value.split("~") if rep]


def test_every_npi_passes_the_luhn_80840_check(feed):
    checked = 0
    for message in feed:
        for seg in segments(message):
            for value in seg[1:]:
                for rep in _xcn_repetitions(value):
                    typed = [rep[i] for i in (8, 12) if i < len(rep)]
                    if "NPI" in typed:
                        assert is_valid_npi(rep[0]), (message.sequence, seg[0], rep[0])
                        checked += 1
    assert checked > 1000


def test_supplies_carry_valid_gtins_and_known_item_codes(scenario, feed):
    catalog = scenario.catalog
    used, missing_used = set(), set()
    for message in feed:
        segs = segments(message)
        for n, seg in enumerate(segs):
            if seg[0] != "ZSU":
                continue
            ft1 = segs[n - 1]
            assert ft1[0] == "FT1" and field(seg, 12) == field(ft1, 1)
            code = seg[2].split("^")[0]
            item = catalog.get(code)
            assert is_valid_gtin(seg[8]) and seg[8] == item.gtin
            assert f"(01){item.gtin}(17)" in seg[7]
            assert ft1[25].split("^")[0] == item.hcpcs
            assert ft1[7].split("^")[3] in ("0272", "0278")
            if item.serialized:
                assert seg[6] and f"(21){seg[6]}" in seg[7]
            used.add(code)
            if code in catalog.missing_from_erp:
                missing_used.add(code)
    assert len(used) > 10
    assert missing_used, "the item-mismatch codes must show up in the feed"


def test_item_catalog_and_erp_master():
    catalog = build_item_catalog(seed=4, mismatch_rate=0.25)
    assert all(is_valid_gtin(i.gtin) for i in catalog.items)
    assert len({i.ehr_item_code for i in catalog.items}) == len(catalog.items)
    erp = catalog.erp_items()
    assert len(erp) == len(catalog.items) - len(catalog.missing_from_erp)
    assert len(catalog.missing_from_erp) == round(len(catalog.items) * 0.25)
    assert not {i.ehr_item_code for i in erp} & catalog.missing_from_erp
    again = build_item_catalog(seed=4, mismatch_rate=0.25)
    assert again == catalog
    assert build_item_catalog(seed=4, mismatch_rate=0.0).missing_from_erp == frozenset()


def test_diagnoses_are_billable_icd_10_cm_codes(feed):
    for diagnosis in ALL_DIAGNOSES:
        assert icd.is_valid_item(diagnosis.code) and icd.is_leaf(diagnosis.code), diagnosis
    seen = set()
    spots = {"DG1": [3], "FT1": [19], "PR1": [15], "OBR": [31]}
    for message in feed:
        for seg in segments(message):
            for n in spots.get(seg[0], []):
                for rep in field(seg, n).split("~"):
                    if rep:
                        code = rep.split("^")[0]
                        assert icd.is_valid_item(code) and icd.is_leaf(code), code
                        seen.add(code)
    assert len(seen) > 15


def test_charges_have_cpt_or_hcpcs_modifiers_ndc_and_balanced_credits(feed):
    lines = {}
    credits = []
    modifiers: set[str] = set()
    for message in (m for m in feed if m.message_type == "DFT^P03"):
        for seg in segments(message):
            if seg[0] != "FT1":
                continue
            quantity = int(seg[10])
            amount = float(seg[11].split("&")[0])
            unit = float(seg[12].split("&")[0])
            assert amount == pytest.approx(quantity * unit)
            modifiers.update(m for m in field(seg, 26).split("~") if m)
            if field(seg, 29):
                assert field(seg, 29).endswith("^NDC") and len(seg[29].split("^")[0]) == 13
            if seg[6] == "CD":
                credits.append(seg)
            else:
                assert seg[6] == "CG" and quantity > 0
                lines[seg[2]] = seg
    assert {"26", "JZ"} <= modifiers and modifiers & {"LD", "LC", "RC"}
    assert credits
    for credit in credits:
        original = lines[field(credit, 31)]  # credited after, and against, an existing charge
        assert int(credit[10]) == -int(original[10]) and credit[7] == original[7]


def test_encounter_lifecycles_are_coherent(feed):
    registered: set[str] = set()
    cancelled: set[str] = set()
    discharged: set[str] = set()
    transferred: set[str] = set()
    retired: set[str] = set()
    for message in feed:
        kind = message.message_type
        mrns = set()
        if kind != "ADT^A40":
            for seg in segments(message):
                if seg[0] == "PID":
                    mrns = {rep.split("^")[0] for rep in seg[3].split("~")}
        assert not mrns & retired, f"retired MRN reused in {message.sequence}"
        if kind.startswith("SIU") or (kind == "ORM^O01" and message.visit_number == ""):
            continue
        if kind == "ADT^A40":
            retired.add(first(message, "MRG")[1].split("^")[0])
            continue
        pv1 = first(message, "PV1")
        visit = pv1[19].split("^")[0]
        hospital_visit = field(pv1, 50) or visit
        assert hospital_visit not in cancelled, f"{kind} after A11 for {visit}"
        if kind in ("ADT^A01", "ADT^A04"):
            assert visit not in registered
            registered.add(visit)
            continue
        assert hospital_visit in registered, f"{kind} for unknown visit {hospital_visit}"
        if kind == "ADT^A11":
            cancelled.add(visit)
        elif kind == "ADT^A03":
            discharged.add(visit)
        elif kind == "ADT^A13":
            assert visit in discharged
            discharged.discard(visit)
        elif kind == "ADT^A02":
            transferred.add(visit)
        elif kind == "ADT^A12":
            assert visit in transferred
    assert registered and discharged and transferred


def test_cath_cases_document_procedure_and_implants(feed):
    cases = [m for m in feed if m.message_type == "DFT^P03" and b"\rPR1|" in m.raw]
    assert cases
    pacemakers = 0
    for case in cases:
        segs = segments(case)
        names = [s[0] for s in segs]
        assert names.index("PR1") == names.index("FT1") + 1
        pr1 = first(case, "PR1")
        assert pr1[3].split("^")[0] == first(case, "FT1")[25].split("^")[0]
        assert is_valid_npi(pr1[11].split("~")[-1].split("^")[0])
        if pr1[3].startswith(("33207", "33208")):
            pacemakers += 1
            implants = [s for s in segs if s[0] == "ZSU" and s[10] == "Y"]
            assert len(implants) >= 2 and all(s[6] for s in implants)
    assert pacemakers
