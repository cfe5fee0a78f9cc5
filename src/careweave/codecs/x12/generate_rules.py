"""Generate careweave's X12 5010 implementation-guide rules from pyx12's machine-readable maps.

pyx12 (a dev dependency and careweave's test oracle) ships XML maps of the HIPAA 5010 guides: for
each transaction set the loop tree, each segment's usage, position and maximum use, and each
element's usage, data element number and code values; ``dataele.xml`` gives every data element's
type and length, ``codes.xml`` the external code lists the maps name. This script reads them and
writes the compact rules :mod:`careweave.codecs.x12.guide_rules` loads (wrapper loops flattened,
data element types and lengths resolved into each element). Regenerate the committed file with::

    .venv/bin/python -m careweave.codecs.x12.generate_rules \\
        .venv/lib/python3.11/site-packages/pyx12/map src/careweave/codecs/x12/x12_5010_rules.json.gz

(without a folder argument it reads the installed pyx12 package's ``map`` folder). The output is
deterministic (sorted keys, gzip without a timestamp), so a test regenerates it and compares.
"""

from __future__ import annotations

import gzip
import importlib.util
import io
import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

REGENERATE = (
    ".venv/bin/python -m careweave.codecs.x12.generate_rules "
    ".venv/lib/python3.11/site-packages/pyx12/map src/careweave/codecs/x12/x12_5010_rules.json.gz"
)
"""The command that rewrites the committed rules, recorded inside the file it writes."""

GUIDE_FILES: dict[str, tuple[str, str]] = {
    "837.5010.X222.A1.xml": ("837", "005010X222A1"),
    "837Q3.I.5010.X223.A1.xml": ("837", "005010X223A2"),
    "835.5010.X221.A1.xml": ("835", "005010X221A1"),
    "277.5010.X212.xml": ("277", "005010X212"),
    "277.5010.X214.xml": ("277", "005010X214"),
    "834.5010.X220.A1.xml": ("834", "005010X220A1"),
    "820.5010.X218.xml": ("820", "005010X218"),
    "999.5010X231.A1.xml": ("999", "005010X231A1"),
}
"""Map file -> (transaction set id, implementation reference it describes)."""

GUIDE_NOTES: dict[tuple[str, str, str], str] = {
    ("837.5010.X222.A1.xml", "2010AA", "N403"): "us_zip9",
    ("837Q3.I.5010.X223.A1.xml", "2010AA", "N403"): "us_zip9",
}
"""Rules the guides state in prose and the maps leave out: (map, loop, element) -> note.

``us_zip9``: the billing provider's address needs the full nine-digit ZIP code when it is in
the United States (N404 country code empty).
"""

UNBOUNDED = 0
"""Repeat / max use written ``>1`` in the maps."""

Json = dict[str, Any]


def default_map_folder() -> Path:
    """The installed pyx12 package's map folder (located without importing pyx12)."""
    spec = importlib.util.find_spec("pyx12")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("error: pyx12 is not installed; pass the map folder as an argument")
    return Path(next(iter(spec.submodule_search_locations))) / "map"


def _parse(path: Path) -> ET.Element:
    # The maps are files of the installed pyx12 package (or a folder the developer names), not
    # data received from outside: the standard library parser is fine for them.
    return ET.parse(path).getroot()  # noqa: S314


def _text(node: ET.Element, tag: str, default: str = "") -> str:
    found = node.find(tag)
    return (found.text or "").strip() if found is not None and found.text else default


def _count(text: str) -> int:
    return UNBOUNDED if text.startswith(">") else int(text)


def _data_elements(folder: Path) -> dict[str, tuple[str, int, int]]:
    root = _parse(folder / "dataele.xml")
    return {
        node.attrib["ele_num"]: (
            node.attrib["data_type"],
            int(node.attrib["min_len"]),
            int(node.attrib["max_len"]),
        )
        for node in root.iter("data_ele")
    }


