"""meeting-bot: the paperwork of recurring working-group meetings."""
