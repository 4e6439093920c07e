"""Readable run names such as ``bright-owl``, for runs started without a name."""

import random

ADJECTIVES = (
    "agile", "amber", "ancient", "azure", "bold", "brave", "breezy", "bright", "calm", "clever",
    "cosmic", "crimson", "curious", "daring", "dusty", "eager", "electric", "fancy", "fearless",
    "frosty", "gentle", "gleaming", "golden", "graceful", "happy", "hidden", "humble", "icy",
    "jolly", "keen", "lively", "lucky", "mellow", "misty", "nimble", "noble", "patient", "polished",
    "proud", "quick", "quiet", "rapid", "rustic", "serene", "shiny", "silent", "silver", "smooth",
    "steady", "sunny", "swift", "tidy", "velvet", "vivid", "wise", "witty", "zesty",
)

ANIMALS = (
    "albatross", "alpaca", "badger", "bat", "bear", "beaver", "bison", "bobcat", "camel", "cheetah",
    "cobra", "condor", "crane", "crow", "deer", "dolphin", "eagle", "falcon", "ferret", "finch",
    "fox", "gazelle", "gecko", "heron", "horse", "ibis", "jaguar", "koala", "lemur", "leopard",
    "lynx", "marmot", "mole", "moose", "newt", "octopus", "orca", "otter", "owl", "panda",
    "panther", "pelican", "penguin", "puffin", "quail", "rabbit", "raven", "salmon", "seal",
    "sparrow", "stork", "tiger", "turtle", "walrus", "whale", "wolf", "wren", "yak", "zebra",
)

# A private generator: training scripts seed the global `random` module for reproducibility,
# and naming a run must neither depend on nor disturb that sequence.
_random = random.Random()


def random_name() -> str:
    """Returns a fresh ``adjective-animal`` name."""
    return "%s-%s" % (_random.choice(ADJECTIVES), _random.choice(ANIMALS))
