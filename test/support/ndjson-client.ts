/** One parsed NDJSON event with the time it arrived, in ms since the request was sent. */
export interface ReceivedEvent {
  readonly event: Record<string, unknown> & { type: string };
  readonly receivedAtMs: number;
}

/** A streamed response: status, headers and the events in arrival order. */
export interface StreamedResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly events: ReceivedEvent[];
  /** Body text, for responses that are not NDJSON. */
  readonly text: string;
}

/** Posts a JSON body and reads the NDJSON response line by line as it arrives. */
export async function postForEvents(url: string, body: unknown): Promise<StreamedResponse> {
  const sentAt = performance.now();
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

  const events: ReceivedEvent[] = [];
  const decoder = new TextDecoder();
  let text = '';
  let pending = '';
  for await (const chunk of response.body!) {
    const decoded = decoder.decode(chunk, { stream: true });
    text += decoded;
    pending += decoded;
    let newline = pending.indexOf('\n');
    while (newline >= 0) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      if (line.trim() !== '') {
        events.push({ event: JSON.parse(line), receivedAtMs: performance.now() - sentAt });
      }
      newline = pending.indexOf('\n');
    }
  }
  return { status: response.status, headers: response.headers, events, text };
}
