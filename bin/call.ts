#!/usr/bin/env node
/**
 * Calls the deployed function URL or REST API with a SigV4-signed request, using the caller's AWS
 * credentials from the default provider chain, and streams the response body to stdout.
 *
 *   npx tsx bin/call.ts https://abc.lambda-url.us-east-1.on.aws/ --data '{"queries":[...]}'
 *   npx tsx bin/call.ts https://abc.execute-api.us-east-1.amazonaws.com/v1/health
 */
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { parseArgs } from 'node:util';

import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

/** Services that a signed request can target, by the host name pattern that identifies them. */
const SERVICE_HOSTS = [
  { service: 'lambda', pattern: /\.lambda-url\.([a-z0-9-]+)\.on\.aws$/ },
  { service: 'execute-api', pattern: /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/ },
] as const;

/** Request and signing options parsed from the command line. */
export interface CallOptions {
  readonly url: URL;
  readonly method: string;
  readonly body?: string;
  readonly service: string;
  readonly region: string;
  readonly headers: Readonly<Record<string, string>>;
}

const USAGE = `Usage: npx tsx bin/call.ts URL [options]

Sends a SigV4-signed request to the function URL or the REST API and streams the response to stdout.

Options:
  -d, --data JSON      request body; the method becomes POST unless --method is given
  -f, --file PATH      read the request body from a file ("-" for stdin)
  -X, --method NAME    HTTP method (default: GET, or POST with a body)
  -H, --header K:V     extra request header, repeatable (for example "accept: text/event-stream")
      --service NAME   signing service: "lambda" or "execute-api" (default: taken from the URL's host)
      --region NAME    signing region (default: taken from the URL's host)
  -h, --help           print this help

Credentials come from the AWS SDK's default chain: environment, profile (AWS_PROFILE), SSO and others.`;

/**
 * Parses the command line into call options.
 * @throws Error naming the invalid argument and the fix
 */
export function parseCallArguments(argv: readonly string[]): CallOptions | 'help' {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      data: { type: 'string', short: 'd' },
      file: { type: 'string', short: 'f' },
      method: { type: 'string', short: 'X' },
      header: { type: 'string', short: 'H', multiple: true },
      service: { type: 'string' },
      region: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    return 'help';
  }
  if (positionals.length !== 1) {
    throw new Error(`expected one URL, got ${positionals.length} arguments (${positionals.join(' ') || 'none'}); see --help.`);
  }

  let url: URL;
  try {
    url = new URL(positionals[0]);
  } catch {
    throw new Error(`"${positionals[0]}" is not a URL; pass the FunctionUrl or ApiUrl output of the stack.`);
  }
  if (values.data !== undefined && values.file !== undefined) {
    throw new Error('--data and --file both give a body; pass one of them.');
  }

  let body = values.data;
  if (values.file !== undefined) {
    // "-" reads the body from stdin, whose file descriptor is 0.
    body = readFileSync(values.file === '-' ? 0 : values.file, 'utf8');
  }
  const detected = SERVICE_HOSTS.map(({ service, pattern }) => ({ service, region: pattern.exec(url.hostname)?.[1] })).find(
    (match) => match.region !== undefined,
  );
  const service = values.service ?? detected?.service;
  const region = values.region ?? detected?.region;
  if (service === undefined || region === undefined) {
    throw new Error(
      `cannot tell the signing service and region from host "${url.hostname}"; pass --service lambda|execute-api and --region NAME.`,
    );
  }

  return {
    url,
    method: (values.method ?? (body === undefined ? 'GET' : 'POST')).toUpperCase(),
    body,
    service,
    region,
    headers: parseHeaders(values.header ?? []),
  };
}

function parseHeaders(lines: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const separator = line.indexOf(':');
    if (separator <= 0) {
      throw new Error(`header "${line}" has no name; write it as "name: value".`);
    }
    headers[line.slice(0, separator).trim().toLowerCase()] = line.slice(separator + 1).trim();
  }
  return headers;
}

/** Signs the request with SigV4 for the options' service and region. */
export async function signRequest(options: CallOptions): Promise<HttpRequest> {
  const headers: Record<string, string> = { host: options.url.host, ...options.headers };
  if (options.body !== undefined) {
    headers['content-type'] ??= 'application/json';
  }
  const query = Object.fromEntries(options.url.searchParams.entries());
  const request = new HttpRequest({
    protocol: options.url.protocol,
    hostname: options.url.hostname,
    port: options.url.port === '' ? undefined : Number(options.url.port),
    method: options.method,
    path: options.url.pathname,
    query,
    headers,
    body: options.body,
  });

  const signer = new SignatureV4({
    credentials: fromNodeProviderChain(),
    region: options.region,
    service: options.service,
    sha256: Hash.bind(null, 'sha256'),
  });
  return (await signer.sign(request)) as HttpRequest;
}

/**
 * Sends the signed request and pipes the response body to `output` as it arrives.
 * @returns the HTTP status code
 */
export function sendRequest(options: CallOptions, signed: HttpRequest, output: NodeJS.WritableStream): Promise<number> {
  const transport = options.url.protocol === 'http:' ? http : https;
  return new Promise((resolve, reject) => {
    const request = transport.request(
      options.url,
      { method: signed.method, headers: signed.headers },
      (response) => {
        response.on('error', reject);
        response.on('end', () => resolve(response.statusCode ?? 0));
        response.pipe(output, { end: false });
      },
    );
    request.on('error', reject);
    request.end(options.body);
  });
}

async function main(): Promise<void> {
  const options = parseCallArguments(process.argv.slice(2));
  if (options === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }

  const signed = await signRequest(options);
  const status = await sendRequest(options, signed, process.stdout);
  if (status >= 400) {
    process.stderr.write(`\nHTTP ${status} from ${options.url.href}\n`);
    process.exitCode = 1;
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`call failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
