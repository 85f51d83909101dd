"""One screen per file: project, coding, quotes, summary, comparison."""
