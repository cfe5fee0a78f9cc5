"""The parser: paths, escapes, delimiters, separators, character sets, batches, errors."""

from __future__ import annotations

import pytest

from careweave.codecs.hl7v2 import (
    Delimiters,
    Hl7Path,
    escape,
    parse_batch,
    parse_message,
    parse_path,
    unescape,
)
from careweave.exceptions import Hl7Error, Hl7ParseError

ADT = (
    "MSH|^~\\&|ADT1|GOOD HEALTH|LAB|GOOD HEALTH|202401011230||ADT^A01^ADT_A01|MSG00001|P|2.5.1\r"
    "EVN|A01|202401011230\r"
    "PID|1||12345^^^MRN^MR~987-65-4320^^^SSA^SS||DOE^JOHN^Q^JR||19800101|M|||"
    "1 MAIN ST^APT 2&FLOOR 1^ANYTOWN^CA^90000\r"
    "PV1|1|I|ICU^101^A" + "|" * 16 + "V100\r"
    "OBX|1|TX|NOTE||First \\T\\ second \\F\\ third\r"
    "OBX|2|NM|8867-4^Heart rate^LN||72|/min\r"
    "ZPD|custom^value|\\X41\\\\.br\\B\r"
)


def test_paths_read_fields_components_repetitions_and_subcomponents() -> None:
    msg = parse_message(ADT)
    assert msg.get("MSH-9") == "ADT^A01^ADT_A01"
    assert msg.get("MSH-9.2") == "A01"
    assert msg.get("PID-5.1") == "DOE"
    assert msg.get("PID-5.2") == "JOHN"
    assert msg.get("PID-3.1") == "12345"
    assert msg.get("PID-3[2].1") == "987-65-4320"
    assert msg.get("PID-3[2].4") == "SSA"
    assert msg.get("PID-11.2.2") == "FLOOR 1"
    assert msg.get("PID-11.2") == "APT 2&FLOOR 1"
    assert msg.get("PV1-19") == "V100"
    assert msg.get("OBX[2]-5") == "72"
    assert msg.get("OBX[2]-3.2") == "Heart rate"
    assert msg.get_all("PID-3.4") == ["MRN", "SSA"]
    assert msg.get_all("PID-3") == ["12345^^^MRN^MR", "987-65-4320^^^SSA^SS"]


def test_absent_values_give_the_default() -> None:
    msg = parse_message(ADT)
    assert msg.get("PID-99") == ""
    assert msg.get("PID-5.9", "n/a") == "n/a"
    assert msg.get("PID-3[3].1", "none") == "none"
    assert msg.get("OBX[3]-5", "none") == "none"
    assert msg.get("FT1-7", "none") == "none"
    assert msg.get("PID-4", "empty") == "empty"
    assert msg.get_all("FT1-7") == []
    assert msg.segment("FT1") is None
    assert msg.segments("FT1") == []


def test_msh_1_and_msh_2_are_the_delimiters() -> None:
    msg = parse_message(ADT)
    assert msg.get("MSH-1") == "|"
    assert msg.get("MSH-2") == "^~\\&"
    msh = msg.segment("MSH")
    assert msh is not None
    assert msh.fields()[:4] == ["MSH", "|", "^~\\&", "ADT1"]
    assert msh.get("10") == "MSG00001"


def test_segment_level_access_and_order() -> None:
    msg = parse_message(ADT)
    assert [seg.id for seg in msg] == ["MSH", "EVN", "PID", "PV1", "OBX", "OBX", "ZPD"]
    obx = msg.segments("OBX")
    assert [seg.get("1") for seg in obx] == ["1", "2"]
    pid = msg.segment("PID")
    assert pid is not None
    assert pid.get("3[2].1") == "987-65-4320"
    assert pid.get_raw("3") == "12345^^^MRN^MR"
    assert pid.field(3) == "12345^^^MRN^MR~987-65-4320^^^SSA^SS"
    assert pid.fields()[0] == "PID"
    assert len(msg) == 7


