"""The demo's data: a small, deterministic table of houses and their prices.

Generated from a fixed seed (no download), so every run of the demo sees the same numbers and a
reproduced run gets the same metrics. The CSV is written once to data/houses.csv and read from there.
"""

import csv
import math
import os
import random

FEATURES = ["area_m2", "rooms", "age_years", "distance_km"]
CSV_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "houses.csv")


def generate(rows=400, seed=7):
    """Houses whose price depends on the features (with one non-linear effect) plus noise."""
    rng = random.Random(seed)
    table = []
    for _ in range(rows):
        area = rng.uniform(30, 220)
        rooms = max(1, round(area / 35 + rng.gauss(0, 0.7)))
        age = rng.uniform(0, 80)
        distance = rng.uniform(0.5, 30)
        price = (
            50_000
            + 2_400 * area
            + 9_000 * rooms
            - 900 * age
            - 60_000 * math.log1p(distance)
            + rng.gauss(0, 25_000)
        )
        table.append([round(area, 1), rooms, round(age, 1), round(distance, 2), round(max(price, 20_000))])
    return table


def load():
    """The table as (features, prices), writing the CSV first if it is not there yet."""
    if not os.path.exists(CSV_PATH):
        os.makedirs(os.path.dirname(CSV_PATH), exist_ok=True)
        with open(CSV_PATH, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(FEATURES + ["price"])
            writer.writerows(generate())
    features, prices = [], []
    with open(CSV_PATH, newline="") as handle:
        for row in csv.DictReader(handle):
            features.append([float(row[name]) for name in FEATURES])
            prices.append(float(row["price"]))
    return features, prices


def split(features, prices, validation=0.25, seed=0):
    """A fixed train/validation split."""
    order = list(range(len(prices)))
    random.Random(seed).shuffle(order)
    cut = int(len(order) * (1 - validation))
    pick = lambda idx: ([features[i] for i in idx], [prices[i] for i in idx])  # noqa: E731
    return pick(order[:cut]), pick(order[cut:])
