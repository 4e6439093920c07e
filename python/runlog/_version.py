"""The client's version and the journal format it writes.

``__version__`` is the extension's version (package.json): the two ship together and a test keeps
them equal. ``JOURNAL_FORMAT`` is the journal format of docs/JOURNAL.md that this client writes and
understands (``JOURNAL_FORMAT`` in src/store/events.ts).
"""

__version__ = "0.1.0"
JOURNAL_FORMAT = 5
