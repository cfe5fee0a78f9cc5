"""Loop layout of the 837 professional (005010X222A1) and institutional (005010X223A2) claims.

Segments that the guide lists several times with different qualifiers at one position (the
2300 loop's DTP and REF) are folded into one rule with their combined maximum use; the
qualifiers that separate loops (NM1 entity codes, HL level codes) are kept exact.
"""

from __future__ import annotations

from careweave.codecs.x12.spec import UNBOUNDED, LoopRule, SegmentRule, loop, seg

_REQ = {"required": True}


def _nm1_loop(loop_id: str, name: str, *codes: str, address: str = "",
              refs: tuple[str, ...] = (), ref_max: int = 4, ref_required: bool = False,
              extra: tuple[SegmentRule, ...] = (), tail: tuple[SegmentRule, ...] = (),
              max_repeat: int = 1) -> LoopRule:  # fmt: skip
    """An entity loop: NM1, N3/N4 ("R" required, "S" situational), extras, REF, tail."""
    body: list[SegmentRule] = []
    if address:
        body += [seg("N3", required=address == "R"), seg("N4", required=address == "R")]
    body += extra
    if refs:
        body.append(seg("REF", *refs, required=ref_required, max_use=ref_max))
    body += tail
    return loop(loop_id, name, seg("NM1", *codes), *body, max_repeat=max_repeat)


def _header(billing_refs: tuple[SegmentRule, ...], subscriber_per: bool) -> tuple[LoopRule, ...]:
    submitter = loop("1000A", "Submitter name", seg("NM1", "41"),
                     seg("PER", "IC", required=True, max_use=2), required=True)  # fmt: skip
    receiver = loop("1000B", "Receiver name", seg("NM1", "40"), required=True)
    billing = loop("2010AA", "Billing provider name", seg("NM1", "85"),
                   seg("N3", **_REQ), seg("N4", **_REQ), *billing_refs,
                   seg("PER", "IC", max_use=2), required=True)  # fmt: skip
    pay_to = _nm1_loop("2010AB", "Pay-to address", "87", address="R")
    pay_to_plan = loop("2010AC", "Pay-to plan name", seg("NM1", "PE"), seg("N3", **_REQ),
                       seg("N4", **_REQ), seg("REF", "2U", "FY", "NF", "EI", max_use=2))  # fmt: skip
    subscriber_extra = (seg("DMG", "D8"),)
    subscriber_tail = (seg("PER", "IC"),) if subscriber_per else ()
    subscriber = loop("2010BA", "Subscriber name", seg("NM1", "IL"), seg("N3"), seg("N4"),
                      *subscriber_extra, seg("REF", "SY", "Y4", max_use=2), *subscriber_tail,
                      required=True)  # fmt: skip
    payer = _nm1_loop("2010BB", "Payer name", "PR", address="S",
                      refs=("2U", "EI", "FY", "NF", "G2", "LU"), ref_max=5)  # fmt: skip
    return submitter, receiver, billing, pay_to, pay_to_plan, subscriber, payer


def _other_subscriber(provider_loops: tuple[LoopRule, ...], mia: bool) -> LoopRule:
    payer_refs = ("2U", "EI", "FY", "NF", "G1", "9F", "T4", "F8")
    return loop(
        "2320", "Other subscriber information", seg("SBR"),
        seg("CAS", "CO", "CR", "OA", "PI", "PR", max_use=5),
        seg("AMT", "D", "A8", "EAF", max_use=3), seg("OI", **_REQ),
        *((seg("MIA"),) if mia else ()), seg("MOA"),
        loop("2330A", "Other subscriber name", seg("NM1", "IL"), seg("N3"), seg("N4"),
             seg("REF", "SY", max_use=2), required=True),
        loop("2330B", "Other payer name", seg("NM1", "PR"), seg("N3"), seg("N4"),
             seg("DTP", "573"), seg("REF", *payer_refs, max_use=6), required=True),
        *provider_loops, max_repeat=10,
    )  # fmt: skip


_PROVIDER_REFS = ("0B", "1G", "G2", "LU")


def _line_adjudication() -> LoopRule:
    return loop("2430", "Line adjudication information", seg("SVD"),
                seg("CAS", "CO", "CR", "OA", "PI", "PR", max_use=5),
                seg("DTP", "573", **_REQ), seg("AMT", "EAF"), max_repeat=15)  # fmt: skip


def _drug() -> LoopRule:
    return loop("2410", "Drug identification", seg("LIN"), seg("CTP", **_REQ),
                seg("REF", "VY", "XZ"))  # fmt: skip


