"""``x12 validate`` against pyx12 on the corpus and on broken copies of careweave's samples.

Acceptance 2 of issue 16: careweave's guide validation agrees with pyx12 (the oracle) on every
5010 corpus file pyx12 can judge, and flags the same segments and elements pyx12 does in copies
the tests break on purpose (a bad date, a code outside its set, a wrong component separator, a
missing required segment); a repeated HL level the guide allows stays valid.
"""

from __future__ import annotations

import io
import json
import logging
import re
from pathlib import Path

import pytest
import pyx12.params
import pyx12.x12n_document

from careweave.codecs.x12.guide_validation import validate_against_guides
from tests.conftest import ROOT, corpus_names, corpus_path
from tests.unit.x12.pyx12_oracle import pyx12_errors, pyx12_findings

SAMPLES = ROOT / "examples" / "samples"
CORPUS_FILES = corpus_names("x12", pattern="**/*", keep=lambda name: "LICENSE" not in name)


def _pyx12_verdict(path: Path) -> bool | None:
    """pyx12's valid/invalid, or None when pyx12 cannot judge the file (no map, or it crashes)."""
    logging.getLogger("pyx12").setLevel(logging.CRITICAL)
    out = io.StringIO()
    try:
        pyx12.x12n_document.x12n_document(
            pyx12.params.ParamsBase(), str(path), None, None, None, out
        )
        json.loads(out.getvalue())
    except Exception:  # pyx12 raises EngineErrors, KeyErrors... or writes nothing it can't judge
        return None
    return pyx12_errors(path) == []


def _is_5010(data: bytes) -> bool:
    return b"*00501*" in data[:120] or b"*005010" in data[:400]


@pytest.mark.parametrize("name", CORPUS_FILES)
def test_agrees_with_pyx12_on_the_corpus(name: str) -> None:
    path = corpus_path("x12", name)
    data = path.read_bytes()
    report = validate_against_guides(data)
    verdict = _pyx12_verdict(path) if _is_5010(data) else None
    if verdict is None:
        # pyx12 has no opinion here (4010, or a 5010 guide it has no map for): careweave still
        # gives one, naming any set it does not support instead of calling it invalid silently.
        assert report.valid or report.errors
        if b"*004010X" in data[:400]:
            assert any(e.code == "unsupported" and "4010" in e.message for e in report.errors)
        return
    assert report.valid == verdict, [e.message for e in report.errors][:10]


def _with_se_counts(text: str) -> str:
    """Rewrite every SE01 to the number of segments its transaction set now holds."""
    out: list[str] = []
    count = 0
    for segment in text.split("~"):
        bare = segment.strip()
        if bare.startswith("ST*"):
            count = 0
        if bare:
            count += 1
        if bare.startswith("SE*"):
            fields = bare.split("*")
            fields[1] = str(count)
            out.append(segment.replace(bare, "*".join(fields)))
            continue
        out.append(segment)
    return "~".join(out)


def _broken(tmp_path: Path, sample: str, old: str, new: str) -> Path:
    text = (SAMPLES / sample).read_text()
    assert old in text, old
    path = tmp_path / sample
    path.write_text(_with_se_counts(text.replace(old, new, 1)))
    return path


def _careweave_findings(path: Path) -> set[tuple[int, str, str | None, str]]:
    report = validate_against_guides(path.read_bytes())
    return {(e.segment_position, e.segment_id, e.element, e.code) for e in report.errors}


