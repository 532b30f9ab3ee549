"""Handlers, one module per flow."""
