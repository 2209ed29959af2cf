from core.hooks import Hook

profiles_created = Hook(
    "customers.profiles_created",
    """Called with `organization` and `profile_ids` (profiles just created) inside the creating
    transaction, after the rows are written (e.g. to queue the welcome rules of a program).""",
)
