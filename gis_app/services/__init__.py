"""Services: the units of work the API and CLI call; they own transactions."""
