"""A FHIR R4 validator for every resource type, driven by rules generated from the specification.

:func:`validate` walks a decoded JSON resource against :mod:`careweave.codecs.fhir.rules` and returns
every problem it finds as an :class:`Issue` naming the path (``Claim.item[0].sequence``):

- unknown properties, at every level (resources, backbone elements, data types); ``_name`` carries a
  primitive's id and extensions;
- cardinality: required elements present, no more repeats than ``max``, JSON arrays exactly where
  the element repeats;
- primitive formats (the specification's regexes, real calendar dates, 32-bit integers);
- choice elements: one ``value[x]`` at most, and one when required;
- contained resources and Bundle entries, validated by their own ``resourceType``;
- references' shape (``Type/id``, absolute URL, ``urn:uuid:``, ``#local``) and resource type;
- required bindings whose value set the core code systems enumerate (others need a terminology
  server and are not checked);
- ``ele-1``, ``ref-1`` and the invariants of :mod:`careweave.codecs.fhir.invariants`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from careweave.codecs.fhir.invariants import INVARIANTS, contained_rules
from careweave.codecs.fhir.primitives import primitive_problem
from careweave.codecs.fhir.rules import ElementRule, Node, Rules, Slot, load_rules

_RELATIVE = re.compile(r"([A-Z][A-Za-z]+)/[A-Za-z0-9\-.]{1,64}(/_history/[A-Za-z0-9\-.]{1,64})?")
_ABSOLUTE = re.compile(r"[a-z][a-z0-9+.\-]*:\S+", re.IGNORECASE)
_CONDITIONAL = re.compile(r"([A-Z][A-Za-z]+)\?\S*")
_CODED = frozenset({"code", "string", "uri", "Coding", "CodeableConcept"})


def _json_type(value: object) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    return (
        "an array" if isinstance(value, list) else "a string" if isinstance(value, str) else "null"
    )


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem: where it is and what is wrong."""

    path: str
    message: str


@dataclass(slots=True)
class _Resource:
    """What ``ref-1`` needs about the resource being walked: its contained ids and local references."""

    contained: set[str] = field(default_factory=set)
    local_refs: list[tuple[str, str]] = field(default_factory=list)


