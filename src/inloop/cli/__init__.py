"""The command line: one module per command family, thin over the pipeline."""
