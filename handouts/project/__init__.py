"""The project of one run: handouts.toml, clinics, languages, the theme in use."""
