"""Python client for the registry. Deploy side: `fetch_model` and `load_model` (the latter needs the
`serve` extra: `pip install 'podium[serve]'`)."""

from registry.deploy.fetch import FetchedModel, fetch_model
from registry.scoring.loading import LoadedModel, load_model

__all__ = ["FetchedModel", "LoadedModel", "fetch_model", "load_model"]
