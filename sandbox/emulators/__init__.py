"""HTTP emulators of the three vendor APIs. Each module builds one Starlette app from a dataset."""
