"""The browser apps: thin Panel pages that wire settings, one session per tab, and the views together."""
