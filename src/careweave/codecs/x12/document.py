"""Read a whole X12 file: tokenize, envelope, and build each transaction's loop tree."""

from __future__ import annotations

import msgspec

from careweave.codecs.x12.envelope import Interchange, TransactionSet, read_interchanges
from careweave.codecs.x12.guides import guide_for
from careweave.codecs.x12.loops import Loop, LoopWalker, StructureIssue
from careweave.codecs.x12.tokenizer import Delimiters, tokenize


class ParsedTransaction(msgspec.Struct):
    """A transaction set with its loop tree and the structure issues found building it."""

    transaction: TransactionSet
    tree: Loop
    issues: list[StructureIssue]
    guided: bool
    """False when careweave has no guide for this transaction (its tree is flat)."""


class X12Document(msgspec.Struct):
    """Every interchange of a file and every transaction set in them, parsed."""

    delimiters: Delimiters
    interchanges: list[Interchange]
    transactions: list[ParsedTransaction]

    def of_type(self, transaction_id: str) -> list[ParsedTransaction]:
        """The transactions whose ST01 is *transaction_id*."""
        return [p for p in self.transactions if p.transaction.id == transaction_id]


def parse_transaction(
    transaction: TransactionSet, delimiters: Delimiters, check: bool = True
) -> ParsedTransaction:
    """Build the loop tree of one transaction set (flat when no guide is known)."""
    guide = guide_for(transaction.id, transaction.implementation)
    if guide is None:
        tree = Loop("ST", f"{transaction.id} transaction set", list(transaction.segments))
        return ParsedTransaction(transaction, tree, [], guided=False)
    walker = LoopWalker(guide, delimiters, check=check)
    tree = walker.build(transaction.segments)
    return ParsedTransaction(transaction, tree, walker.issues, guided=True)


def read_document(data: bytes | str, check: bool = True) -> X12Document:
    """Parse an X12 file. Raises X12Error only when it cannot be read at all (no ISA...);
    envelope and structure problems are recorded on the interchanges and transactions."""
    delimiters, segments = tokenize(data)
    interchanges = read_interchanges(delimiters, segments)
    parsed = [
        parse_transaction(transaction, delimiters, check)
        for interchange in interchanges
        for transaction in interchange.transactions()
    ]
    return X12Document(delimiters, interchanges, parsed)
