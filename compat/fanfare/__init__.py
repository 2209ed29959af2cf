"""Fanfare's audience API (seed 000), mounted at /compat/fanfare/api/: its paths and camelCase
bodies onto the services our own API calls (`Authorization: Bearer <key>`, our keys)."""
