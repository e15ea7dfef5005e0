"""(filled in by its family; see ops/)."""