class _Walk:
    def __init__(self, rules: Rules) -> None:
        self.rules = rules
        self.issues: list[Issue] = []

    def report(self, path: str, message: str) -> None:
        self.issues.append(Issue(path, message))

    # -- resources -------------------------------------------------------------------------------

    def resource(self, obj: object, path: str, scope: _Resource | None = None) -> None:
        if not isinstance(obj, dict):
            self.report(path or "$", "a resource must be a JSON object")
            return
        kind = obj.get("resourceType")
        if not isinstance(kind, str) or kind not in self.rules.resources:
            self.report(
                f"{path}.resourceType" if path else "resourceType",
                f"unknown resourceType {kind!r}" if kind else "no resourceType",
            )
            return
        path = path or kind
        own = scope is None
        scope = scope or _Resource()
        contained = obj.get("contained")
        if isinstance(contained, list):
            scope.contained.update(str(c.get("id")) for c in contained if isinstance(c, dict))
        node = self.rules.node(kind, kind)
        assert node is not None  # every resource type of the rules has its root node
        self.complex(obj, node, path, scope, is_resource=True)
        if own:
            for where, ref in scope.local_refs:
                if ref[1:] and ref[1:] not in scope.contained:
                    self.report(where, f"local reference {ref} names no contained resource (ref-1)")

    # -- complex values --------------------------------------------------------------------------

    def complex(
        self, obj: dict[str, Any], node: Node, path: str, scope: _Resource, *, is_resource: bool
    ) -> None:
        counts: dict[ElementRule, int] = {}
        chosen: dict[ElementRule, list[str]] = {}
        for key, value in obj.items():
            if key == "resourceType" and is_resource:
                continue
            slot = node.slots.get(key)
            if slot is None:
                self._unknown_or_extension(obj, node, key, value, path, scope, counts, chosen)
                continue
            rule = slot.rule
            count = self._count(slot, value)
            if count > counts.get(rule, 0):
                counts[rule] = count
            if rule.choice:
                chosen.setdefault(rule, []).append(key)
            self.element(obj, slot, key, value, path, scope)
        # Only what can break cardinality is looked at: required elements, and elements present.
        for rule in node.required:
            if counts.get(rule, 0) < rule.min:
                self._cardinality(rule, counts.get(rule, 0), [], path)
        for rule, count in counts.items():
            if 0 <= rule.max < count:
                self._cardinality(rule, count, [], path)
        for rule, keys in chosen.items():
            if len(keys) > 1:
                self._cardinality(rule, 1, keys, path)
        if not is_resource and (not obj or (len(obj) == 1 and "id" in obj)):
            self.report(path, "an element needs a value or children (ele-1)")
        for invariant in INVARIANTS.get((node.owner, node.path), ()):
            invariant(obj, path, self.report)

    def _unknown_or_extension(
        self,
        obj: dict[str, Any],
        node: Node,
        key: str,
        value: object,
        path: str,
        scope: _Resource,
        counts: dict[ElementRule, int],
        chosen: dict[ElementRule, list[str]],
    ) -> None:
        base = node.slots.get(key[1:]) if key.startswith("_") else None
        if base is None or not base.primitive:
            self.report(f"{path}.{key}", f"unknown element {key!r} in {node.path}")
            return
        if key[1:] not in obj:
            counts[base.rule] = max(counts.get(base.rule, 0), self._count(base, value))
            if base.rule.choice:  # `_valueString` alone stands for valueString
                chosen.setdefault(base.rule, []).append(key[1:])
        element = self.rules.node("Element", "Element")
        assert element is not None
        items = value if isinstance(value, list) else [value]
        if isinstance(value, list) != (base.rule.max != 1):
            self.report(
                f"{path}.{key}",
                "must be an array" if base.rule.max != 1 else "must not be an array",
            )
        for i, item in enumerate(items):
            where = f"{path}.{key}[{i}]" if isinstance(value, list) else f"{path}.{key}"
            if item is None and isinstance(value, list):
                continue
            if not isinstance(item, dict):
                self.report(where, "a primitive's extension element must be a JSON object")
                continue
            self.complex(item, element, where, scope, is_resource=False)

    @staticmethod
    def _count(slot: Slot, value: object) -> int:
        return len(value) if isinstance(value, list) else (0 if value is None else 1)

    def _cardinality(self, rule: ElementRule, count: int, chosen: list[str], path: str) -> None:
        if len(chosen) > 1:
            self.report(
                f"{path}.{rule.label}", f"only one of {', '.join(sorted(chosen))} may be present"
            )
        if count < rule.min:
            self.report(
                f"{path}.{rule.label}",
                f"required element {rule.label!r} is missing (at least {rule.min})"
                if count
                else f"required element {rule.label!r} is missing",
            )
        if rule.max >= 0 and count > rule.max:
            self.report(f"{path}.{rule.label}", f"{count} values where at most {rule.max} allowed")

    # -- one element -----------------------------------------------------------------------------

    def element(
        self, obj: dict[str, Any], slot: Slot, key: str, value: object, path: str, scope: _Resource
    ) -> None:
        repeats = slot.rule.max != 1
        if isinstance(value, list) != repeats:
            self.report(f"{path}.{key}", "must be an array" if repeats else "must not be an array")
            if not isinstance(value, list):
                value = [value]
            repeats = True
        if repeats and not value:
            self.report(f"{path}.{key}", "an array cannot be empty")
        items: list[Any] = value if isinstance(value, list) else [value]
        extensions = obj.get(f"_{key}") if slot.primitive else None
        for i, item in enumerate(items):
            where = f"{path}.{key}[{i}]" if repeats else f"{path}.{key}"
            if item is None:
                paired = (
                    extensions[i] if isinstance(extensions, list) and i < len(extensions) else None
                )
                if not (repeats and paired is not None):
                    self.report(
                        where,
                        f"null without an extension in _{key}"
                        if slot.primitive
                        else f"null is not a valid {slot.type}",
                    )
                continue
            self.value(slot, item, where, scope)

    def value(self, slot: Slot, item: object, where: str, scope: _Resource) -> None:
        rule = slot.rule
        if slot.primitive:
            problem = primitive_problem(slot.type, item, self.rules.primitives.get(slot.type))
            if problem:
                self.report(where, problem)
            elif rule.value_set and slot.type in _CODED:
                self._code_binding(rule, {(None, item)}, where)
            return
        if slot.type == "Resource":
            if rule.name == "contained":
                # A contained resource's `#id` references resolve in its container.
                self.resource(item, where, scope)
                if isinstance(item, dict):
                    contained_rules(item, where, self.report)
            else:  # a Bundle entry or a Parameters value: a resource of its own
                self.resource(item, where)
            return
        if not isinstance(item, dict):
            self.report(
                where, f"{rule.node or slot.type} must be a JSON object, not {_json_type(item)}"
            )
            return
        node = (
            self.rules.node(rule.node.split(".", 1)[0], rule.node)
            if rule.node
            else self.rules.node(slot.type, slot.type)
        )
        if node is None:
            self.report(where, f"careweave has no rules for type {slot.type}")
            return
        self.complex(item, node, where, scope, is_resource=False)
        if slot.type == "Reference":
            self._reference(item, where, scope)
        elif rule.value_set and slot.type in _CODED:
            self._coded_binding(rule, slot.type, item, where)

    # -- references and bindings -----------------------------------------------------------------

    def _reference(self, ref: dict[str, Any], where: str, scope: _Resource) -> None:
        target = ref.get("reference")
        if not isinstance(target, str):
            return
        if target.startswith("#"):
            scope.local_refs.append((f"{where}.reference", target))
            return
        kind = None
        relative = _RELATIVE.fullmatch(target) or _CONDITIONAL.fullmatch(target)
        if relative:
            kind = relative.group(1)
        elif _ABSOLUTE.fullmatch(target):
            # An absolute URL to a FHIR server ends with Type/id: its type is checked as well.
            tail = re.search(r"/([A-Z][A-Za-z]+)/[A-Za-z0-9\-.]{1,64}(/_history/[^/]+)?$", target)
            kind = tail.group(1) if tail and tail.group(1) in self.rules.resources else None
        else:
            self.report(
                f"{where}.reference", f"{target!r} is not a reference (Type/id, a URL or #id)"
            )
            return
        if kind is None:
            return
        # The target type against the element's allowed targets is not checked: official examples
        # break it (Observation-clinical-gender's performer is an Encounter), as the spec tolerates.
        if kind not in self.rules.resources:
            self.report(f"{where}.reference", f"{kind!r} in {target!r} is not a resource type")

    def _coded_binding(
        self, rule: ElementRule, type_code: str, item: dict[str, Any], where: str
    ) -> None:
        listed = item.get("coding")
        codings: list[Any] = (
            [item] if type_code == "Coding" else listed if isinstance(listed, list) else []
        )
        # Only well-formed codings count (a malformed one was reported by the walk already).
        pairs: set[tuple[object, object]] = {
            (c.get("system"), c["code"])
            for c in codings
            if isinstance(c, dict)
            and isinstance(c.get("code"), str)
            and isinstance(c.get("system"), str | None)
        }
        if pairs:  # text alone is not checked: a required binding constrains the codes sent
            self._code_binding(rule, pairs, where)

    def _code_binding(
        self, rule: ElementRule, pairs: set[tuple[object, object]], where: str
    ) -> None:
        assert rule.value_set is not None
        systems = self.rules.value_sets.get(rule.value_set)
        if systems is None:  # needs a terminology server: not checked
            return
        for system, code in pairs:
            if system is None and any(code in codes for codes in systems.values()):
                return
            if system is not None and code in systems.get(str(system), frozenset()):
                return
        shown = sorted({code for codes in systems.values() for code in codes})
        choices = f" ({', '.join(shown)})" if len(shown) <= 12 else ""
        codes = ", ".join(
            sorted(repr(f"{system}|{code}" if system else code) for system, code in pairs)
        )
        name = rule.value_set.rsplit("/", 1)[-1]
        self.report(where, f"{codes} is not in the required value set {name}{choices}")


def validate(resource: object, rules: Rules | None = None) -> list[Issue]:
    """Every problem of one decoded FHIR R4 JSON resource (a Bundle included); empty when valid."""
    walk = _Walk(rules or load_rules())
    try:
        walk.resource(resource, "")
    except RecursionError:  # hundreds of levels (Questionnaire.item in item...): report, not crash
        walk.report("$", "the resource is nested too deeply to validate")
    return walk.issues
