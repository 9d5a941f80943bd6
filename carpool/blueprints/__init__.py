"""One blueprint per area of the site; views read input, call one service, render."""
