"""Parsers: each is a function from one raw file to a tidy table with cell-level provenance.

A parser fails loudly on a layout it does not know (ParseError names the file, the sheet and the label it
expected). `parse_file` sniffs the container by magic bytes and dispatches to the right parser.
"""
