"""The no-wrong-door contract shared by every LAPOR-Hub service.

Event names and payload schemas, the tracking-ID format, the error format, and the
dependency providers every service uses (store, outbox relay, metrics). Imports no service.
"""
