"""CSV imports into an audience: read, validate and write in chunks, resumably.

A file is read twice, streaming (memory stays flat with its size):
1. a check pass: encoding, CSV shape and the header, and the row count (`total`); a file that
   fails here changes nothing;
2. the import pass, in chunks of CHUNK_SIZE rows. Each chunk is one transaction: bad rows are
   recorded ({row, issues}), the good ones upsert their profiles (by integration_id) and get
   an `import` membership, and the import's counters and `chunks_done` move on. After a crash,
   running the import again skips the committed chunks, so nothing is duplicated or lost;
   while it runs it stamps a heartbeat, and beat queues it again within minutes when the
   heartbeat stops (`audiences.recovery`).

Modules: `reader` (the file: layout, records, the check pass, one row's check), `writers` (one
chunk: the PostgreSQL COPY/merge path, the portable path, the "seen" bookkeeping) and `runner`
(start, run, finish and cancel an import).
"""

# what the API, admin, tasks and bench/imports.py call (tests patch the modules themselves:
# `runner.CHUNK_SIZE`, `runner.write_chunk`)
from .runner import CHUNK_SIZE, archive_import, cancel_import, run_import, start_import
from .writers import merge_import_chunk, prepare_import_chunk

__all__ = [
    "CHUNK_SIZE",
    "archive_import",
    "cancel_import",
    "merge_import_chunk",
    "prepare_import_chunk",
    "run_import",
    "start_import",
]
