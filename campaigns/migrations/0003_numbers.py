"""Earning rules, sessions and events get a stable integer number (core.numbers): the ids
Talon.One's SDK types as integers (campaignId, a session's and an event's id)."""

from django.db import migrations

from core.numbers import numbered


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_numbers"),
        ("campaigns", "0002_session_state_history"),
    ]

    operations = [
        *numbered("earningrule", "campaigns_earningrule"),
        *numbered("customersession", "campaigns_customersession"),
        *numbered("customerevent", "campaigns_customerevent"),
    ]
