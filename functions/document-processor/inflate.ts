/**
 * One entry of a zip (a .docx is one), inflated as a stream under two caps: its inflated size and its ratio to
 * the compressed bytes. A 0.41 MB .docx whose word/document.xml inflates to 300 MB ended the worker (256 MB under
 * the edge runtime) when it was read whole with unzipSync, and the job was retried five times. Here the archive
 * is fed to fflate's streaming Unzip in small slices, each slice's output is counted as it arrives, and the first
 * byte past a cap stops the inflation: at most one slice's output (MAX_SLICE_OUTPUT) is ever held beyond the cap.
 */
import { Unzip, type UnzipFile, UnzipInflate } from "npm:fflate@0.8.2";
import { type Env, envInt } from "../_shared/env.ts";
import { UnprocessableDocument } from "./errors.ts";

export interface InflateCaps {
  /** Most bytes one entry may inflate to. */
  maxBytes: number;
  /** Most inflated bytes per compressed byte. */
  maxRatio: number;
}

/** Refused for good: the same file breaks the same cap on every attempt, so it is dead-lettered at once. */
export class DecompressionCapExceeded extends UnprocessableDocument {
  constructor(message: string) {
    super(message);
    this.name = "DecompressionCapExceeded";
  }
}

// The ratio is judged once this much has inflated: a short, repetitive document may compress far better than 100:1
// and harm no one (Apache POI's zip-bomb check for OOXML has the same 1:100 ratio and a grace size).
export const RATIO_GRACE_BYTES = 1024 * 1024;
// Deflate's best ratio is about 1032:1, so a 16 KiB slice of input inflates to about 16 MiB at most. Smaller slices
// bound that tighter but cost time on every document (benchmarks/docx_inflate.ts: 1 KiB slices read an ordinary
// document about 3 times slower than unzipSync, 16 KiB slices about 1.1 times).
const SLICE_BYTES = 16 * 1024;
export const MAX_SLICE_OUTPUT = SLICE_BYTES * 1032;

export function readInflateCaps(env: Env): InflateCaps {
  return {
    maxBytes: envInt(env, "DOCUMENT_MAX_INFLATED_BYTES", 16 * 1024 * 1024, 1024, 256 * 1024 * 1024),
    maxRatio: envInt(env, "DOCUMENT_MAX_INFLATE_RATIO", 100, 2, 10_000),
  };
}

/**
 * The inflated chunks of `entryName` in `archive`, or undefined when the archive has no such entry. Throws
 * DecompressionCapExceeded past a cap, UnprocessableDocument when the archive cannot be read.
 */
export function inflateZipEntry(archive: Uint8Array, entryName: string, caps: InflateCaps): Uint8Array[] | undefined {
  const chunks: Uint8Array[] = [];
  let found = false;
  let refusal: string | undefined;
  let failure: unknown;
  const unzip = new Unzip();
  unzip.register(UnzipInflate);
  unzip.onfile = (file: UnzipFile) => {
    if (file.name !== entryName || found) return;
    found = true;
    // A size the archive declares is known before a byte is inflated (a lie only makes the count below decide).
    if (file.originalSize !== undefined && file.originalSize > caps.maxBytes) {
      refusal = `${entryName} declares ${file.originalSize} bytes inflated, over the cap of ${caps.maxBytes}`;
      return;
    }
    const compressed = file.size || archive.length;
    let inflated = 0;
    file.ondata = (error, chunk, _final) => {
      if (refusal !== undefined || failure !== undefined) return;
      if (error) {
        failure = error;
        return;
      }
      inflated += chunk.length;
      if (inflated > caps.maxBytes) {
        refusal = `${entryName} inflates past the cap of ${caps.maxBytes} bytes`;
      } else if (inflated > RATIO_GRACE_BYTES && inflated > caps.maxRatio * compressed) {
        refusal = `${entryName} inflates more than ${caps.maxRatio} times its ${compressed} compressed bytes`;
      }
      if (refusal !== undefined) {
        file.terminate();
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    };
    file.start();
  };
  try {
    for (let offset = 0; offset < archive.length && refusal === undefined && failure === undefined;) {
      const end = Math.min(offset + SLICE_BYTES, archive.length);
      unzip.push(archive.subarray(offset, end), end === archive.length);
      offset = end;
    }
  } catch (error) {
    failure = error;
  }
  if (refusal !== undefined) {
    throw new DecompressionCapExceeded(`the file is refused as a decompression bomb: ${refusal}`);
  }
  if (failure !== undefined) throw new UnprocessableDocument("the file is not a readable zip archive");
  return found ? chunks : undefined;
}
