"""Reading other tools' chat logs (and our own export) into plain records, for `todo chat import`.

Pure parsing: no database, no CLI. One call gives the conversations of a file::

    from todo_cli.chat_formats import read_conversations
    for conv in read_conversations("conversations.json"):   # or "-", a .zip, a logs.db
        ...

`open_chats(path)` gives the same with the detected `format` and a `progress()` for a bar.
Everything the readers cannot accept raises `todo_cli.errors.BadInput` with one line that names
where (`conversation 12 ("Trip"), message 3: ...`); nothing is yielded past a bad record, but the
records before it have been, so an importer that wants all or nothing writes in one transaction.
"""

from .reader import CHOICES, ChatImport, detect_format, open_chats, read_conversations
from .records import FORMATS, ROLES, ImportedConversation, ImportedMessage

__all__ = [
    "CHOICES",
    "FORMATS",
    "ROLES",
    "ChatImport",
    "ImportedConversation",
    "ImportedMessage",
    "detect_format",
    "open_chats",
    "read_conversations",
]
