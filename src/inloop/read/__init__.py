"""Reading: inloop.toml, front matter, Markdown and the content files, into the model."""
