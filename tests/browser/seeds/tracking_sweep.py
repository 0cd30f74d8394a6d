"""A small version of the founding sweep (reference/seed-workflow.md), logged by the stock `mlflow`
client against the server in MLFLOW_TRACKING_URI with MLFLOW_TRACKING_TOKEN.

Run as a script (a fresh process, as a training job would be, so the client's global state never
leaks into the tests): `python tracking_sweep.py <experiment> <model> <workdir>`. Four runs
(n_estimators x max_depth) each log two params, mse and r2_score, a `train_mse` curve over five
steps, a sklearn model and a PNG plot; the best run is registered. Prints one JSON line.
"""

from __future__ import annotations

import json
import os
import sys
import warnings

warnings.filterwarnings("ignore")


def sweep(experiment_name: str, model_name: str, workdir: str) -> dict[str, object]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import mlflow
    import mlflow.sklearn
    from sklearn.datasets import load_diabetes
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.metrics import mean_squared_error, r2_score
    from sklearn.model_selection import train_test_split

    data = load_diabetes()
    x_train, x_test, y_train, y_test = train_test_split(
        data.data, data.target, test_size=0.2, random_state=42
    )
    experiment_id = mlflow.set_experiment(experiment_name).experiment_id
    scores: dict[str, float] = {}
    for n_estimators in (5, 20):
        for max_depth in (3, None):
            with mlflow.start_run(run_name=f"rf-{n_estimators}-{max_depth}") as run:
                model = RandomForestRegressor(n_estimators=n_estimators, max_depth=max_depth, random_state=42)
                model.fit(x_train, y_train)
                y_pred = model.predict(x_test)
                mlflow.log_param("n_estimators", n_estimators)
                mlflow.log_param("max_depth", max_depth)
                mlflow.log_metric("mse", mean_squared_error(y_test, y_pred))
                r2 = float(r2_score(y_test, y_pred))
                mlflow.log_metric("r2_score", r2)
                # A training curve: the test error of the first k trees, k growing over five steps.
                for step in range(5):
                    k = max(1, (step + 1) * n_estimators // 5)
                    partial = sum(t.predict(x_test) for t in model.estimators_[:k]) / k
                    mlflow.log_metric("train_mse", mean_squared_error(y_test, partial), step=step)
                mlflow.sklearn.log_model(
                    model, name="random_forest_model", skops_trusted_types=["sklearn.tree._tree.Tree"]
                )
                plt.figure(figsize=(4, 3))
                plt.scatter(y_test, y_pred, alpha=0.6, color="blue")
                plt.xlabel("Actual")
                plt.ylabel("Predicted")
                plt.title(f"n={n_estimators}, depth={max_depth}")
                plot = os.path.join(workdir, "scatter_plot.png")
                plt.savefig(plot)
                plt.close()
                mlflow.log_artifact(plot)
                scores[run.info.run_id] = r2
    best = max(scores, key=lambda rid: scores[rid])
    version = mlflow.register_model(f"runs:/{best}/random_forest_model", model_name)
    return {"experiment_id": experiment_id, "r2": scores, "best": best, "version": version.version}


if __name__ == "__main__":
    print("RESULT " + json.dumps(sweep(sys.argv[1], sys.argv[2], sys.argv[3])))
