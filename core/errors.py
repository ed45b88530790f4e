"""One exception type for every problem a user can fix.

CLIs and the dashboard print `GapWatchError` as a single line (no traceback):
the message must name the file, key or line and say what is wrong.
"""


class GapWatchError(Exception):
    """A problem with input or state that the user can act on."""


class DatabaseBusy(GapWatchError):
    """Another GapWatch writer held the warehouse for longer than we wait."""
