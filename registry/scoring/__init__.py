"""Running registered models: load MLflow-format models without mlflow, score them over REST
(`podium serve`) and in batch (`podium predict`).

Everything here except `mlmodel` needs the `serve` extra (numpy, pandas, scikit-learn, skops,
cloudpickle); the registry server itself never imports this package.
"""