def test_escape_sequences_decode_and_formatting_is_kept() -> None:
    msg = parse_message(ADT)
    assert msg.get("OBX-5") == "First & second | third"
    assert msg.get_raw("OBX-5") == "First \\T\\ second \\F\\ third"
    # \X41\ is hex for "A"; \.br\ is a display instruction and stays as written.
    assert msg.get("ZPD-2") == "A\\.br\\B"
    assert msg.get("ZPD-1.2") == "value"


def test_unescape_and_escape_are_inverse_for_delimiters() -> None:
    delims = Delimiters()
    text = "a|b^c~d&e\\f"
    encoded = escape(text, delims)
    assert encoded == "a\\F\\b\\S\\c\\R\\d\\T\\e\\E\\f"
    assert unescape(encoded, delims) == text
    assert escape("line1\r\nline2", delims) == "line1\\.br\\line2"
    assert unescape("\\H\\bold\\N\\", delims) == "\\H\\bold\\N\\"
    assert unescape("open \\F", delims) == "open \\F"
    assert unescape("\\XC3A9\\", delims) == "é"
    assert unescape("\\XE9\\", delims, "latin-1") == "é"
    assert unescape("\\XZZ\\", delims) == "\\XZZ\\"


def test_non_standard_delimiters_are_honoured() -> None:
    text = (
        "MSH*%@#!*APP*FAC*RCV*RFAC*2024**ADT%A08*X1*P*2.4\rPID*1**A1%%%MRN@B2**SMITH%ANN!JO*x#F#y"
    )
    msg = parse_message(text)
    assert msg.delimiters == Delimiters(
        field="*", component="%", repetition="@", escape="#", subcomponent="!"
    )
    assert msg.get("MSH-9.2") == "A08"
    assert msg.get("PID-3[2]") == "B2"
    assert msg.get("PID-5.2.2") == "JO"
    assert msg.get("PID-6") == "x*y"
    assert msg.encode() == text.encode()


def test_three_encoding_characters_mean_no_subcomponents() -> None:
    msg = parse_message("MSH|^~\\|A|B|C|D|2024||ADT^A01|1|P|2.7\rPID|1||X&Y^Z")
    assert msg.delimiters.subcomponent == ""
    assert msg.get("PID-3.1") == "X&Y"
    assert msg.get("PID-3.1.1") == "X&Y"


def test_truncation_character_is_not_a_delimiter() -> None:
    msg = parse_message("MSH|^~\\&#|A|B|C|D|2024||ADT^A01|1|P|2.7\rPID|1||#12")
    assert msg.delimiters.truncation == "#"
    assert msg.get("PID-3") == "#12"


@pytest.mark.parametrize("separator", ["\r", "\n", "\r\n"])
def test_segment_separators_and_round_trip(separator: str) -> None:
    text = ADT.replace("\r", separator)
    msg = parse_message(text.encode())
    assert msg.get("PID-5.1") == "DOE"
    assert msg.get("OBX[2]-5") == "72"
    assert msg.encode() == text.encode()


def test_mixed_separators_blank_lines_bom_and_trailing_whitespace_round_trip() -> None:
    raw = b"\xef\xbb\xbf" + (
        b"MSH|^~\\&|A|B|C|D|2024||ADT^A01|1|P|2.3\r\nEVN|A01\n\nPID|1||42\rPV1|1|O\n\n  "
    )
    msg = parse_message(raw)
    assert [seg.id for seg in msg] == ["MSH", "EVN", "PID", "PV1"]
    assert msg.get("PID-3") == "42"
    assert msg.get("PV1-2") == "O"
    assert msg.encode() == raw


def test_modified_message_re_serializes_only_what_changed() -> None:
    msg = parse_message(ADT.replace("\r", "\n"))
    msg.set("PID-5.1", "O'NEIL^SMITH")
    msg.set("PID-3[2].4", "SSN")
    msg.set("ZPD-4.2.3", "deep")
    out = msg.encode().decode()
    assert "O'NEIL\\S\\SMITH^JOHN^Q^JR" in out
    assert "987-65-4320^^^SSN^SS" in out
    assert "ZPD|custom^value|\\X41\\\\.br\\B||^&&deep\n" in out
    again = parse_message(out)
    assert again.get("PID-5.1") == "O'NEIL^SMITH"
    assert again.get("ZPD-4.2.3") == "deep"
    assert out.count("\n") == ADT.count("\r")


