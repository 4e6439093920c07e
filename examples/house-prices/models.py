"""Pure-Python models for the demo, used when scikit-learn is not installed."""

import math
import random


def rmse(truth, predicted):
    return math.sqrt(sum((t - p) ** 2 for t, p in zip(truth, predicted)) / len(truth))


def r2(truth, predicted):
    mean = sum(truth) / len(truth)
    total = sum((t - mean) ** 2 for t in truth)
    residual = sum((t - p) ** 2 for t, p in zip(truth, predicted))
    return 1 - residual / total


class Scaler:
    """Standardizes features (mean 0, deviation 1) so gradient descent behaves."""

    def fit(self, rows):
        columns = list(zip(*rows))
        self.means = [sum(c) / len(c) for c in columns]
        self.stds = [math.sqrt(sum((x - m) ** 2 for x in c) / len(c)) or 1.0 for c, m in zip(columns, self.means)]
        return self

    def transform(self, rows):
        return [[(x - m) / s for x, m, s in zip(row, self.means, self.stds)] for row in rows]


class LinearRegression:
    """Least squares by full-batch gradient descent, one epoch per call to `epoch`."""

    def __init__(self, features, lr):
        self.weights = [0.0] * features
        self.bias = 0.0
        self.lr = lr

    def predict(self, rows):
        return [self.bias + sum(w * x for w, x in zip(self.weights, row)) for row in rows]

    def epoch(self, rows, targets):
        predicted = self.predict(rows)
        n = len(rows)
        errors = [p - t for p, t in zip(predicted, targets)]
        for j in range(len(self.weights)):
            self.weights[j] -= self.lr * 2 * sum(e * row[j] for e, row in zip(errors, rows)) / n
        self.bias -= self.lr * 2 * sum(errors) / n


class RegressionTree:
    """A CART regression tree: splits that minimise squared error, to a maximum depth."""

    def __init__(self, max_depth, min_leaf=5, feature_fraction=0.75, rng=None):
        self.max_depth = max_depth
        self.min_leaf = min_leaf
        self.feature_fraction = feature_fraction
        self.rng = rng or random.Random(0)

    def fit(self, rows, targets):
        self.root = self._grow(list(range(len(rows))), rows, targets, 0)
        return self

    def _grow(self, idx, rows, targets, depth):
        values = [targets[i] for i in idx]
        mean = sum(values) / len(values)
        if depth >= self.max_depth or len(idx) < 2 * self.min_leaf:
            return mean
        best = None
        features = list(range(len(rows[0])))
        self.rng.shuffle(features)
        for j in features[: max(1, int(len(features) * self.feature_fraction))]:
            ordered = sorted(idx, key=lambda i: rows[i][j])
            left_sum, left_sq = 0.0, 0.0
            total_sum = sum(targets[i] for i in ordered)
            total_sq = sum(targets[i] ** 2 for i in ordered)
            for k in range(1, len(ordered)):
                y = targets[ordered[k - 1]]
                left_sum += y
                left_sq += y * y
                if k < self.min_leaf or len(ordered) - k < self.min_leaf:
                    continue
                if rows[ordered[k - 1]][j] == rows[ordered[k]][j]:
                    continue
                right_sum, right_sq = total_sum - left_sum, total_sq - left_sq
                error = (left_sq - left_sum**2 / k) + (right_sq - right_sum**2 / (len(ordered) - k))
                if best is None or error < best[0]:
                    threshold = (rows[ordered[k - 1]][j] + rows[ordered[k]][j]) / 2
                    best = (error, j, threshold, ordered[:k], ordered[k:])
        if best is None:
            return mean
        _, j, threshold, left, right = best
        return (j, threshold, self._grow(left, rows, targets, depth + 1), self._grow(right, rows, targets, depth + 1))

    def predict_one(self, row):
        node = self.root
        while isinstance(node, tuple):
            j, threshold, left, right = node
            node = left if row[j] <= threshold else right
        return node


class RandomForest:
    """Bagged regression trees; `add_tree` grows the forest one tree at a time."""

    def __init__(self, max_depth, seed):
        self.trees = []
        self.max_depth = max_depth
        self.rng = random.Random(seed)

    def add_tree(self, rows, targets):
        sample = [self.rng.randrange(len(rows)) for _ in rows]
        tree = RegressionTree(self.max_depth, rng=random.Random(self.rng.random()))
        self.trees.append(tree.fit([rows[i] for i in sample], [targets[i] for i in sample]))

    def predict(self, rows):
        return [sum(t.predict_one(row) for t in self.trees) / len(self.trees) for row in rows]


class PricePredictor:
    """The model the demo logs: scaling, the fitted model and the price unit in one object, so
    `predict(rows)` takes raw feature rows and returns prices (what `python -m runlog.serve` calls)."""

    def __init__(self, scaler, model, price_scale, features):
        self.scaler = scaler
        self.model = model
        self.price_scale = price_scale
        self.features = list(features)

    def predict(self, rows):
        for row in rows:
            if not isinstance(row, (list, tuple)) or len(row) != len(self.features):
                raise ValueError("each row must hold %d numbers: %s" % (len(self.features), ", ".join(self.features)))
        scaled = self.scaler.transform([[float(x) for x in row] for row in rows])
        return [float(p) * self.price_scale for p in self.model.predict(scaled)] if rows else []
