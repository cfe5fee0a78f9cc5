"""Generate careweave's FHIR R4 validation rules from the specification's own definitions.

Reads the FHIR R4 4.0.1 core package (``hl7.fhir.r4.core``: StructureDefinitions, ValueSets and
CodeSystems, one JSON file each) and writes the compact rules :mod:`careweave.codecs.fhir.rules`
loads: every resource and data type's element tree (cardinality, types, choice elements, required
bindings), each primitive's regex, and the codes of every required value set that can be enumerated
from the core code systems. Regenerate the committed file with::

    .venv/bin/python -m careweave.codecs.fhir.generate_rules \\
        ../shared/corpus/fhir-r4/r4-core-definitions src/careweave/codecs/fhir/r4_rules.json.gz

The output is deterministic (sorted keys, gzip without a timestamp), so a test can regenerate it and
compare it with the committed file.
"""

from __future__ import annotations

import gzip
import io
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

REGENERATE = (
    ".venv/bin/python -m careweave.codecs.fhir.generate_rules "
    "../shared/corpus/fhir-r4/r4-core-definitions src/careweave/codecs/fhir/r4_rules.json.gz"
)
"""The command that rewrites the committed rules, recorded inside the file it writes."""

_FHIR_TYPE = "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type"
_REGEX = "http://hl7.org/fhir/StructureDefinition/regex"
_SYSTEM_PREFIX = "http://hl7.org/fhirpath/System."

Json = dict[str, Any]


def _load_all(folder: Path, prefix: str) -> list[Json]:
    out: list[Json] = []
    for path in sorted(folder.glob(f"{prefix}-*.json")):
        out.append(json.loads(path.read_bytes()))
    return out


def _is_base_definition(sd: Json) -> bool:
    """Resources and data types as the specification defines them (profiles and logical models out)."""
    return sd.get("derivation") != "constraint" and sd.get("kind") != "logical"


def _type_code(sd_kind: str, path: str, type_entry: Json) -> str:
    """The FHIR type of one element type entry, resolving FHIRPath system types to FHIR types."""
    code = str(type_entry["code"])
    if not code.startswith(_SYSTEM_PREFIX):
        return code
    # Resource.id is an `id` (the specification's rule), although the snapshot types it as a string.
    if sd_kind == "resource" and path.count(".") == 1 and path.endswith(".id"):
        return "id"
    for ext in type_entry.get("extension", []):
        if ext.get("url") == _FHIR_TYPE:
            return str(ext.get("valueUrl") or ext.get("valueUri"))
    return "string"


def _required_value_set(element: Json) -> str | None:
    binding = element.get("binding") or {}
    if binding.get("strength") != "required" or not binding.get("valueSet"):
        return None
    return str(binding["valueSet"]).split("|", 1)[0]


def _element_rule(sd_kind: str, element: Json, node_paths: set[str]) -> tuple[str, Json]:
    path = str(element["path"])
    name = path.rsplit(".", 1)[1]
    rule: Json = {"min": int(element.get("min", 0))}
    maximum = str(element.get("max", "*"))
    rule["max"] = -1 if maximum == "*" else int(maximum)
    if "contentReference" in element:
        # `#Questionnaire.item`: the same structure as the referenced backbone element.
        rule["node"] = str(element["contentReference"]).lstrip("#")
        rule["types"] = ["BackboneElement"]
    else:
        rule["types"] = [_type_code(sd_kind, path, t) for t in element.get("type", [])]
        if path in node_paths:
            rule["node"] = path
    if name.endswith("[x]"):
        name = name[:-3]
        rule["choice"] = True
    value_set = _required_value_set(element)
    if value_set:
        rule["valueSet"] = value_set
    return name, rule


def _type_rules(sd: Json) -> dict[str, dict[str, Json]]:
    """One StructureDefinition's element tree: for each node path, its children by element name."""
    elements = sd["snapshot"]["element"]
    paths = [str(e["path"]) for e in elements]
    # A node is an element with children of its own (the type itself, backbone elements).
    node_paths = {p.rsplit(".", 1)[0] for p in paths if "." in p}
    nodes: dict[str, dict[str, Json]] = {}
    for element in elements[1:]:
        path = str(element["path"])
        parent = path.rsplit(".", 1)[0]
        name, rule = _element_rule(sd["kind"], element, node_paths)
        nodes.setdefault(parent, {})[name] = rule
    nodes.setdefault(str(sd["type"]), {})
    return nodes


