"""Podium: a model registry and promotion service that speaks MLflow's protocol."""

__version__ = "0.1.0"
