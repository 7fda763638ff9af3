"""Reading, counting and writing records: one module per tool; ``_writing`` holds what the write tools share."""
