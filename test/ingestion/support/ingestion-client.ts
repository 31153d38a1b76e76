import request from 'supertest';
import { loginAsAdmin } from '../../support/auth-helpers';
import type { TestApp } from '../../support/test-app';

export { CORPUS_DIR } from '../../support/corpus-dir';

export interface UploadFile {
  name: string;
  data: Buffer;
}

export interface DocumentBody {
  id: string;
  knowledgeBaseId: string;
  filename: string;
  mimeType: string;
  status: string;
  progress: number;
  statusDetail: string | null;
  pageCount: number | null;
  chunkCount: number;
  version: number;
  error: { code: string; message: string } | null;
}

export interface ChunkBody {
  id: string;
  ordinal: number;
  title: string;
  content: string;
  pageFrom: number | null;
  pageTo: number | null;
  location: { kind: 'slide' | 'chapter' | 'rows'; from: number; to: number; sheet?: string } | null;
  enabled: boolean;
}

/** Control characters cannot stand in a header as they are; RFC 5987 encoding carries them. */
function dispositionName(name: string): string {
  return /[\u0000-\u001f]/.test(name) ? `filename*=UTF-8''${encodeURIComponent(name)}` : `filename="${name}"`;
}

/** The REST calls an ingestion test makes, as a signed-in user's client would. */
export class IngestionClient {
  constructor(
    readonly url: string,
    readonly headers: Record<string, string>,
  ) {}

  static async signIn(t: TestApp): Promise<IngestionClient> {
    return new IngestionClient(t.url, (await loginAsAdmin(t)).headers);
  }

  get(path: string): request.Test {
    return request(this.url).get(path).set(this.headers);
  }

  post(path: string): request.Test {
    return request(this.url).post(path).set(this.headers);
  }

  patch(path: string): request.Test {
    return request(this.url).patch(path).set(this.headers);
  }

  delete(path: string): request.Test {
    return request(this.url).delete(path).set(this.headers);
  }

  async createKnowledgeBase(
    body: Record<string, unknown> = {},
  ): Promise<{ id: string; slug: string; embeddingDimension: number }> {
    const res = await this.post('/api/knowledge-bases').send({
      name: `test ${Math.random().toString(36).slice(2, 8)}`,
      ...body,
    });
    if (res.status !== 201) throw new Error(`create knowledge base: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  upload(knowledgeBaseId: string, files: UploadFile[], field = 'files'): request.Test {
    let req = this.post(`/api/knowledge-bases/${knowledgeBaseId}/documents`);
    for (const file of files) req = req.attach(field, file.data, { filename: file.name });
    return req;
  }

  /**
   * Uploads with a multipart body written by hand: form-data (under supertest) strips directories from
   * file names and would hide what a hostile client can send.
   */
  uploadRaw(knowledgeBaseId: string, files: UploadFile[], field = 'files'): request.Test {
    const boundary = `----zhiku${Math.random().toString(16).slice(2)}`;
    const parts = files.map((file) =>
      Buffer.concat([
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; ${dispositionName(file.name)}\r\nContent-Type: application/octet-stream\r\n\r\n`,
        ),
        file.data,
        Buffer.from('\r\n'),
      ]),
    );
    const body = Buffer.concat([...parts, Buffer.from(`--${boundary}--\r\n`)]);
    return this.post(`/api/knowledge-bases/${knowledgeBaseId}/documents`)
      .set('Content-Type', `multipart/form-data; boundary=${boundary}`)
      .send(body);
  }

  /** Uploads and returns the documents, failing loudly on anything but 202. */
  async uploadOk(
    knowledgeBaseId: string,
    files: UploadFile[],
  ): Promise<Array<{ id: string; filename: string; status: string; duplicate: boolean }>> {
    const res = await this.upload(knowledgeBaseId, files);
    if (res.status !== 202) throw new Error(`upload: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.documents;
  }

  /** GET a file route; resolves with the response, whose body is the bytes. */
  download(path: string): request.Test {
    return this.get(path)
      .buffer(true)
      .parse((r, cb) => {
        const parts: Buffer[] = [];
        r.on('data', (c: Buffer) => parts.push(c));
        r.on('end', () => cb(null, Buffer.concat(parts)));
      });
  }

  async document(id: string): Promise<DocumentBody> {
    const res = await this.get(`/api/documents/${id}`);
    if (res.status !== 200) throw new Error(`document ${id}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  /** Polls until the document is ready or failed (or `until` holds). */
  async waitFor(
    id: string,
    until: (doc: DocumentBody) => boolean = (d) => d.status === 'ready' || d.status === 'failed',
    timeoutMs = 90_000,
  ): Promise<DocumentBody> {
    const deadline = Date.now() + timeoutMs;
    let doc = await this.document(id);
    while (!until(doc)) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for document ${id}: ${JSON.stringify(doc)}`);
      await new Promise((r) => setTimeout(r, 150));
      doc = await this.document(id);
    }
    return doc;
  }

  async allChunks(documentId: string): Promise<ChunkBody[]> {
    const chunks: ChunkBody[] = [];
    for (let page = 1; ; page++) {
      const res = await this.get(`/api/documents/${documentId}/chunks?page=${page}&pageSize=200`);
      if (res.status !== 200) throw new Error(`chunks: ${res.status} ${JSON.stringify(res.body)}`);
      chunks.push(...res.body.items);
      if (chunks.length >= res.body.total || !res.body.items.length) return chunks;
    }
  }
}
