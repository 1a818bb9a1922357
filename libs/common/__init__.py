"""Shared ground of every credit-village service: settings, database, events, auth, errors, PII.

Nothing here knows a domain rule of any one service.
"""
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
