"""In-process HTTP doubles of the remote services the bot talks to (see README.md)."""