def _external_codes(folder: Path) -> dict[str, list[str]]:
    root = _parse(folder / "codes.xml")
    out: dict[str, list[str]] = {}
    for codeset in root.iter("codeset"):
        codes = sorted({(c.text or "").strip() for c in codeset.iter("code")})
        out[_text(codeset, "id")] = codes
    return out


def _element(node: ET.Element, types: dict[str, tuple[str, int, int]], parent: str) -> Json:
    """One simple element; *parent* is the segment id, or a composite's ref (``CLM05``)."""
    number = _text(node, "data_ele")
    data_type, min_len, max_len = types[number]
    seq = int(_text(node, "seq"))
    rule: Json = {
        "ref": f"{parent}-{seq:02d}" if parent[-2:].isdigit() else f"{parent}{seq:02d}",
        "seq": seq,
        "name": _text(node, "name"),
        "de": number,
        "usage": _text(node, "usage"),
        "type": data_type,
        "min": min_len,
        "max": max_len,
    }
    valid = node.find("valid_codes")
    if valid is not None:
        if "external" in valid.attrib:
            rule["external"] = valid.attrib["external"]
        codes = sorted({(c.text or "").strip() for c in valid.iter("code")})
        if codes:
            rule["codes"] = codes
    regex = _text(node, "regex")
    if regex:
        rule["regex"] = regex
    return rule


def _composite(node: ET.Element, types: dict[str, tuple[str, int, int]], segment_id: str) -> Json:
    seq = int(_text(node, "seq"))
    ref = f"{segment_id}{seq:02d}"
    return {
        "ref": ref,
        "seq": seq,
        "name": _text(node, "name"),
        "usage": _text(node, "usage"),
        "components": [_element(child, types, ref) for child in node.findall("element")],
    }


def _key(segment_id: str, fields: list[Json]) -> list[int] | None:
    """Where the segment's qualifier sits, as pyx12 finds it: (element, component or 0)."""

    def codes(rule: Json | None, data_type: str | None = "ID") -> bool:
        if rule is None or "components" in rule or not rule.get("codes"):
            return False
        return data_type is None or rule["type"] == data_type

    padded: list[Json | None] = [*fields, None, None, None]
    c0, c1, c2 = padded[:3]
    if codes(c0) and c0 is not None and c0["usage"] == "R":
        return [1, 0]
    if segment_id == "ENT" and codes(c1):
        return [2, 0]
    if c0 is not None and "components" in c0 and c0["components"]:
        first = c0["components"][0]
        if codes(first) or (segment_id == "CTX" and codes(first, "AN")):
            return [1, 1]
    if segment_id == "HL" and codes(c2, None):
        return [3, 0]
    return None


def _segment(node: ET.Element, types: dict[str, tuple[str, int, int]]) -> Json:
    segment_id = node.attrib["xid"]
    fields: list[Json] = []
    for child in node:
        if child.tag == "element":
            fields.append(_element(child, types, segment_id))
        elif child.tag == "composite":
            fields.append(_composite(child, types, segment_id))
    rule: Json = {
        "kind": "segment",
        "id": node.attrib["xid"],
        "name": _text(node, "name"),
        "usage": _text(node, "usage"),
        "pos": int(_text(node, "pos", "0")),
        "max_use": _count(_text(node, "max_use", "1")),
        "syntax": [(s.text or "").strip() for s in node.findall("syntax")],
        "elements": fields,
    }
    key = _key(rule["id"], fields)
    if key is not None:
        rule["key"] = key
    return rule


def _items(node: ET.Element, types: dict[str, tuple[str, int, int]]) -> list[Json]:
    items: list[Json] = []
    for child in node:
        if child.tag == "segment":
            items.append(_segment(child, types))
        elif child.tag == "loop" and child.attrib.get("type") == "wrapper":
            items.extend(_items(child, types))  # wrappers group loops for print only
        elif child.tag == "loop":
            items.append(_loop(child, types))
    return items


def _add_notes(loop: Json, source: str) -> None:
    """Attach :data:`GUIDE_NOTES` to the elements they name."""
    for item in loop["items"]:
        if item["kind"] == "loop":
            _add_notes(item, source)
            continue
        for element in item["elements"]:
            note = GUIDE_NOTES.get((source, loop["id"], element["ref"]))
            if note is not None:
                element["note"] = note


