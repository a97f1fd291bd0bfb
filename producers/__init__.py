"""Event sources: synthetic TV fleet, catalog loader, MovieLens replay."""
