"""Predict house prices: Linear Regression against a Random Forest, tracked with Runlog.

Open this file in VS Code with Runlog and click "▶ Run with parameters…" above it. Try a sweep:
model = linear,forest or n_estimators = 10,30,60. Every run logs its parameters, RMSE and R² per
epoch (linear) or per tree (forest), the dataset's digest and the trained model, registers the model
as "house-prices" and gives it the alias "champion" when it beats the current champion's RMSE.

Runs with plain python3; uses scikit-learn instead of the pure-Python models when it is installed.
"""

import argparse
import os
import pickle
import shutil
import tempfile

import runlog

import data
import models

try:  # scikit-learn is optional: the demo has pure-Python models of its own.
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.linear_model import SGDRegressor

    HAVE_SKLEARN = True
except ImportError:
    HAVE_SKLEARN = False


def parse_args():
    parser = argparse.ArgumentParser(description="Train a house price model")
    parser.add_argument("--model", choices=["linear", "forest"], default="forest", help="which model to fit")
    parser.add_argument("--epochs", type=int, default=60, help="gradient descent epochs (linear)")
    parser.add_argument("--lr", type=float, default=0.05, help="learning rate (linear)")
    parser.add_argument("--n-estimators", type=int, default=20, help="number of trees (forest)")
    parser.add_argument("--max-depth", type=int, default=6, help="maximum tree depth (forest)")
    parser.add_argument("--seed", type=int, default=42, help="random seed")
    parser.add_argument("--no-promote", action="store_true",
                        help="register the model but leave the champion alias to CI (runlog promote)")
    return parser.parse_args()


def main():
    args = parse_args()
    features, prices = data.load()
    (train_x, train_y), (val_x, val_y) = data.split(features, prices)
    scaler = models.Scaler().fit(train_x)
    train_x, val_x = scaler.transform(train_x), scaler.transform(val_x)
    scale = 100_000  # prices in units of 100k keep gradient descent well-conditioned
    train_t = [y / scale for y in train_y]

    with runlog.start_run(experiment="house-prices"):
        runlog.set_tag("library", "scikit-learn" if HAVE_SKLEARN else "pure-python")
        runlog.log_input(data.CSV_PATH, name="houses")

        def report(step, model_predict):
            predicted = [p * scale for p in model_predict(val_x)]
            runlog.log_metrics({"rmse": models.rmse(val_y, predicted), "r2": models.r2(val_y, predicted)}, step=step)
            return predicted

        if args.model == "linear":
            if HAVE_SKLEARN:
                model = SGDRegressor(learning_rate="constant", eta0=args.lr / 10, random_state=args.seed)
                for epoch in range(args.epochs):
                    model.partial_fit(train_x, train_t)
                    predicted = report(epoch, model.predict)
            else:
                model = models.LinearRegression(len(train_x[0]), args.lr)
                for epoch in range(args.epochs):
                    model.epoch(train_x, train_t)
                    predicted = report(epoch, model.predict)
        else:
            if HAVE_SKLEARN:
                model = RandomForestRegressor(
                    n_estimators=0, max_depth=args.max_depth, warm_start=True, random_state=args.seed
                )
                for trees in range(1, args.n_estimators + 1):
                    model.set_params(n_estimators=trees)
                    model.fit(train_x, train_t)
                    predicted = report(trees, model.predict)
            else:
                model = models.RandomForest(args.max_depth, args.seed)
                for trees in range(1, args.n_estimators + 1):
                    model.add_tree(train_x, train_t)
                    predicted = report(trees, model.predict)

        print("validation RMSE %.0f, R² %.3f" % (models.rmse(val_y, predicted), models.r2(val_y, predicted)))
        log_and_register(models.PricePredictor(scaler, model, scale, data.FEATURES), models.rmse(val_y, predicted),
                         promote=not args.no_promote)


def log_and_register(predictor, rmse, promote=True):
    """Logs the model, registers it as "house-prices", and makes it the champion if it beats the
    current champion's validation RMSE (read from the champion's run). With promote=False the
    champion is left to a CI step (`runlog check` and `runlog promote`, see examples/ci/)."""
    with tempfile.TemporaryDirectory() as folder:  # one per run: sweeps may run in parallel
        with open(os.path.join(folder, "model.pkl"), "wb") as handle:
            pickle.dump(predictor, handle)
        # The pickle names models.PricePredictor: the model carries that module (MLflow's code/ folder).
        os.makedirs(os.path.join(folder, "code"))
        shutil.copy(models.__file__, os.path.join(folder, "code", "models.py"))
        logged = runlog.log_model(
            folder,
            flavor="sklearn" if HAVE_SKLEARN else "pickle",
            signature={"inputs": [{"name": name, "type": "double"} for name in data.FEATURES]},
            input_example={"dataframe_split": {"columns": data.FEATURES, "data": [[120.0, 3, 15.0, 4.5]]}},
        )
    version = runlog.register_model(logged, "house-prices", tags={"rmse": "%.0f" % rmse})
    if not promote:
        print("registered house-prices version %d (promotion left to CI)" % version.version)
        return
    while True:
        champion = runlog.get_model_version_by_alias("house-prices", "champion")
        best = runlog.get_run(champion.run_id).metrics.get("rmse") if champion else None
        if best is not None and rmse >= best:
            print("registered house-prices version %d; the champion stays version %d (RMSE %.0f)"
                  % (version.version, champion.version, best))
            return
        try:
            # Only if no other run of a parallel sweep moved the champion since we read it.
            runlog.set_alias("house-prices", "champion", version.version, current=champion and champion.version)
        except runlog.AliasMovedError:
            continue
        print("registered house-prices version %d: the new champion" % version.version)
        return


if __name__ == "__main__":
    main()
