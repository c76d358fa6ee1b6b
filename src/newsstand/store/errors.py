"""What can stop a store from being used; each message names the store and what to do."""


class StoreError(Exception):
    """The store cannot be used; the message names the file and what to do."""


class StoreBusy(StoreError):
    """Another newsstand process holds the store."""
