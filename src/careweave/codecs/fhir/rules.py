"""The generated FHIR R4 rules (``r4_rules.json.gz``), loaded once into lookup tables.

The file is written by :mod:`careweave.codecs.fhir.generate_rules` from the specification's core
package; this module only reads it. A *node* is an element with children: a data type or resource
(``Patient``) or a backbone element inside one (``Patient.contact``). Each node's rules are indexed by
the JSON property names they allow (``valueQuantity`` for ``value[x]``), so the validator finds the
rule for a property with one dictionary look-up.
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

RULES_FILE = "r4_rules.json.gz"
"""The generated rules, a file of this package."""

PRIMITIVE_JSON: dict[str, tuple[type, ...]] = {
    "boolean": (bool,),
    "integer": (int,),
    "positiveInt": (int,),
    "unsignedInt": (int,),
    "decimal": (int, float),
}
"""Primitive types whose JSON value is not a string, and the Python types it decodes to."""


# eq=False: each rule is one object per node, so identity is equality, and hashing it (the
# validator counts values per rule) costs nothing.
@dataclass(frozen=True, slots=True, eq=False)
class ElementRule:
    """One element of a node, as its StructureDefinition defines it."""

    name: str
    """The element name, without ``[x]`` for a choice element."""
    min: int
    max: int
    """-1 for ``*``."""
    types: tuple[str, ...]
    node: str | None
    """For a backbone element (or a ``contentReference``), the node path of its children."""
    choice: bool
    value_set: str | None
    """The canonical URL of a required binding's value set."""

    @property
    def label(self) -> str:
        """The element's name as the specification writes it (``value[x]`` for a choice)."""
        return f"{self.name}[x]" if self.choice else self.name


@dataclass(frozen=True, slots=True)
class Slot:
    """A JSON property a node allows: its element rule and the one type it carries."""

    rule: ElementRule
    type: str
    primitive: bool


@dataclass(frozen=True, slots=True)
class Node:
    """The rules of one node: its elements, and the JSON properties they allow."""

    owner: str
    path: str
    elements: tuple[ElementRule, ...]
    slots: dict[str, Slot] = field(default_factory=dict)
    required: tuple[ElementRule, ...] = ()
    """The elements with a minimum cardinality above zero."""


def _json_name(rule: ElementRule, type_code: str) -> str:
    if not rule.choice:
        return rule.name
    return rule.name + type_code[0].upper() + type_code[1:]


class Rules:
    """Lookup tables over the generated rules."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.fhir_version: str = data["fhirVersion"]
        self.resources: frozenset[str] = frozenset(data["resources"])
        # ASCII: the regexes are written for Java and XML Schema, where \s and \S are ASCII classes.
        self.primitives: dict[str, re.Pattern[str] | None] = {
            name: re.compile(spec["regex"], re.ASCII) if spec["regex"] else None
            for name, spec in data["primitives"].items()
        }
        self.value_sets: dict[str, dict[str, frozenset[str]]] = {
            url: {system: frozenset(codes) for system, codes in systems.items()}
            for url, systems in data["valueSets"].items()
        }
        self._types: dict[str, dict[str, dict[str, dict[str, Any]]]] = data["types"]
        self._nodes: dict[tuple[str, str], Node | None] = {}

    def is_type(self, name: str) -> bool:
        """True for a complex data type or resource the rules define."""
        return name in self._types

    def node(self, owner: str, path: str) -> Node | None:
        """The rules of node ``path`` inside type ``owner`` (``None`` when there is no such node)."""
        key = (owner, path)
        if key not in self._nodes:
            self._nodes[key] = self._build(owner, path)
        return self._nodes[key]

    def _build(self, owner: str, path: str) -> Node | None:
        children = self._types.get(owner, {}).get(path)
        if children is None:
            return None
        elements = tuple(
            ElementRule(
                name=name,
                min=spec["min"],
                max=spec["max"],
                types=tuple(spec["types"]),
                node=spec.get("node"),
                choice=bool(spec.get("choice")),
                value_set=spec.get("valueSet"),
            )
            for name, spec in sorted(children.items())
        )
        slots: dict[str, Slot] = {}
        for rule in elements:
            for type_code in rule.types:
                slots[_json_name(rule, type_code)] = Slot(
                    rule=rule,
                    type=type_code,
                    primitive=rule.node is None and type_code in self.primitives,
                )
        required = tuple(rule for rule in elements if rule.min > 0)
        return Node(owner=owner, path=path, elements=elements, slots=slots, required=required)


@cache
def load_rules() -> Rules:
    """The rules committed with the package (read once per process)."""
    raw = resources.files("careweave.codecs.fhir").joinpath(RULES_FILE).read_bytes()
    return Rules(json.loads(gzip.decompress(raw)))
