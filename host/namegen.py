"""Friendly host names, as OTP's ``namegen``: ``{adjective}-{noun}-{number}``."""

from __future__ import annotations

import secrets

ADJECTIVES = (
    "autumn", "hidden", "bitter", "misty", "silent", "empty", "dry", "dark", "summer", "icy", "delicate", "quiet",
    "white", "cool", "spring", "winter", "patient", "twilight", "dawn", "crimson", "wispy", "weathered", "blue",
    "billowing", "broken", "cold", "damp", "falling", "frosty", "green", "long", "late", "lingering", "bold",
    "little", "morning", "muddy", "old", "red", "rough", "still", "small", "sparkling", "shy", "wandering",
    "withered", "wild", "black", "young", "holy", "solitary", "fragrant", "aged", "snowy", "proud", "floral",
    "restless", "divine", "polished", "ancient", "purple", "lively", "nameless",
)  # fmt: skip
NOUNS = (
    "waterfall", "river", "breeze", "moon", "rain", "wind", "sea", "morning", "snow", "lake", "sunset", "pine",
    "shadow", "leaf", "dawn", "glitter", "forest", "hill", "cloud", "meadow", "sun", "glade", "bird", "brook",
    "butterfly", "bush", "dew", "dust", "field", "fire", "flower", "firefly", "feather", "grass", "haze",
    "mountain", "night", "pond", "darkness", "snowflake", "silence", "sound", "sky", "shape", "surf", "thunder",
    "violet", "water", "wildflower", "wave", "resonance", "wood", "dream", "cherry", "tree", "fog", "frost",
    "voice", "paper", "frog", "smoke", "star",
)  # fmt: skip
NUMBER_RANGE = 10_000


def friendly_name() -> str:
    """A random human-readable name such as ``quiet-river-4821``."""
    return f"{secrets.choice(ADJECTIVES)}-{secrets.choice(NOUNS)}-{secrets.randbelow(NUMBER_RANGE)}"
