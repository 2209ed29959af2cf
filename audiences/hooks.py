from core.hooks import Hook

audience_refreshed = Hook(
    "audiences.audience_refreshed",
    """Called with `audience_id` after a refresh of that audience has committed (automatic
    member groups follow it).""",
)