BROKEN = {
    "bad DTP03 date": ("claims.837", "DTP*435*D8*20250303", "DTP*435*D8*20251303"),
    "bad BPR16 date": ("remittance.835", "*DA*0028811943*20250321", "*DA*0028811943*20250231"),
    "SBR01 outside its code set": ("claims.837", "SBR*P*18*G995413", "SBR*Q*18*G995413"),
    "PWK02 outside its code set": (
        "claims.837", "DTP*435*D8*20250303~", "DTP*435*D8*20250303~\nPWK*OZ*ZZ~",
    ),
    "composite with the wrong separator": ("claims.837", "HI*ABK:I214", "HI*ABK>I214"),
    "CLM03 used where the guide says not used": (
        "claims.837", "CLM*PG282990417*438***21:B:1", "CLM*PG282990417*438*CI**21:B:1",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_copies_are_flagged_where_pyx12_flags_them(case: str, tmp_path: Path) -> None:
    sample, old, new = BROKEN[case]
    assert pyx12_findings(SAMPLES / sample) == set()
    assert validate_against_guides((SAMPLES / sample).read_bytes()).valid
    path = _broken(tmp_path, sample, old, new)
    expected = pyx12_findings(path)
    assert expected, "the oracle should see the breakage"
    found = _careweave_findings(path)
    assert not validate_against_guides(path.read_bytes()).valid
    # The segments pyx12 flags are the segments careweave flags. pyx12 cannot place a segment
    # whose qualifier (or first component) is outside its code set, so it also reports that
    # segment "missing" (code 3) at the next one; careweave places it by id and names the bad
    # element instead: those follow-up code-3 findings are left out of the comparison.
    assert {(p, s) for p, s, _, code in expected if code != "3"} == {(p, s) for p, s, _, _ in found}
    # Each element pyx12 names, careweave names, with the same code.
    assert {(p, e, c) for p, _, e, c in expected if e} <= {(p, e, c) for p, _, e, c in found}


def test_a_missing_required_segment_is_flagged_like_pyx12(tmp_path: Path) -> None:
    # The payer's technical contact PER*BL is required in 1000A of an 835 (X221A1).
    path = _broken(tmp_path, "remittance.835", "PER*BL*PROVIDER SERVICES*TE*8005550137~", "")
    expected = {(s, p) for p, s, _, _ in pyx12_findings(path)}
    report = validate_against_guides(path.read_bytes())
    assert not report.valid
    missing = [e for e in report.errors if e.code == "3"]
    assert [(e.segment_id, e.segment_position) for e in missing] == sorted(expected)
    assert "1000A" in missing[0].message


def test_a_missing_required_837_segment(tmp_path: Path) -> None:
    path = _broken(tmp_path, "claims.837", "N3*100 RIVERBEND PKWY~\nN4*RIVERBEND*WI*549010001~\n"
                   "REF*EI", "N4*RIVERBEND*WI*549010001~\nREF*EI")  # fmt: skip
    assert any(s == "N3" and code == "3" for _, s, _, code in pyx12_findings(path))
    report = validate_against_guides(path.read_bytes())
    assert [(e.segment_id, e.code) for e in report.errors] == [("N3", "3")]


def _second_billing_provider(text: str) -> str:
    """Repeat the first billing provider (HL 20) and its first subscriber after the others."""
    start = text.index("HL*1**20*1~")
    end = text.index("HL*3*1*22*0~")
    block = (
        text[start:end]
        .replace("HL*1**20*1~", "HL*4**20*1~")
        .replace("HL*2*1*22*0~", "HL*5*4*22*0~")
    )
    se = re.search(r"~\s*SE\*", text)
    assert se is not None
    tail = se.end() - 3
    return text[:tail] + block + text[tail:]


def test_a_repeated_hl_level_the_guide_allows_stays_valid(tmp_path: Path) -> None:
    path = tmp_path / "two-providers.837"
    path.write_text(_with_se_counts(_second_billing_provider((SAMPLES / "claims.837").read_text())))
    assert pyx12_errors(path) == []
    report = validate_against_guides(path.read_bytes())
    assert report.errors == []
    assert report.valid


def test_a_per_in_2310c_is_valid(tmp_path: Path) -> None:
    # X222A1 allows a service facility contact (PER) in loop 2310C.
    path = _broken(
        tmp_path, "claims.837",
        "NM1*77*2*RIVERBEND MEDICAL CENTER*****XX*2217391889~\nN3*100 RIVERBEND PKWY~\n"
        "N4*RIVERBEND*WI*549010001~",
        "NM1*77*2*RIVERBEND MEDICAL CENTER*****XX*2217391889~\nN3*100 RIVERBEND PKWY~\n"
        "N4*RIVERBEND*WI*549010001~\nPER*IC*FRONT DESK*TE*9205550100~",
    )  # fmt: skip
    assert pyx12_errors(path) == []
    assert validate_against_guides(path.read_bytes()).valid


def test_a_five_digit_billing_provider_zip_is_invalid(tmp_path: Path) -> None:
    # X222A1 wants the full nine-digit ZIP for the billing provider (2010AA N403) in the US; the
    # pyx12 map leaves that rule out, careweave carries it as a guide note.
    path = _broken(tmp_path, "claims.837", "N4*RIVERBEND*WI*549010001~\nREF*EI",
                   "N4*RIVERBEND*WI*54901~\nREF*EI")  # fmt: skip
    report = validate_against_guides(path.read_bytes())
    assert [(e.segment_id, e.element, e.code) for e in report.errors] == [("N4", "N403", "7")]
    # Outside the US (N404 given) the postal code is not held to nine digits.
    abroad = _broken(tmp_path, "claims.837", "N4*RIVERBEND*WI*549010001~\nREF*EI",
                     "N4*TORONTO*ON*M5V2T6*CA~\nREF*EI")  # fmt: skip
    assert validate_against_guides(abroad.read_bytes()).valid


def test_the_json_shape(tmp_path: Path) -> None:
    path = _broken(tmp_path, *BROKEN["bad BPR16 date"])
    payload = validate_against_guides(path.read_bytes()).to_json()
    assert json.loads(json.dumps(payload)) == payload
    assert payload["valid"] is False
    assert payload["transaction_sets"] == [
        {"id": "835", "control_number": "0001", "guide_version": "005010X221A1", "valid": False}
    ]
    (error,) = payload["errors"]
    assert error == {
        "segment_position": 2, "segment_id": "BPR", "element": "BPR16", "code": "8",
        "message": error["message"],
    }  # fmt: skip
    assert "20250231" in error["message"]


def _interchange(group: str, version: str, body: list[str]) -> str:
    """An ISA/GS/ST..SE/GE/IEA around *body* (the segments after ST), counts filled in."""
    set_id = body[0]
    segments = [f"ST*{set_id}*0001*{version}", *body[1:]]
    segments.append(f"SE*{len(segments) + 1}*0001")
    return "~\n".join([
        "ISA*00*          *00*          *ZZ*PAYER          *ZZ*CAREWEAVE      *250321*0600*^*00501"
        "*000000042*0*T*:",
        f"GS*{group}*PAYER*CAREWEAVE*20250321*0600*42*X*{version}", *segments,
        "GE*1*42", "IEA*1*000000042",
    ]) + "~\n"  # fmt: skip


def _provider(hl: int, parent: int, npi: str, claim: str) -> list[str]:
    return [
        f"HL*{hl}*{parent}*19*1", f"NM1*85*2*RIVERBEND CLINIC {hl}*****XX*{npi}",
        "TRN*1*0", "STC*A1:20**WQ*125", "QTY*QA*1", "AMT*YU*125",
        f"HL*{hl + 1}*{hl}*PT", "NM1*QC*1*HALVORSEN*KAREN****MI*XC071294385",
        f"TRN*2*{claim}", "STC*A2:20*20250321*WQ*125", "REF*1K*2025079001234",
        "DTP*472*D8*20250303",
    ]  # fmt: skip


CLAIM_ACK_277 = [
    "277", "BHT*0085*08*000000674*20250321*0600*TH", "HL*1**20*1",
    "NM1*PR*2*BLUE CROSS BLUE SHIELD WI*****PI*47198", "TRN*1*000014420",
    "DTP*050*D8*20250321", "DTP*009*D8*20250321", "HL*2*1*21*1",
    "NM1*41*2*RIVERBEND PHYSICIAN GROUP PC*****46*RBPG837", "TRN*2*000000674",
    "STC*A1:20*20250321*WQ*250", "QTY*90*2", "AMT*YU*250",
    *_provider(3, 2, "2658266897", "PG282990417"), *_provider(5, 2, "1986312019", "PG282990522"),
]  # fmt: skip
"""A 277CA whose provider level (HL 19) repeats after the patient level of the first provider."""


def test_a_277_whose_provider_level_repeats_after_patient_levels_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "ack.277"
    path.write_text(_interchange("HN", "005010X214", CLAIM_ACK_277))
    assert pyx12_errors(path) == []
    report = validate_against_guides(path.read_bytes())
    assert report.errors == [] and report.valid


def test_an_hl_under_a_parent_level_the_guide_does_not_allow_is_invalid(tmp_path: Path) -> None:
    # The second provider (HL 5) names the first provider's patient (HL 4) as its parent.
    body = [s.replace("HL*5*2*19*1", "HL*5*4*19*1") for s in CLAIM_ACK_277]
    report = validate_against_guides(_interchange("HN", "005010X214", body))
    assert [(e.segment_position, e.element) for e in report.errors] == [(26, "HL02")]
    assert "cannot be a child of level PT" in report.errors[0].message


def test_the_flat_x212_277_hierarchy_repeats_levels_in_any_permitted_order() -> None:
    # The X212 277 lists its levels side by side: provider (19) and subscriber (22) levels
    # repeat in turn under one information receiver (21).
    body = [
        "277", "BHT*0010*08*277X212*20250321*0810*DG", "HL*1**20*1",
        "NM1*PR*2*BLUE CROSS BLUE SHIELD WI*****PI*47198", "HL*2*1*21*1",
        "NM1*41*2*RIVERBEND PHYSICIAN GROUP PC*****46*RBPG837",
    ]  # fmt: skip
    for hl in (3, 5):
        body += [
            f"HL*{hl}*2*19*1", "NM1*1P*2*RIVERBEND CLINIC*****XX*2658266897",
            f"HL*{hl + 1}*{hl}*22*0", "NM1*IL*1*HALVORSEN*KAREN****MI*XC071294385",
            f"TRN*2*PG28299041{hl}", "STC*A1:20*20250321", "REF*1K*2025079001234",
            "DTP*472*RD8*20250303-20250303",
        ]  # fmt: skip
    report = validate_against_guides(_interchange("HN", "005010X212", body))
    assert report.errors == [] and report.valid
