"""The site's APIs: its own JSON API (``v1``) and the French "standard covoiturage"."""