def _primitive_rule(sd: Json) -> Json:
    regex = None
    for element in sd["snapshot"]["element"]:
        if element["path"] != f"{sd['type']}.value":
            continue
        for type_entry in element.get("type", []):
            for ext in type_entry.get("extension", []):
                if ext.get("url") == _REGEX:
                    regex = str(ext["valueString"])
    return {"regex": regex}


def _concepts(concepts: Iterable[Json]) -> Iterable[str]:
    for concept in concepts:
        yield str(concept["code"])
        yield from _concepts(concept.get("concept", []))


class _Expander:
    """Enumerates value sets from core code systems; ``None`` when a terminology server is needed."""

    def __init__(self, value_sets: list[Json], code_systems: list[Json]) -> None:
        self._value_sets = {str(v["url"]): v for v in value_sets}
        self._systems: dict[str, list[str] | None] = {}
        for cs in code_systems:
            complete = cs.get("content") == "complete"
            self._systems[str(cs["url"])] = (
                sorted(set(_concepts(cs.get("concept", [])))) if complete else None
            )
        self._cache: dict[str, dict[str, list[str]] | None] = {}

    def expand(self, url: str, depth: int = 0) -> dict[str, list[str]] | None:
        if url in self._cache:
            return self._cache[url]
        vs = self._value_sets.get(url)
        result = None if vs is None or depth > 8 else self._compose(vs, depth)
        self._cache[url] = result
        return result

    def _include(self, include: Json, depth: int) -> dict[str, set[str]] | None:
        if "filter" in include or ("valueSet" in include and "system" in include):
            return None
        if "valueSet" in include:
            merged: dict[str, set[str]] = {}
            for ref in include["valueSet"]:
                part = self.expand(str(ref).split("|", 1)[0], depth + 1)
                if part is None:
                    return None
                for system, codes in part.items():
                    merged.setdefault(system, set()).update(codes)
            return merged
        system = str(include["system"])
        if "concept" in include:
            return {system: {str(c["code"]) for c in include["concept"]}}
        whole = self._systems.get(system)
        return None if whole is None else {system: set(whole)}

    def _compose(self, vs: Json, depth: int) -> dict[str, list[str]] | None:
        compose = vs.get("compose")
        if not compose:
            return None
        codes: dict[str, set[str]] = {}
        for include in compose.get("include", []):
            part = self._include(include, depth)
            if part is None:
                return None
            for system, found in part.items():
                codes.setdefault(system, set()).update(found)
        for exclude in compose.get("exclude", []):
            part = self._include(exclude, depth)
            if part is None:
                return None
            for system, found in part.items():
                codes.get(system, set()).difference_update(found)
        return {system: sorted(found) for system, found in codes.items()}


def build_rules(definitions: Path) -> Json:
    """The rules for every resource and data type of the core package at ``definitions``."""
    structures = [
        sd for sd in _load_all(definitions, "StructureDefinition") if _is_base_definition(sd)
    ]
    types: dict[str, Json] = {}
    primitives: dict[str, Json] = {}
    resources: list[str] = []
    for sd in structures:
        name = str(sd["type"])
        if sd["kind"] == "primitive-type":
            primitives[name] = _primitive_rule(sd)
            continue
        types[name] = _type_rules(sd)
        if sd["kind"] == "resource" and not sd.get("abstract"):
            resources.append(name)
    wanted = sorted(
        {
            rule["valueSet"]
            for nodes in types.values()
            for children in nodes.values()
            for rule in children.values()
            if "valueSet" in rule
        }
    )
    expander = _Expander(_load_all(definitions, "ValueSet"), _load_all(definitions, "CodeSystem"))
    value_sets = {url: codes for url in wanted if (codes := expander.expand(url)) is not None}
    return {
        "fhirVersion": "4.0.1",
        "regenerate": REGENERATE,
        "primitives": primitives,
        "resources": sorted(resources),
        "types": types,
        "valueSets": value_sets,
    }


def encode_rules(rules: Json) -> bytes:
    """The rules as deterministic gzipped JSON (sorted keys, no timestamp in the gzip header)."""
    text = json.dumps(rules, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as out:
        out.write(text.encode())
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    """``python -m careweave.codecs.fhir.generate_rules DEFINITIONS_DIR OUTPUT``."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m careweave.codecs.fhir.generate_rules DEFINITIONS_DIR OUTPUT")
        return 2
    definitions, output = Path(args[0]), Path(args[1])
    if not definitions.is_dir() or not any(definitions.glob("StructureDefinition-*.json")):
        print(f"error: no StructureDefinition-*.json files in {definitions}")
        return 2
    output.write_bytes(encode_rules(build_rules(definitions)))
    print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