def test_set_appends_missing_segments() -> None:
    msg = parse_message("MSH|^~\\&|A|B|C|D|2024||ADT^A01|1|P|2.5")
    msg.set("NTE[2]-3", "second note")
    assert [seg.id for seg in msg] == ["MSH", "NTE", "NTE"]
    assert msg.encode() == b"MSH|^~\\&|A|B|C|D|2024||ADT^A01|1|P|2.5\rNTE\rNTE|||second note\r"
    with pytest.raises(Hl7Error, match="delimiters"):
        msg.set("MSH-2", "x")


def test_charsets_from_msh_18() -> None:
    latin = "MSH|^~\\&|A|B|C|D|2024||ADT^A01|1|P|2.5|||||8859/1\rPID|1||1||MÜLLER^JÖRG".encode(
        "latin-1"
    )
    msg = parse_message(latin)
    assert msg.get("PID-5.1") == "MÜLLER"
    assert msg.codec == "latin-1"
    assert msg.encode() == latin
    utf8 = "MSH|^~\\&|A|B|C|D|2024||ADT^A01|1|P|2.5|||||UNICODE UTF-8\rPID|1||1||ŁUKASZ".encode()
    assert parse_message(utf8).get("PID-5") == "ŁUKASZ"
    # Declared ASCII but sent in Latin-1: read leniently, and the bytes still round-trip.
    liar = "MSH|^~\\&|A|B|C|D|2024||ADT^A01|1|P|2.5|||||ASCII\rPID|1||1||CAFÉ".encode("latin-1")
    lenient = parse_message(liar)
    assert lenient.get("PID-5") == "CAFÉ"
    assert lenient.encode() == liar


def test_explicit_charset_is_strict() -> None:
    raw = "MSH|^~\\&|A|B|C|D|2024||ADT^A01|1|P|2.5\rPID|1||1||CAFÉ".encode("latin-1")
    assert parse_message(raw, charset="8859/1").get("PID-5") == "CAFÉ"
    with pytest.raises(Hl7ParseError, match="not valid UTF-8: byte 0xc9 at offset"):
        parse_message(raw, charset="UTF-8")
    with pytest.raises(Hl7Error, match="unknown character set"):
        parse_message(raw, charset="KLINGON")


@pytest.mark.parametrize("version", ["2.3", "2.3.1", "2.4", "2.5", "2.5.1", "2.6", "2.7", "2.8"])
def test_versions(version: str) -> None:
    msg = parse_message(f"MSH|^~\\&|A|B|C|D|2024||ORU^R01|1|P|{version}\rOBX|1|ST|X||ok")
    assert msg.header.version_id == version
    assert msg.get("OBX-5") == "ok"


def test_z_segments_are_ordinary_segments() -> None:
    msg = parse_message("MSH|^~\\&|A|B|C|D|2024||ZXX^Z01|1|P|2.5\rZPD|one^two~three\rZ01|x")
    assert msg.get("ZPD-1.2") == "two"
    assert msg.get("ZPD-1[2]") == "three"
    assert msg.get("Z01-1") == "x"


def test_batch_is_split_into_messages() -> None:
    batch = (
        "FHS|^~\\&|SENDER|FAC\rBHS|^~\\&|SENDER|FAC\r"
        "MSH|^~\\&|A|B|C|D|2024||ADT^A01|1|P|2.5\rPID|1||111\r"
        "MSH|^~\\&|A|B|C|D|2024||ADT^A08|2|P|2.5\rPID|1||222\rNTE|1||n\r"
        "BTS|2\rFTS|1\r"
    )
    messages = parse_batch(batch)
    assert [m.header.control_id for m in messages] == ["1", "2"]
    assert [m.get("PID-3") for m in messages] == ["111", "222"]
    assert (
        messages[1].encode() == b"MSH|^~\\&|A|B|C|D|2024||ADT^A08|2|P|2.5\rPID|1||222\rNTE|1||n\r"
    )
    # Several messages without an envelope too.
    plain = "MSH|^~\\&|A|B|C|D|2024||ADT^A01|1|P|2.5\nMSH|^~\\&|A|B|C|D|2024||ADT^A01|2|P|2.5\n"
    assert len(parse_batch(plain)) == 2
    assert parse_batch("") == []


