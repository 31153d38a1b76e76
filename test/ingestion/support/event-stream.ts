export interface ReceivedEvent {
  event: string;
  data: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  receivedAt: number;
}

export interface EventStream {
  status: number;
  contentType: string | null;
  events: ReceivedEvent[];
  /** Resolves with the first event (already received or coming) that matches. */
  waitFor(match: (e: ReceivedEvent) => boolean, timeoutMs?: number): Promise<ReceivedEvent>;
  /** Resolves when the stream ended (the server closed it, or close() was called). */
  ended(timeoutMs?: number): Promise<void>;
  isEnded(): boolean;
  close(): void;
}

/** A minimal text/event-stream reader over fetch, as a browser's EventSource would see the stream. */
export async function openEventStream(url: string, headers: Record<string, string>): Promise<EventStream> {
  const controller = new AbortController();
  const res = await fetch(url, { headers: { ...headers, Accept: 'text/event-stream' }, signal: controller.signal });
  const events: ReceivedEvent[] = [];
  const waiters: Array<{ match: (e: ReceivedEvent) => boolean; resolve: (e: ReceivedEvent) => void }> = [];
  const deliver = (e: ReceivedEvent): void => {
    events.push(e);
    for (const w of [...waiters]) {
      if (w.match(e)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(e);
      }
    }
  };
  let isEnded = false;
  let markEnded = (): void => undefined;
  const endedPromise = new Promise<void>((resolve) => (markEnded = resolve));
  if (res.body && res.status === 200) {
    void (async () => {
      const decoder = new TextDecoder();
      let buffer = '';
      try {
        for await (const piece of res.body as unknown as AsyncIterable<Uint8Array>) {
          buffer += decoder.decode(piece, { stream: true });
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            let event = 'message';
            const data: string[] = [];
            for (const line of block.split('\n')) {
              if (line.startsWith('event:')) event = line.slice(6).trim();
              else if (line.startsWith('data:')) data.push(line.slice(5).trim());
            }
            if (data.length) deliver({ event, data: JSON.parse(data.join('\n')), receivedAt: Date.now() });
          }
        }
      } catch {
        // closed
      } finally {
        isEnded = true;
        markEnded();
      }
    })();
  }
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    events,
    waitFor: (match, timeoutMs = 60_000) => {
      const found = events.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(new Error(`no matching event within ${timeoutMs} ms; got ${events.map((e) => e.event).join(', ')}`)),
          timeoutMs,
        );
        waiters.push({
          match,
          resolve: (e) => {
            clearTimeout(timer);
            resolve(e);
          },
        });
      });
    },
    ended: (timeoutMs = 60_000) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(`the stream did not end within ${timeoutMs} ms; got ${events.map((e) => e.event).join(', ')}`),
            ),
          timeoutMs,
        );
        void endedPromise.then(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
    isEnded: () => isEnded,
    close: () => controller.abort(),
  };
}
