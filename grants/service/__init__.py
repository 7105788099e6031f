"""The contract other services rely on: the public API, JSON models and the HTTP service."""
