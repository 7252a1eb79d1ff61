"""Salesforce record Ids, as the dataset generator and the emulator both make them.

An Id is 15 case-sensitive characters (a 3-character key prefix naming the object, then the
record's body) plus a 3-character case-safe suffix: for each 5-character chunk, which characters
are upper case. The 18-character form survives case-insensitive systems.
"""

from __future__ import annotations

from typing import Final

# Key prefixes of the objects the sandbox serves (the first 3 characters of an Id).
KEY_PREFIXES: Final = {
    "Account": "001",
    "Contact": "003",
    "Lead": "00Q",
    "Opportunity": "006",
    "OpportunityLineItem": "00k",
    "User": "005",
    "Task": "00T",
    "Product2": "01t",
    "PricebookEntry": "01u",
    "Pricebook2": "01s",
    "Organization": "00D",
}
_SUFFIX_ALPHABET: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def checksum(id15: str) -> str:
    """The 3-character suffix that makes a 15-character Id case-insensitive."""
    suffix = []
    for start in range(0, 15, 5):
        bits = 0
        for position, char in enumerate(id15[start : start + 5]):
            if "A" <= char <= "Z":
                bits |= 1 << position
        suffix.append(_SUFFIX_ALPHABET[bits])
    return "".join(suffix)


def case_safe(id15: str) -> str:
    """The 18-character form of a 15-character Id."""
    return id15 + checksum(id15)
