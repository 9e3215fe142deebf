"""Saving and opening labs: the portable lab file, the crash-safe lab store and durable mode."""
