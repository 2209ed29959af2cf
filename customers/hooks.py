from core.hooks import Hook

profiles_deleting = Hook(
    "customers.profiles_deleting",
    """Called with `profiles` (a queryset) inside the deleting transaction, just before the
    rows go. A handler returns a callable to run once they are gone (e.g. to recount the
    groups they were in), or None.""",
)
