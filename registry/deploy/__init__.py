"""Deploy jobs' side of the registry: resolve `models:/` URIs, fetch a version's files through the
registry and verify every byte against the manifest recorded at registration."""