def _professional_claim(required: bool) -> LoopRule:
    dates = [
        "431",
        "454",
        "304",
        "453",
        "439",
        "484",
        "455",
        "471",
        "314",
        "360",
        "361",
        "297",
        "296",
        "435",
        "096",
        "090",
        "091",
        "444",
        "050",
    ]
    refs = ["4N", "F5", "EW", "9F", "G1", "F8", "X4", "9A", "9C", "LX", "D9", "EA", "P4", "1J"]
    line_dates = ["471", "607", "463", "461", "304", "738", "739", "011", "455", "454"]
    line_refs = ["9B", "9D", "G1", "6R", "EW", "X4", "F4", "BT", "9F"]
    line = loop(
        "2400", "Service line number", seg("LX"), seg("SV1", **_REQ), seg("SV5"),
        seg("PWK", max_use=11), seg("CR1", "LB"), seg("CR3", "I", "R", "S"),
        seg("CRC", "07", "70", "09", max_use=5),
        seg("DTP", "472", **_REQ), seg("DTP", *line_dates, max_use=11),
        seg("QTY", "PT", "FL", max_use=2), seg("MEA", "OG", "TR", max_use=5), seg("CN1"),
        seg("REF", *line_refs, max_use=20), seg("AMT", "T", "F4", max_use=2),
        seg("K3", max_use=10), seg("NTE", "ADD", "DCP", "TPO", max_use=2), seg("PS1"),
        seg("HCP"), _drug(),
        _nm1_loop("2420A", "Rendering provider name", "82", refs=_PROVIDER_REFS, ref_max=20,
                  extra=(seg("PRV", "PE"),)),
        _nm1_loop("2420B", "Purchased service provider", "QB", refs=_PROVIDER_REFS, ref_max=20),
        _nm1_loop("2420C", "Service facility location", "77", address="R",
                  refs=_PROVIDER_REFS, ref_max=3),
        _nm1_loop("2420D", "Supervising provider name", "DQ", refs=_PROVIDER_REFS, ref_max=20),
        _nm1_loop("2420E", "Ordering provider name", "DK", address="S", refs=_PROVIDER_REFS,
                  ref_max=20, tail=(seg("PER", "IC"),)),
        _nm1_loop("2420F", "Referring provider name", "DN", "P3", refs=_PROVIDER_REFS,
                  ref_max=20, max_repeat=2),
        _nm1_loop("2420G", "Ambulance pick-up location", "PW", address="R"),
        _nm1_loop("2420H", "Ambulance drop-off location", "45", address="R"),
        _line_adjudication(),
        loop("2440", "Form identification code", seg("LQ", "AS", "UT"),
             seg("FRM", required=True, max_use=99), max_repeat=UNBOUNDED),
        required=True, max_repeat=50,
    )  # fmt: skip
    other_providers = tuple(
        _nm1_loop(f"2330{suffix}", name, *codes, refs=_PROVIDER_REFS, ref_max=3,
                  ref_required=True, max_repeat=2 if suffix == "C" else 1)
        for suffix, name, codes in (
            ("C", "Other payer referring provider", ("DN", "P3")),
            ("D", "Other payer rendering provider", ("82",)),
            ("E", "Other payer service facility", ("77",)),
            ("F", "Other payer supervising provider", ("DQ",)),
            ("G", "Other payer billing provider", ("85",)),
        )
    )  # fmt: skip
    return loop(
        "2300", "Claim information", seg("CLM"), seg("DTP", *dates, max_use=17),
        seg("PWK", max_use=10), seg("CN1"), seg("AMT", "F5"), seg("REF", *refs, max_use=14),
        seg("K3", max_use=10), seg("NTE", "ADD", "CER", "DCP", "DGN", "TPO"), seg("CR1", "LB"),
        seg("CR2"), seg("CRC", "07", "E1", "E2", "E3", "75", "ZZ", max_use=8),
        seg("HI", **_REQ, max_use=4), seg("HCP"),
        _nm1_loop("2310A", "Referring provider name", "DN", "P3", refs=_PROVIDER_REFS,
                  ref_max=3, max_repeat=2),
        _nm1_loop("2310B", "Rendering provider name", "82", refs=_PROVIDER_REFS,
                  extra=(seg("PRV", "PE"),)),
        _nm1_loop("2310C", "Service facility location", "77", address="R",
                  refs=_PROVIDER_REFS, ref_max=3, extra=()),
        _nm1_loop("2310D", "Supervising provider name", "DQ", refs=_PROVIDER_REFS),
        _nm1_loop("2310E", "Ambulance pick-up location", "PW", address="R"),
        _nm1_loop("2310F", "Ambulance drop-off location", "45", address="R"),
        _other_subscriber(other_providers, mia=False), line,
        required=required, max_repeat=100,
    )  # fmt: skip