def _loop(node: ET.Element, types: dict[str, tuple[str, int, int]]) -> Json:
    return {
        "kind": "loop",
        "id": node.attrib["xid"],
        "name": _text(node, "name"),
        "usage": _text(node, "usage"),
        "pos": int(_text(node, "pos", "0")),
        "repeat": _count(_text(node, "repeat", "1")),
        "items": _items(node, types),
    }


def _hl_codes(loop: Json) -> list[str]:
    first = loop["items"][0] if loop["items"] else None
    if first is None or first["kind"] != "segment" or first["id"] != "HL":
        return []
    fields = first["elements"]
    return list(fields[2].get("codes", [])) if len(fields) > 2 else []


def hl_parents(tree: Json) -> dict[str, list[str]]:
    """Each HL level code (HL03) -> the level codes its parent (HL02) may have.

    A level nested in another HL loop has that loop's levels as parents. Levels the map lists
    side by side (277 X212 keeps them flat) take the deepest level listed before them as their
    parent. A level with parents ``[]`` is a root (its HL02 stays empty).
    """
    parents: dict[str, set[str]] = {}

    def visit(loop: Json, enclosing: list[str], previous: list[str]) -> list[str]:
        """Record the levels under *loop*; return the last level codes met (pre-order)."""
        for item in loop["items"]:
            if item["kind"] != "loop":
                continue
            codes = _hl_codes(item)
            if codes:
                allowed = enclosing or previous
                for code in codes:
                    parents.setdefault(code, set()).update(allowed)
                previous = visit(item, codes, codes)
            else:
                previous = visit(item, enclosing, previous)
        return previous

    visit(tree, [], [])
    return {code: sorted(allowed) for code, allowed in sorted(parents.items())}


def _guide(path: Path, types: dict[str, tuple[str, int, int]]) -> Json:
    root = _parse(path)
    st_loop = next(loop for loop in root.iter("loop") if loop.attrib.get("xid") == "ST_LOOP")
    tree = _loop(st_loop, types)
    if not any(item["kind"] == "segment" and item["id"] == "SE" for item in tree["items"]):
        # The X212 277 map nests its SE outside the ST loop; the transaction set ends with it.
        se = next(seg for seg in root.iter("segment") if seg.attrib.get("xid") == "SE")
        tree["items"].append(_segment(se, types))
    _add_notes(tree, path.name)
    return {"name": _text(root, "name"), "tree": tree, "hl_parents": hl_parents(tree)}


def build_rules(folder: Path) -> Json:
    """The rules of every guide in :data:`GUIDE_FILES`, read from *folder*."""
    types = _data_elements(folder)
    guides: Json = {}
    for file_name, (set_id, implementation) in GUIDE_FILES.items():
        guide = _guide(folder / file_name, types)
        guide["transaction_set"] = set_id
        guide["implementation"] = implementation
        guide["source"] = file_name
        guides[f"{set_id} {implementation}"] = guide
    return {
        "_regenerate": REGENERATE,
        "guides": guides,
        "external_codes": _external_codes(folder),
    }


def encode_rules(rules: Json) -> bytes:
    """The rules as deterministic gzipped JSON (sorted keys, no timestamp in the gzip header)."""
    raw = json.dumps(rules, sort_keys=True, separators=(",", ":")).encode()
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as out:
        out.write(raw)
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    """``python -m careweave.codecs.x12.generate_rules [MAP_FOLDER [OUTPUT]]``."""
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0]) if args else default_map_folder()
    output = Path(args[1]) if len(args) > 1 else Path(__file__).with_name("x12_5010_rules.json.gz")
    if not (folder / "dataele.xml").is_file():
        print(f"error: {folder} is not a pyx12 map folder (no dataele.xml)", file=sys.stderr)
        return 2
    output.write_bytes(encode_rules(build_rules(folder)))
    print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
