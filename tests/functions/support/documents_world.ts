/**
 * A test world for the document functions: the common world (database, AI fakes) plus Storage's object API
 * (keeping storage.objects rows in the test database), Google Vision and Translation, and the embeddings APIs;
 * the `documents` bucket as guide 002 declares it; and helpers to upload a file through document-upload and to
 * run the worker on one document.
 *
 *   await using docs = await startDocumentsWorld();
 *   const user = await docs.createUser();
 *   const document = await docs.upload(user, { fileName: "passport.png", mimeType: "image/png", text: "..." });
 *   await docs.process(document.id);
 */
import { createHandler as createProcessor } from "../../../functions/document-processor/handler.ts";
import { createHandler as createUpload } from "../../../functions/document-upload/handler.ts";
import { type FakeEmbeddings, startFakeEmbeddings, TEST_EMBEDDING_KEYS } from "./fake_embeddings.ts";
import { type FakeGoogle, startFakeGoogle, TEST_GOOGLE_KEYS } from "./fake_google.ts";
import { type FakeStorageApi, startFakeStorageApi } from "./fake_storage_api.ts";
import { serviceRoleKey } from "./jwt.ts";
import { request, startWorld, type TestUser, type TestWorld } from "./world.ts";

export const DOCUMENT_TYPES = [
  "application/pdf",
  "image/jpeg",
  "image/png",
  "image/webp",
  "application/msword",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
];
export const DOCUMENT_SIZE_LIMIT = 52_428_800;

export interface UploadSpec {
  fileName: string;
  mimeType: string;
  /** The file's content as text (what the Vision fake will "read"); or `bytes`. */
  text?: string;
  bytes?: Uint8Array<ArrayBuffer>;
  tags?: string[];
  title?: string;
}

export interface DocumentsWorld extends TestWorld {
  storage: FakeStorageApi;
  google: FakeGoogle;
  embeddings: FakeEmbeddings;
  serviceKey: string;
  /** create -> PUT to the signed URL -> confirm, through document-upload; returns the confirmed document. */
  upload(user: TestUser, spec: UploadSpec): Promise<{ id: string; file_path: string; status: string }>;
  /** Runs document-processor (service key) on one document's job; returns its JSON answer. */
  process(documentId?: string, maxJobs?: number): Promise<Record<string, unknown>>;
}

export async function startDocumentsWorld(overrides: Record<string, string | undefined> = {}): Promise<DocumentsWorld> {
  const world = await startWorld();
  const storage = startFakeStorageApi(world.sql);
  const google = startFakeGoogle();
  const embeddings = startFakeEmbeddings();
  Object.assign(world.env, {
    SUPABASE_URL: storage.url,
    GOOGLE_VISION_API_KEY: TEST_GOOGLE_KEYS.vision,
    GOOGLE_VISION_BASE_URL: google.url,
    GOOGLE_TRANSLATE_API_KEY: TEST_GOOGLE_KEYS.translate,
    GOOGLE_TRANSLATE_BASE_URL: google.url,
    OPENAI_EMBEDDINGS_BASE_URL: embeddings.openaiBaseUrl,
    HUGGINGFACE_API_KEY: TEST_EMBEDDING_KEYS.huggingface,
    HUGGINGFACE_BASE_URL: embeddings.huggingfaceBaseUrl,
    EMBEDDING_TIMEOUT_MS: "2000",
    GOOGLE_VISION_TIMEOUT_MS: "2000",
    PROCESSOR_BACKOFF_SECONDS: "0",
  });
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete world.env[name];
    else world.env[name] = value;
  }
  await world.sql`
    insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
    values ('documents', 'documents', false, ${DOCUMENT_SIZE_LIMIT}, ${DOCUMENT_TYPES})
    on conflict (id) do update set file_size_limit = excluded.file_size_limit,
                                   allowed_mime_types = excluded.allowed_mime_types`;
  const serviceKey = await serviceRoleKey();
  const close = async () => {
    await Promise.all([storage.close(), google.close(), embeddings.close()]);
    await world.close();
  };
  return {
    ...world,
    storage,
    google,
    embeddings,
    serviceKey,
    async upload(user, spec) {
      const bytes = spec.bytes ?? new TextEncoder().encode(spec.text ?? "");
      const handler = createUpload(world.env);
      try {
        const created = await handler.fetch(request("document-upload", {
          token: user.token,
          body: {
            file_name: spec.fileName,
            mime_type: spec.mimeType,
            file_size: bytes.length,
            tags: spec.tags,
            title: spec.title,
          },
        }));
        const answer = await created.json();
        if (created.status !== 201) {
          throw new Error(`document-upload answered ${created.status}: ${JSON.stringify(answer)}`);
        }
        const put = await fetch(answer.upload.signed_url, {
          method: "PUT",
          headers: { "content-type": spec.mimeType },
          body: bytes as Uint8Array<ArrayBuffer>,
        });
        const putAnswer = await put.text();
        if (!put.ok || putAnswer.includes("statusCode")) throw new Error(`the upload was refused: ${putAnswer}`);
        const confirmed = await handler.fetch(request("document-upload", {
          token: user.token,
          body: { document_id: answer.document.id },
        }));
        const done = await confirmed.json();
        if (confirmed.status !== 200) {
          throw new Error(`confirming answered ${confirmed.status}: ${JSON.stringify(done)}`);
        }
        return done.document;
      } finally {
        await handler.close();
      }
    },
    async process(documentId, maxJobs) {
      const handler = createProcessor(world.env);
      try {
        const response = await handler.fetch(request("document-processor", {
          token: serviceKey,
          body: { ...(documentId ? { document_id: documentId } : {}), ...(maxJobs ? { max_jobs: maxJobs } : {}) },
        }));
        const body = await response.json();
        if (response.status !== 200) {
          throw new Error(`document-processor answered ${response.status}: ${JSON.stringify(body)}`);
        }
        return body;
      } finally {
        await handler.close();
      }
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
