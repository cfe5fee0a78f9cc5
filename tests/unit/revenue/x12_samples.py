"""Small 835 files written for these tests (no real patient data), built segment by segment."""

from __future__ import annotations

ISA = (
    "ISA*00*          *00*          *ZZ*ACMEPAYER      *ZZ*RHSHOSP        "
    "*260310*1200*^*00501*000000101*0*P*:"
)


def interchange(body: list[str]) -> str:
    """An interchange with one group and one 835 whose SE counts its segments."""
    transaction = ["ST*835*0001", *body]
    transaction.append(f"SE*{len(transaction) + 1}*0001")
    segments = [
        ISA,
        "GS*HP*ACMEPAYER*RHSHOSP*20260310*1200*101*X*005010X221A1",
        *transaction,
        "GE*1*101",
        "IEA*1*000000101",
    ]
    return "~\n".join(segments) + "~\n"


HEADER = [
    "BPR*I*{payment}*C*ACH*CCP*01*999999999*DA*123456*1512345678**01*999988880*DA*98765*20260310",
    "TRN*1*{trace}*1512345678",
    "DTM*405*20260309",
    "N1*PR*ACME HEALTH PLAN",
    "N1*PE*REGIONAL HEART HOSPITAL*XX*1234567893",
    "LX*1",
]

CLAIMS = [
    # A: paid with contractual reductions and patient share on two lines
    "CLP*CLM-A*1*1500.00*900.00*150.00*12*PCN-A*11*1",
    "NM1*QC*1*TESTPATIENT*ALPHA****MI*W0001",
    "SVC*HC:93458:26*1000.00*600.00**1",
    "DTM*472*20260301",
    "CAS*CO*45*300.00",
    "CAS*PR*1*100.00",
    "SVC*HC:99213*500.00*300.00**1",
    "CAS*CO*45*150.00",
    "CAS*PR*2*30.00**3*20.00",
    # B: denied at claim level for a missing authorization
    "CLP*CLM-B*4*2400.00*0*0*12*PCN-B*11*1",
    "CAS*CO*197*2400.00",
    # C: one line paid, one denied with a generic reason and a coding remark
    "CLP*CLM-C*1*800.00*500.00**12*PCN-C*11*1",
    "SVC*HC:C1874*500.00*500.00**1",
    "SVC*HC:J1100*300.00*0**10",
    "CAS*CO*16*300.00",
    "LQ*HE*M51",
    # D: an earlier payment reversed, then re-adjudicated under the same claim id
    "CLP*CLM-D*22*-700.00*-400.00**12*PCN-D*11*8",
    "CAS*CO*45*-300.00",
    "CLP*CLM-D*1*700.00*450.00**12*PCN-D2*11*1",
    "CAS*CO*45*250.00",
    # E: secondary payment after the primary, with a zero contractual line that posts nothing
    "CLP*CLM-E*2*1200.00*60.00**12*PCN-E*11*1",
    "CAS*OA*23*1000.00",
    "CAS*PR*2*140.00",
    "CAS*CO*45*0",
]

PLB = "PLB*1234567893*20261231*L6:INT123*-12.35*WO:RECOUP9*100.00"

# 900 + 0 + 500 - 400 + 450 + 60 = 1510 paid on claims; PLB -12.35 + 100.00 = 87.65 withheld.
PAYMENT = "1422.35"


def sample_835(payment: str = PAYMENT, trace: str = "EFT20260310A", plb: bool = True) -> str:
    """The test 835: five claims, a reversal, a denial, a PLB interest and recoupment."""
    header = [s.format(payment=payment, trace=trace) for s in HEADER]
    return interchange([*header, *CLAIMS, *([PLB] if plb else [])])
