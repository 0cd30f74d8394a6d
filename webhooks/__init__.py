"""Webhooks: events to signed deliveries (outbox relay, dispatcher, signing, retries, SSRF guard)."""
