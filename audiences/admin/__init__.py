"""Staff pages for audiences, one module per area: `audience` (audiences with their rules,
sync sources and refresh log inline, "refresh now", a dry-run preview, the import upload),
`membership` (members with search), `group` (groups and the form that creates loyalty-tier
audiences) and `audience_import` (imports, their progress and errors). Writes go through
services. Importing the modules registers their admins."""

from . import audience, audience_import, group, membership  # noqa: F401
