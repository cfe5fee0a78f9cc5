"""Site rules for the ADT feed: careweave user steps (see docs/user-steps.md).

Each function takes one ``careweave.StepContext``; ``step.message`` is the decoded HL7 message,
read and written by path.
"""

from careweave import StepContext

TEST_MRN_PREFIX = "TEST"
TEST_NAME = "ZZTEST"


def drop_test_patients(step: StepContext) -> bool:
    """Keep the message unless it is about a test patient: an MRN starting with TEST, or a
    family or given name ZZTEST."""
    mrn = step.message.get("PID-3.1").upper()
    names = {step.message.get("PID-5.1").upper(), step.message.get("PID-5.2").upper()}
    return not (mrn.startswith(TEST_MRN_PREFIX) or TEST_NAME in names)


def normalize_mrn(step: StepContext) -> None:
    """The EHR sends MRNs as ``mr-00123`` or ``123``: pass them on as seven digits (``0000123``)."""
    mrn = step.message.get("PID-3.1")
    digits = "".join(ch for ch in mrn if ch.isdigit())
    if not digits:
        raise ValueError("PID-3.1 holds no digits")  # the message is held in error, named
    step.message.set("PID-3.1", digits.zfill(7))
