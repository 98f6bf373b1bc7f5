// Local defaults: quiet logs, and no EMF documents on stdout. Set the variables to override.
// This module is imported first by start.ts, because the runtime reads them when it loads.
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
