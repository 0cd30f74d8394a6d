"""Names for runs the client did not name, in MLflow's "adjective-animal-123" style.

The word lists are Podium's own; only the shape matches MLflow, so a user's habits carry over.
"""

from __future__ import annotations

import secrets

_ADJECTIVES = (
    "amber", "bold", "brave", "bright", "calm", "clever", "crisp", "daring", "eager", "fair",
    "fancy", "gentle", "glad", "golden", "grand", "happy", "honest", "humble", "jolly", "keen",
    "kind", "lively", "lucky", "mellow", "merry", "mighty", "nimble", "noble", "patient", "polite",
    "proud", "quick", "quiet", "rare", "shiny", "silent", "smart", "steady", "sunny", "swift",
    "tidy", "vivid", "warm", "wise", "witty", "zesty",
)
_ANIMALS = (
    "ant", "badger", "bat", "bear", "bee", "bison", "boar", "carp", "cat", "colt", "crab", "crane",
    "deer", "dove", "duck", "eel", "elk", "finch", "fox", "frog", "goat", "hare", "hawk", "heron",
    "ibis", "jay", "koala", "lark", "lemur", "lynx", "mole", "moose", "newt", "otter", "owl", "panda",
    "pony", "quail", "ram", "robin", "seal", "shrew", "sow", "swan", "toad", "trout", "wasp", "wolf",
    "wren", "yak", "zebra",
)


def generate_run_name() -> str:
    """A fresh human-friendly run name, e.g. "swift-otter-417"."""
    return f"{secrets.choice(_ADJECTIVES)}-{secrets.choice(_ANIMALS)}-{secrets.randbelow(1000)}"
