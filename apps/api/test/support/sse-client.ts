export interface SseMessage {
  event: string;
  data: unknown;
}

export interface SseResult {
  status: number;
  headers: Headers;
  events: SseMessage[];
  /** The raw body (the problem+json text when the answer is not a stream). */
  text: string;
}

/** POSTs a JSON body and reads the whole Server-Sent Events answer. */
export async function readSse(
  url: string,
  body: unknown,
  token?: string,
  headers: Record<string, string> = {},
): Promise<SseResult> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}), ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, events: parseSse(text), text };
}

export function parseSse(text: string): SseMessage[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '' && !block.startsWith(':'))
    .map((block) => {
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      return { event, data: JSON.parse(data.join('\n')) as unknown };
    });
}
