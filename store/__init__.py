"""The store: the one DuckDB file per worker, and everything that opens,
writes, derives or serves it.

Capture, the importers and the demo write through it; the query layer and the
dashboard read through it (:func:`store.client.read`). It imports nothing
above it. Its modules:

- ``paths``: where the database, its lock, log and socket live
- ``schema``: the stored vocabulary and the versioned migrations
- ``db``: opening safely (corrupt files set aside, locks explained), the daemon's handle
- ``attach``, ``keys``: every file opened encrypted (ATTACH with its key), and the key kept owner-only
- ``txn``: ``transaction(con)``
- ``batches``: idempotent batch writes, the only way rows get in
- ``derive``: incremental upkeep of the derived tables
- ``consent``, ``categories``: the consent ledger and the category rules
- ``retention``, ``deletion``, ``compact``: purging expired rows, deleting at the
  worker's request, and compacting the file so the deleted bytes leave it
- ``catalog``, ``statements``: named SQL; the store's own lives in ``store/sql``
- ``events``: the event tuples capture queues and their Arrow form
- ``protocol``, ``server``, ``client``: the daemon's private socket, and reading
  the file whether the daemon runs or not
"""

from importlib import import_module

# Where each name below lives. They are imported on first use, not here: a
# process that only reads (python -m queries) must not pay for pyarrow's
# compute kernels, the consent ledger and the batch writer it never calls.
_FROM = {
    **dict.fromkeys(("known_batches", "new_batch_id", "write_batch", "write_batches"), "batches"),
    "edit_category_rules": "categories",
    **dict.fromkeys(("consent_given", "find_text", "latest_consent", "mark_withdrawal", "record_consent",
                     "register_text", "settle_withdrawal", "text_version", "withdraw"), "consent"),
    **dict.fromkeys(("DEMO_REFUSED", "Database", "is_demo", "marked_demo", "needs_upgrade", "open_read_only",
                     "open_writable"), "db"),
    **dict.fromkeys(("CorruptError", "FileReplacedError", "FormatTooNewError", "KeyFileError", "KeyMissingError",
                     "LockedError", "SchemaTooNewError", "StoreError", "UnreadableError", "WrongKeyError"), "errors"),
    **dict.fromkeys(("transaction", "memory_limit"), "txn"),
}


def __getattr__(name: str):
    if name not in _FROM:
        raise AttributeError(f"module 'store' has no attribute {name!r}")
    value = getattr(import_module(f".{_FROM[name]}", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "CorruptError",
    "Database",
    "FileReplacedError",
    "FormatTooNewError",
    "KeyFileError",
    "KeyMissingError",
    "LockedError",
    "SchemaTooNewError",
    "StoreError",
    "UnreadableError",
    "WrongKeyError",
    "consent_given",
    "edit_category_rules",
    "DEMO_REFUSED",
    "is_demo",
    "marked_demo",
    "find_text",
    "known_batches",
    "latest_consent",
    "register_text",
    "text_version",
    "mark_withdrawal",
    "needs_upgrade",
    "new_batch_id",
    "open_read_only",
    "open_writable",
    "record_consent",
    "settle_withdrawal",
    "memory_limit",
    "transaction",
    "withdraw",
    "write_batch",
    "write_batches",
]
