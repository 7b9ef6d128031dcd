"""todo: a command-line todo and chat-log manager on SQLite or Neon PostgreSQL."""

__version__ = "0.1.0"