def _institutional_claim(required: bool) -> LoopRule:
    refs = ["4N", "9F", "G1", "F8", "9A", "9C", "LX", "D9", "LU", "EA", "P4", "G4"]
    line = loop(
        "2400", "Service line number", seg("LX"), seg("SV2", **_REQ), seg("PWK", max_use=10),
        seg("DTP", "472"), seg("REF", "6R", "9B", "9D", max_use=3),
        seg("AMT", "GT", "N8", max_use=2), seg("NTE", "TPO"), seg("HCP"), _drug(),
        _nm1_loop("2420A", "Operating physician name", "72", refs=_PROVIDER_REFS, ref_max=20),
        _nm1_loop("2420B", "Other operating physician name", "ZZ", refs=_PROVIDER_REFS,
                  ref_max=20),
        _nm1_loop("2420C", "Rendering provider name", "82", refs=_PROVIDER_REFS, ref_max=20),
        _nm1_loop("2420D", "Referring provider name", "DN", refs=_PROVIDER_REFS, ref_max=20),
        _line_adjudication(), required=True, max_repeat=999,
    )  # fmt: skip
    other_providers = tuple(
        _nm1_loop(f"2330{suffix}", name, code, refs=_PROVIDER_REFS, ref_max=4, ref_required=True)
        for suffix, name, code in (
            ("C", "Other payer attending provider", "71"),
            ("D", "Other payer operating physician", "72"),
            ("E", "Other payer other operating physician", "ZZ"),
            ("F", "Other payer service facility", "77"),
            ("G", "Other payer rendering provider", "82"),
            ("H", "Other payer referring provider", "DN"),
            ("I", "Other payer billing provider", "85"),
        )
    )  # fmt: skip
    return loop(
        "2300", "Claim information", seg("CLM"),
        seg("DTP", "434", **_REQ), seg("DTP", "096", "435", "050", max_use=3),
        seg("CL1", **_REQ), seg("PWK", max_use=10), seg("CN1"), seg("AMT", "F3"),
        seg("REF", *refs, max_use=16), seg("K3", max_use=10), seg("NTE", max_use=11),
        seg("CRC", "ZZ"), seg("HI", **_REQ, max_use=24), seg("HCP"),
        _nm1_loop("2310A", "Attending provider name", "71", refs=_PROVIDER_REFS,
                  extra=(seg("PRV", "AT"),)),
        _nm1_loop("2310B", "Operating physician name", "72", refs=_PROVIDER_REFS),
        _nm1_loop("2310C", "Other operating physician name", "ZZ", refs=_PROVIDER_REFS),
        _nm1_loop("2310D", "Rendering provider name", "82", refs=_PROVIDER_REFS),
        _nm1_loop("2310E", "Service facility location", "77", address="R",
                  refs=_PROVIDER_REFS, ref_max=3),
        _nm1_loop("2310F", "Referring provider name", "DN", refs=_PROVIDER_REFS, ref_max=3),
        _other_subscriber(other_providers, mia=True), line,
        required=required, max_repeat=100,
    )  # fmt: skip


def _claim_guide(professional: bool) -> LoopRule:
    claim = _professional_claim if professional else _institutional_claim
    billing_refs = (
        (seg("REF", "EI", "SY", **_REQ), seg("REF", "0B", "1G", max_use=2))
        if professional
        else (seg("REF", "EI", **_REQ),)
    )
    submitter, receiver, billing, pay_to, pay_to_plan, subscriber, payer = _header(
        billing_refs, subscriber_per=professional
    )
    patient = loop(
        "2000C", "Patient hierarchical level", seg("HL", "23", element=3), seg("PAT", **_REQ),
        loop("2010CA", "Patient name", seg("NM1", "QC"), seg("N3", **_REQ), seg("N4", **_REQ),
             seg("DMG", "D8", **_REQ), seg("REF", "Y4", "1W", "SY", max_use=2),
             *((seg("PER", "IC"),) if professional else ()), required=True),
        claim(required=True), max_repeat=UNBOUNDED,
    )  # fmt: skip
    subscriber_level = loop(
        "2000B", "Subscriber hierarchical level", seg("HL", "22", element=3),
        seg("SBR", **_REQ), *((seg("PAT"),) if professional else ()), subscriber, payer,
        claim(required=False), patient, required=True, max_repeat=UNBOUNDED,
    )  # fmt: skip
    billing_level = loop(
        "2000A", "Billing provider hierarchical level", seg("HL", "20", element=3),
        seg("PRV", "BI"), seg("CUR", "85"), billing, pay_to, pay_to_plan, subscriber_level,
        required=True, max_repeat=UNBOUNDED,
    )  # fmt: skip
    kind = "professional" if professional else "institutional"
    return loop(
        "ST", f"837 {kind} claim", seg("ST", "837"), seg("BHT", "0019", **_REQ),
        submitter, receiver, billing_level, seg("SE", **_REQ), required=True,
    )  # fmt: skip


PROFESSIONAL_837 = _claim_guide(professional=True)
"""005010X222A1 (and its A2 errata, which keep the loop layout)."""
INSTITUTIONAL_837 = _claim_guide(professional=False)
"""005010X223A2 (and A3)."""
