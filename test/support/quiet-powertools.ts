// Keeps test output readable: no log lines or EMF documents unless a test sets these variables itself.
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
