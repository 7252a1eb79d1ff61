"""Word lists for plausible company and people names; deterministic given the seeded generator."""

from __future__ import annotations

import random

FIRST_NAMES = (
    "Ada",
    "Ben",
    "Chloe",
    "Dmitri",
    "Elena",
    "Farah",
    "Goro",
    "Hana",
    "Ivan",
    "Jia",
    "Kofi",
    "Lena",
    "Mateo",
    "Nia",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sven",
    "Tariq",
    "Uma",
    "Viktor",
    "Wen",
    "Ximena",
    "Yusuf",
    "Zoe",
    "Aiko",
    "Bashir",
    "Carmen",
    "Dara",
)
LAST_NAMES = (
    "Abe",
    "Bauer",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ito",
    "Jones",
    "Kim",
    "Larsen",
    "Moreau",
    "Nakamura",
    "Okafor",
    "Patel",
    "Quist",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Usman",
    "Varga",
    "Weber",
    "Xu",
    "Yamada",
    "Zhou",
    "Al-Sabah",
    "Brennan",
)
STEMS = (
    "Acme",
    "Blue",
    "Cedar",
    "Delta",
    "Ember",
    "Fjord",
    "Granite",
    "Harbor",
    "Iris",
    "Juniper",
    "Kestrel",
    "Lumen",
    "Maple",
    "Nimbus",
    "Onyx",
    "Pioneer",
    "Quartz",
    "Riverside",
    "Summit",
    "Tidal",
    "Umbra",
    "Vertex",
    "Willow",
    "Zenith",
    "Aurora",
    "Beacon",
    "Cobalt",
    "Drift",
)
SUFFIXES = (
    "Labs",
    "Analytics",
    "Logistics",
    "Health",
    "Robotics",
    "Foods",
    "Energy",
    "Capital",
    "Studios",
    "Systems",
    "Retail",
    "Networks",
    "Bio",
    "Works",
    "Partners",
    "Cloud",
)
LEGAL = {"US": "Inc.", "DE": "GmbH", "GB": "Ltd", "JP": "K.K.", "KW": "W.L.L."}
CITIES = {
    "US": ("Austin", "Denver", "Seattle", "Boston", "Chicago"),
    "DE": ("Berlin", "Munich", "Hamburg", "Cologne"),
    "GB": ("London", "Leeds", "Bristol", "Manchester"),
    "JP": ("Tokyo", "Osaka", "Fukuoka", "Sapporo"),
    "KW": ("Kuwait City", "Hawalli", "Salmiya"),
}
INDUSTRIES = ("Technology", "Healthcare", "Retail", "Manufacturing", "Finance", "Media")
TITLES = ("CFO", "Controller", "VP Operations", "Head of Finance", "CTO", "Procurement Lead")


def company_name(rng: random.Random, country: str, index: int) -> str:
    # The index keeps names unique, so display-name matching between systems is unambiguous.
    return f"{rng.choice(STEMS)} {rng.choice(SUFFIXES)} {index} {LEGAL[country]}"


def slug(name: str) -> str:
    return "".join(char for char in name.lower().split(" ")[0] if char.isalnum())


def person(rng: random.Random) -> tuple[str, str]:
    return rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
