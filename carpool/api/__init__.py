"""Programming interfaces of the site, for partners' software rather than people."""
