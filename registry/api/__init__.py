"""HTTP adapters: thin layers that parse, call one service, and serialise."""
