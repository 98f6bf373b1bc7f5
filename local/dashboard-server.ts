import { createServer, type Server } from 'node:http';

import type { MetricsSource } from '../lambdas/runtime/metrics/metrics-report';
import { renderDashboardPage } from './dashboard-page';

/**
 * Serves the local dashboard: the page at `/` and the figures it plots at `/metrics`, in the
 * shape of `GET /metrics`. Only `npm start` runs it, on loopback.
 */
export function createDashboardServer(source: MetricsSource, serverNames: readonly string[]): Server {
  const page = renderDashboardPage();
  return createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (request.method !== 'GET') {
      response.writeHead(405, { 'content-type': 'application/json', allow: 'GET' });
      response.end(JSON.stringify({ error: { code: 'method_not_allowed', message: `${request.method} is not allowed.`, fix: 'Use GET.' } }));
      return;
    }
    if (path === '/') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      response.end(page);
      return;
    }
    if (path === '/metrics') {
      void source.read(serverNames).then(
        (report) => {
          response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
          response.end(JSON.stringify(report));
        },
        (error: unknown) => {
          response.writeHead(500, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ error: { code: 'internal_error', message: String(error), fix: 'Read the error printed by npm start.' } }));
        },
      );
      return;
    }
    response.writeHead(404, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ error: { code: 'route_not_found', message: `No route for GET ${path}.`, fix: 'Use GET / or GET /metrics.' } }));
  });
}
