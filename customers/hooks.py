from core.hooks import Hook

profiles_created = Hook(
    "customers.profiles_created",
    """Called with `organization` and `profile_ids` (profiles just created) inside the creating
    transaction, after the rows are written (e.g. to queue the welcome rules of a program).""",
)

customer_data_exported = Hook(
    "customers.customer_data_exported",
    """Called with `profile`; each handler answers a dict of sections (e.g. {"loyalty": …}) of
    what its app holds on the customer, for the customer's data export (GDPR access).""",
)

personal_data_erased = Hook(
    "customers.personal_data_erased",
    """Called with `profile` and `identifiers` (its integration_id, email and mobile number as
    they were) inside the erasing transaction, before they are blanked, so that copies kept
    elsewhere (stored import files) are scrubbed too.""",
)

profile_page_sections = Hook(
    "customers.profile_page_sections",
    """Called with `profile`; each handler answers a list of `(title, html)` sections that its
    app shows on the profile's admin page (html already escaped, e.g. by render_to_string).""",
)
