// Hosts the official MCP reference server (@modelcontextprotocol/server-everything) over
// Streamable HTTP on loopback only. Its own launcher listens on every interface, and its
// `get-env` tool returns the whole environment, so the parent starts this script with an
// environment that contains no credentials.
//
// Usage: node local/everything-server.mjs [port]   (port 0, the default, picks a free one)
// Prints one JSON line, {"url":"http://127.0.0.1:PORT/mcp"}, once it is listening.
import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer } from 'node:http';

import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createServer as createEverythingServer } from '@modelcontextprotocol/server-everything/dist/server/index.js';

const HOST = '127.0.0.1';
const MCP_PATH = '/mcp';

/** Open sessions by `Mcp-Session-Id`. */
const sessions = new Map();

function sendJsonRpcError(res, status, message) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }));
}

async function openSession(req, res) {
  const { server, cleanup } = createEverythingServer();
  const transport = new StreamableHTTPServerTransport({
    sessionIdGenerator: () => randomUUID(),
    onsessioninitialized: (sessionId) => sessions.set(sessionId, { transport, cleanup }),
  });
  transport.onclose = () => {
    if (transport.sessionId !== undefined && sessions.delete(transport.sessionId)) {
      cleanup(transport.sessionId);
    }
  };
  await server.connect(transport);
  await transport.handleRequest(req, res);
}

const httpServer = createHttpServer(async (req, res) => {
  try {
    const url = new URL(req.url ?? '/', `http://${HOST}`);
    if (url.pathname !== MCP_PATH) {
      sendJsonRpcError(res, 404, `Not found: the MCP endpoint is ${MCP_PATH}`);
      return;
    }

    const sessionId = req.headers['mcp-session-id'];
    if (sessionId === undefined && req.method === 'POST') {
      await openSession(req, res);
      return;
    }
    const session = typeof sessionId === 'string' ? sessions.get(sessionId) : undefined;
    if (session === undefined) {
      // The status that the reference launcher sends for an unknown session.
      sendJsonRpcError(res, 400, 'Bad Request: No valid session ID provided');
      return;
    }
    await session.transport.handleRequest(req, res);
  } catch (error) {
    console.error('server-everything host: request failed:', error);
    if (!res.headersSent) {
      sendJsonRpcError(res, 500, 'Internal server error');
    }
  }
});

httpServer.listen(Number(process.argv[2] ?? 0), HOST, () => {
  const { port } = httpServer.address();
  process.stdout.write(`${JSON.stringify({ url: `http://${HOST}:${port}${MCP_PATH}` })}\n`);
});

async function shutDown() {
  for (const [sessionId, session] of sessions) {
    await session.transport.close().catch(() => undefined);
    session.cleanup(sessionId);
  }
  httpServer.close();
  // Open SSE streams can hold the server open; the parent waits for this exit.
  setTimeout(() => process.exit(0), 500).unref();
}

process.on('SIGTERM', shutDown);
process.on('SIGINT', shutDown);
// The parent closes this pipe when it exits, even if it was killed, so the child never outlives it.
process.stdin.on('end', shutDown);
process.stdin.resume();
