"""Staff pages of the campaigns app, one module a job:

- rules.py: earning rules, inline on the loyalty program's page (plugged into
  `loyalty.admin.programs`' extension point; loyalty does not import campaigns);
- try_rules.py: a program's "try the rules" page: a dry-run session close, nothing saved;
- sessions.py: customer sessions and events, read-only, with their items and effects.

Every write goes through `campaigns.services`, like the API.
"""

from . import rules, sessions, try_rules

__all__ = ["rules", "sessions", "try_rules"]
