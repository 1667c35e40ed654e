"""Why a step of a region move failed: a message for the move's log (no personal data in it)."""


class MoveError(Exception):
    """A step cannot go on; the move stops at that step, to be resumed."""
