//! File-name conventions of Microsoft update packages and patches. STUB: being written.
