"""The only writer: dist/ files, the manifest, editions and the archive, the site."""
