"""Everything a person touches: the console language, the REPL and the Textual app."""
