"""Pure planners and policies: no I/O, no clock, no async."""
