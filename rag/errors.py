"""The errors the product reports to people; each carries a message that says what to do.

The CLI maps them to exit codes: 1 for an inconsistent index (`rag index verify`), 2 for bad
input, 3 for a missing model or index, 4 when another process is writing the index, 130 when
interrupted.
"""


class RagError(Exception):
    """Base for errors shown to the user as a message, never as a traceback."""

    exit_code = 1


class BadInput(RagError):
    """The user's input (a question, a file) cannot be used."""

    exit_code = 2


class ModelMissing(RagError):
    """A model file is absent or corrupt; the message names the install command."""

    exit_code = 3


class IndexMissing(RagError):
    """No usable index; the message names the build command."""

    exit_code = 3


class IndexBusy(RagError):
    """Another process holds the index's write lock; nothing was changed."""

    exit_code = 4


class LLMUnavailable(RagError):
    """The remote generation server (`--backend openai`) cannot be reached or answered badly;
    the message names its URL and what to do."""

    exit_code = 3
