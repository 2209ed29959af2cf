from core.hooks import Hook

organization_created = Hook(
    "organizations.organization_created",
    """Called with `organization` inside the creating transaction, once the row exists (the
    memberships app gives it its system "All members" group).""",
)
