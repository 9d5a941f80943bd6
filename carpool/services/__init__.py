"""Services: the site's rules. Views call one service function and render its result;
services take plain values, return plain values and raise their own errors."""