def test_batch_errors() -> None:
    with pytest.raises(Hl7ParseError, match="segment 2 'PID': segment outside a message"):
        parse_batch("BHS|^~\\&\rPID|1")
    with pytest.raises(Hl7ParseError, match="a batch, use parse_batch"):
        parse_message("FHS|^~\\&\rMSH|^~\\&|A")


@pytest.mark.parametrize(
    ("text", "message", "location"),
    [
        ("", "message is empty", "MSH"),
        ("PID|1", "segment 1 'PID': message does not start with MSH", "MSH"),
        ("MSH", "MSH-1 field separator is missing", "MSH-1"),
        ("MSHA^~\\&|", "invalid field separator 'A' in MSH-1", "MSH-1"),
        ("MSH||A", "MSH-2 encoding characters are missing", "MSH-2"),
        ("MSH|^~\\&&|A", "repeats a delimiter", "MSH-2"),
        ("MSH|^~a&|A", "contains invalid delimiter 'a'", "MSH-2"),
        (
            "MSH|^~\\&|A\rEVN|1\rPID|1\rP@D|2",
            "segment 4 'P@D': invalid segment id",
            "segment 4",
        ),
        ("MSH|^~\\&|A\rpid|1", "segment 2 'pid': invalid segment id", "segment 2"),
        ("MSH|^~\\&|A\rPIDX|1", "segment 2 'PID': invalid segment id", "segment 2"),
        ("MSH|^~\\&|A\rPID|1\rPID^2", "segment 3 'PID': invalid segment id", "segment 3"),
        ("MSH|^~\\&|A\rPI", "segment 2 'PI': invalid segment id", "segment 2"),
    ],
)
def test_parse_errors_name_the_problem_and_place(text: str, message: str, location: str) -> None:
    with pytest.raises(Hl7ParseError, match=message.replace("\\", "\\\\").replace("^", "\\^")) as e:
        parse_message(text)
    assert e.value.location == location
    assert e.value.hl7_code in {"100", "101", "102"}


def test_path_syntax() -> None:
    assert parse_path("OBX[2]-5[3].1.2") == Hl7Path("OBX", 2, 5, 3, 1, 2)
    assert parse_path("PID") == Hl7Path("PID")
    assert str(parse_path("PID-3[2].1")) == "PID-3[2].1"
    for bad in ("pid-5", "PID-5.", "PID-0", "PID[0]-1", "PID-5.1.1.1", "5.1", ""):
        with pytest.raises(Hl7Error, match="invalid HL7 path"):
            parse_path(bad)
    msg = parse_message(ADT)
    with pytest.raises(Hl7Error, match="invalid segment path"):
        msg.segments("PID")[0].get("PID-5")


def test_message_without_msh_9_and_10_still_parses() -> None:
    msg = parse_message("MSH|^~\\&|A|B|C|D")
    assert msg.header.message_type == ""
    assert msg.header.control_id == ""
    assert msg.header.sending_application == "A"
    assert msg.get("MSH-10", "none") == "none"


def test_second_msh_inside_a_message_is_a_segment() -> None:
    msg = parse_message("MSH|^~\\&|A|B|C|D|2024||ADT^A01|1|P|2.3\rMSH|X|||||0\rPV1|1|I")
    assert [seg.id for seg in msg] == ["MSH", "MSH", "PV1"]
    assert msg.get("MSH[2]-2") == "X"
    assert msg.get("MSH[2]-7") == "0"
