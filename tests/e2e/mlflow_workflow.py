"""The founding training workflow (reference/seed-workflow.md), as a user would run it: stock
`mlflow` client, MLFLOW_TRACKING_URI pointing at the server, nothing else changed.

Run as a script so every step gets a fresh client process (as a training job and a deploy job
would): `python mlflow_workflow.py train <experiment> <model>` sweeps, registers the best run and
sets @champion; `python mlflow_workflow.py deploy <model>` loads models:/<model>@champion and
predicts. Each prints one JSON line with what it saw, for the test to check.
"""

from __future__ import annotations

import json
import os
import sys
import warnings

warnings.filterwarnings("ignore")


def train(experiment_name: str, model_name: str, workdir: str) -> dict[str, object]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import mlflow
    import mlflow.sklearn
    from mlflow import MlflowClient
    from sklearn.datasets import load_diabetes
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.metrics import mean_squared_error, r2_score
    from sklearn.model_selection import train_test_split

    data = load_diabetes()
    x_train, x_test, y_train, y_test = train_test_split(
        data.data, data.target, test_size=0.2, random_state=42
    )
    mlflow.set_experiment(experiment_name)
    scores: dict[str, float] = {}
    for n_estimators in (5, 20):
        for max_depth in (3, None):
            with mlflow.start_run() as run:
                model = RandomForestRegressor(n_estimators=n_estimators, max_depth=max_depth, random_state=42)
                model.fit(x_train, y_train)
                y_pred = model.predict(x_test)
                mse = mean_squared_error(y_test, y_pred)
                r2 = r2_score(y_test, y_pred)
                mlflow.log_param("n_estimators", n_estimators)
                mlflow.log_param("max_depth", max_depth)
                mlflow.log_metric("mse", mse)
                mlflow.log_metric("r2_score", r2)
                # skops 0.16 does not trust sklearn's Tree type by default (reference §12).
                mlflow.sklearn.log_model(
                    model, name="random_forest_model", skops_trusted_types=["sklearn.tree._tree.Tree"]
                )
                plt.figure(figsize=(3, 2))
                plt.scatter(y_test, y_pred, alpha=0.6)
                plot = os.path.join(workdir, "scatter_plot.png")
                plt.savefig(plot)
                plt.close()
                mlflow.log_artifact(plot)
                scores[run.info.run_id] = r2

    client = MlflowClient()
    experiment = client.get_experiment_by_name(experiment_name)
    assert experiment is not None
    best = client.search_runs(
        experiment_ids=[experiment.experiment_id], order_by=["metrics.r2_score DESC"], max_results=1
    )[0]
    all_runs = client.search_runs(experiment_ids=[experiment.experiment_id])
    mv = mlflow.register_model(f"runs:/{best.info.run_id}/random_forest_model", model_name)
    client.set_registered_model_alias(model_name, "champion", mv.version)
    champion = client.get_model_version_by_alias(model_name, "champion")
    artifacts = [f.path for f in client.list_artifacts(best.info.run_id)]
    return {
        "scores": scores,
        "best_run_id": best.info.run_id,
        "best_r2": best.data.metrics["r2_score"],
        "best_params": best.data.params,
        "run_count": len(all_runs),
        "version": mv.version,
        "champion_version": champion.version,
        "champion_run_id": champion.run_id,
        "champion_source": champion.source,
        "run_artifacts": artifacts,
    }


def deploy(model_name: str) -> dict[str, object]:
    import mlflow.pyfunc
    from sklearn.datasets import load_diabetes

    model = mlflow.pyfunc.load_model(f"models:/{model_name}@champion")
    prediction = model.predict(load_diabetes().data[:3])
    return {"predictions": [float(p) for p in prediction]}


def main() -> None:
    mode = sys.argv[1]
    if mode == "train":
        result = train(sys.argv[2], sys.argv[3], sys.argv[4])
    elif mode == "deploy":
        result = deploy(sys.argv[2])
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
